// A tiny WebAssembly (1.0, MVP) binary writer: just what the ChaCha20-Poly1305 module needs
// (i32/i64 arithmetic, loads and stores, locals, globals, block/loop/if, calls). The module is generated
// from TypeScript at load time, so there is no toolchain, no checked-in binary and nothing to
// fetch; its source is the generator (chacha20-poly1305.ts). WebAssembly core spec §5 (binary format).
import { DtlsError } from '../errors.js';

/** Value types (§5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof V128;

/** Opcodes used by our generators (§5.4). */
export const Op = {
  block: 0x02, loop: 0x03, else: 0x05, br: 0x0c, brIf: 0x0d, end: 0x0b, call: 0x10, if: 0x04,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24,
  i32Load: 0x28, i64Load: 0x29, i32Store: 0x36, i64Store: 0x37,
  i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i32Eq: 0x46, i32LtU: 0x49, i64LtU: 0x54,
  i32Add: 0x6a, i32Sub: 0x6b, i32And: 0x71, i32Xor: 0x73, i32Shl: 0x74, i32ShrU: 0x76, i32Rotl: 0x77,
  i64Add: 0x7c, i64Sub: 0x7d, i64Mul: 0x7e, i64And: 0x83, i64Or: 0x84, i64Xor: 0x85, i64Shl: 0x86, i64ShrS: 0x87, i64ShrU: 0x88,
  i64ExtendI32U: 0xad,
} as const;

/** SIMD opcodes (fixed-width SIMD proposal, in WebAssembly 2.0): written as 0xfd + LEB sub-opcode. */
export const Simd = {
  v128Load: 0x00, v128Store: 0x0b, v128Const: 0x0c, i8x16Shuffle: 0x0d, i32x4Splat: 0x11, i32x4ReplaceLane: 0x1c,
  v128Or: 0x50, v128Xor: 0x51, i32x4Shl: 0xab, i32x4ShrU: 0xad, i32x4Add: 0xae,
} as const;

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], v: bigint): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** One function body under construction: named locals (parameters first) and an instruction stream. */
export class FunctionBuilder {
  readonly params: readonly ValType[];
  readonly bytes: number[] = [];
  readonly #locals = new Map<string, number>();
  readonly #extra: ValType[] = [];

  constructor(params: ReadonlyArray<[string, ValType]>) {
    this.params = params.map(([, t]) => t);
    params.forEach(([name], i) => this.#locals.set(name, i));
  }

  /** Declares a local (beyond the parameters). */
  local(name: string, type: ValType): this {
    this.#locals.set(name, this.params.length + this.#extra.length);
    this.#extra.push(type);
    return this;
  }

  #index(name: string): number {
    const i = this.#locals.get(name);
    if (i === undefined) throw new DtlsError('ERR_INVALID_PARAMETER', `wasm generator: unknown local ${name}`, { name });
    return i;
  }

  op(...opcodes: number[]): this {
    this.bytes.push(...opcodes);
    return this;
  }

  get(name: string): this {
    this.bytes.push(Op.localGet);
    uleb(this.bytes, this.#index(name));
    return this;
  }

  set(name: string): this {
    this.bytes.push(Op.localSet);
    uleb(this.bytes, this.#index(name));
    return this;
  }

  tee(name: string): this {
    this.bytes.push(Op.localTee);
    uleb(this.bytes, this.#index(name));
    return this;
  }

  globalGet(index: number): this {
    this.bytes.push(Op.globalGet);
    uleb(this.bytes, index);
    return this;
  }

  globalSet(index: number): this {
    this.bytes.push(Op.globalSet);
    uleb(this.bytes, index);
    return this;
  }

  i32(v: number): this {
    this.bytes.push(Op.i32Const);
    sleb(this.bytes, BigInt(v | 0));
    return this;
  }

  i64(v: bigint): this {
    this.bytes.push(Op.i64Const);
    sleb(this.bytes, BigInt.asIntN(64, v));
    return this;
  }

  /** A SIMD instruction; `immediates` are its memarg or lane bytes. */
  simd(sub: number, ...immediates: number[]): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, sub);
    this.bytes.push(...immediates);
    return this;
  }

  /** A SIMD load or store with its memarg. */
  simdMem(sub: typeof Simd.v128Load | typeof Simd.v128Store, offset: number, alignLog2: number): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, sub);
    uleb(this.bytes, alignLog2);
    uleb(this.bytes, offset);
    return this;
  }

  /** A load or store with its memarg (alignment hint log2, constant offset). */
  mem(opcode: number, offset: number, alignLog2: number): this {
    this.bytes.push(opcode);
    uleb(this.bytes, alignLog2);
    uleb(this.bytes, offset);
    return this;
  }

  /** Calls the module's function number `index` (its place in assembleModule's list). */
  call(index: number): this {
    this.bytes.push(Op.call);
    uleb(this.bytes, index);
    return this;
  }

  /** `block`/`loop`/`if` with an empty block type. */
  begin(opcode: typeof Op.block | typeof Op.loop | typeof Op.if): this {
    this.bytes.push(opcode, 0x40);
    return this;
  }

  br(opcode: typeof Op.br | typeof Op.brIf, depth: number): this {
    this.bytes.push(opcode, depth);
    return this;
  }

  /** The encoded body (§5.5.13): local declarations, then the expression and its `end`. */
  encode(): number[] {
    const body: number[] = [];
    const groups: Array<[number, ValType]> = [];
    for (const t of this.#extra) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(body, groups.length);
    for (const [n, t] of groups) {
      uleb(body, n);
      body.push(t);
    }
    body.push(...this.bytes, Op.end);
    const out: number[] = [];
    uleb(out, body.length);
    out.push(...body);
    return out;
  }
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  uleb(out, content.length);
  out.push(...content);
}

function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/**
 * A module: exported functions without results, `globals` mutable i64 globals starting at 0, and
 * one exported memory of `memoryPages` pages (64 KiB each) that never grows.
 */
export function assembleModule(functions: ReadonlyArray<[string, FunctionBuilder]>, globals: number, memoryPages: number): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(types, functions.length);
  for (const [, f] of functions) {
    types.push(0x60);
    uleb(types, f.params.length);
    types.push(...f.params, 0x00);
  }
  section(out, 1, types);
  const funcs: number[] = [];
  uleb(funcs, functions.length);
  functions.forEach((_, i) => uleb(funcs, i));
  section(out, 3, funcs);
  const memory: number[] = [1, 0x01];
  uleb(memory, memoryPages);
  uleb(memory, memoryPages);
  section(out, 5, memory);
  const globs: number[] = [];
  uleb(globs, globals);
  for (let i = 0; i < globals; i++) globs.push(I64, 0x01, Op.i64Const, 0x00, Op.end);
  section(out, 6, globs);
  const exports: number[] = [];
  uleb(exports, functions.length + 1);
  functions.forEach(([n], i) => {
    name(exports, n);
    exports.push(0x00);
    uleb(exports, i);
  });
  name(exports, 'memory');
  exports.push(0x02, 0x00);
  section(out, 7, exports);
  const code: number[] = [];
  uleb(code, functions.length);
  for (const [, f] of functions) code.push(...f.encode());
  section(out, 10, code);
  return Uint8Array.from(out);
}
