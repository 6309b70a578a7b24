// The pair.candidates a pair's other side gets, spliced from the sender's frame (core; issue 19).
// A plain pair.candidates whose candidates array is in its canonical form (protocol
// decode-pair-candidates.ts CandidatesSpan) is forwarded by copying that array's bytes between a
// fixed head and tail: no candidate is encoded again, no string is made. The bytes are exactly
// pairCandidatesText's for the same message (member-requests.ts; the core tests compare both
// paths byte for byte).

/**
 * A core output: send `conn` the pair.candidates event
 * `{"type":"pair.candidates","pair":P,"from":F,"candidates":<bytes[start..end)>,"done":D}`.
 * `bytes` is the frame the sender's message came in: the adapter writes this output before it
 * gives the core its next input, and must not change those bytes before then.
 */
export interface ForwardedCandidates {
  kind: 'candidates';
  conn: number;
  pair: number;
  from: number;
  bytes: Uint8Array;
  start: number;
  end: number;
  done: boolean;
}

/** ASCII text as bytes (the fixed parts below; all ASCII). */
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const HEAD = ascii('{"type":"pair.candidates","pair":');
const FROM = ascii(',"from":');
const CANDIDATES = ascii(',"candidates":');
const DONE_TRUE = ascii(',"done":true}');
const DONE_FALSE = ascii(',"done":false}');

/** Decimal digits of a non-negative integer below 2^53. */
function digitCount(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Bytes of the event `o` stands for. */
export function forwardedLength(o: ForwardedCandidates): number {
  return HEAD.length + digitCount(o.pair) + FROM.length + digitCount(o.from) + CANDIDATES.length + (o.end - o.start) + (o.done ? DONE_TRUE.length : DONE_FALSE.length);
}

/** Copies `src` to `out` at `at`; the index after it. A loop: these are tens of bytes, and set() would need a view of each. */
function put(out: Uint8Array, at: number, src: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) out[at++] = src[i]!;
  return at;
}

/** Writes `n` in decimal at `at`; the index after it. */
function putDigits(out: Uint8Array, at: number, n: number): number {
  const end = at + digitCount(n);
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(n / 10);
    out[i] = 0x30 + (n - q * 10);
    n = q;
  }
  return end;
}

/** Writes the event `o` stands for at `at` (forwardedLength(o) bytes of room); the index after it. */
export function writeForwarded(out: Uint8Array, at: number, o: ForwardedCandidates): number {
  at = put(out, at, HEAD, 0, HEAD.length);
  at = putDigits(out, at, o.pair);
  at = put(out, at, FROM, 0, FROM.length);
  at = putDigits(out, at, o.from);
  at = put(out, at, CANDIDATES, 0, CANDIDATES.length);
  at = put(out, at, o.bytes, o.start, o.end);
  const tail = o.done ? DONE_TRUE : DONE_FALSE;
  return put(out, at, tail, 0, tail.length);
}

/** The event `o` stands for, as text (for outputs that travel as text: a test's, a cluster's). */
export function forwardedText(o: ForwardedCandidates): string {
  const out = new Uint8Array(forwardedLength(o));
  writeForwarded(out, 0, o);
  // All ASCII: the fixed parts, digits, and a canonical candidates array (printable ASCII, no escapes).
  let text = '';
  for (let i = 0; i < out.length; i++) text += String.fromCharCode(out[i]!);
  return text;
}
