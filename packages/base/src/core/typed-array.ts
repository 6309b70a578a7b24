// Typed-array accessors for per-datagram hot paths (core: DTLS records, ENet's receive path),
// called on a datagram rather than looked up on it. A received datagram is a node Buffer, and
// Buffer.prototype (between it and Uint8Array.prototype) is a dictionary-mode object, so in
// optimized code `bytes.set`, `bytes.buffer` and `bytes.byteOffset` are generic property loads, a
// LoadIC call each per datagram (--print-opt-code of the DTLS openApplicationData and
// openInPlace). The functions are the same builtins. CPU per read on a Buffer here (2026-12-07,
// load 12-15): `byteOffset` 12-26 ns as a property, 7-17 ns through the getter; `buffer` 19-32 /
// 12-20 ns. `length` needs no helper: 4-7 ns as a property, 7-9 ns through the getter.
const TYPED_ARRAY_PROTOTYPE = Object.getPrototypeOf(Uint8Array.prototype) as object;
const bufferGetter = Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, 'buffer')!.get!;
const byteOffsetGetter = Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, 'byteOffset')!.get!;
const typedArraySet = Uint8Array.prototype.set;

/** A plain Uint8Array over `length` bytes of `bytes` from `start` (the same memory, not a copy; no species lookup). */
export function viewOf(bytes: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(bufferGetter.call(bytes) as ArrayBuffer, (byteOffsetGetter.call(bytes) as number) + start, length);
}

/** `target.set(source, offset)`. */
export function setAt(target: Uint8Array, source: Uint8Array, offset: number): void {
  typedArraySet.call(target, source, offset);
}
