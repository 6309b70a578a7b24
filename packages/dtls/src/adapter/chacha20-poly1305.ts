// ChaCha20-Poly1305 (RFC 8439) as a WebAssembly module generated at load time, for the record
// layer's hot path. Why not node:crypto: it needs a new cipher object per record (the nonce
// changes every record) and that set-up, not the cipher, is the cost — 3 to 5 times this module's
// time per 1000 B record (packages/dtls/README.md "Record protection"). Why ChaCha20-Poly1305 and
// not AES-GCM in software: it is add-rotate-xor and 64-bit multiplies, so constant time without
// tables (a table AES or GHASH would leak through the cache) and fast without AES-NI.
//
// Memory layout of the one shared instance (calls are synchronous, so sharing is safe):
//   SEAL_KEY 32 B | TAG 16 B | LENS 16 B | AAD 16 B | – | OPEN_KEY 32 B | BLOCK 64 B | DATA … | ZEROS 64 B | IN …
// The input (plaintext to seal, ciphertext to open) is copied to IN once (an open's record header
// with it, into ZEROS' second half, which only makes keystream nobody reads). ZEROS and IN, like
// BLOCK and DATA, are contiguous, so one ChaCha20 pass from ZEROS‖IN to BLOCK‖DATA yields the
// Poly1305 key (block 0 XORed over zeros) and en/decrypts the data (blocks 1…); it XORs whole
// groups of four 64-byte blocks, the slack after the data being scratch, and one block left over
// after the last whole group by itself (chacha_block). Poly1305 then reads the
// ciphertext where it is (DATA after a seal, IN for an open) and eats whole 16-byte blocks, which
// the AEAD's zero padding (RFC 8439 §2.8) makes exact. One exported call (`aead`) does a whole
// seal or open: one copy in, one copy out, one crossing into WebAssembly per record.
import { DtlsError } from '../errors.js';
import { setAt } from '@meshpunch/base';
import { FunctionBuilder, I32, I64, Op, Simd, V128, assembleModule } from './wasm-assembler.js';

/**
 * Two key slots, the last sealing AEAD's and the last opening one's: a process that sends and
 * receives (both hosts of bench:enet; any peer of a busy link) alternates seals and opens with
 * two keys, and one slot rewrote the key on nearly every record.
 */
const SEAL_KEY = 0;
const TAG = 32;
const LENS = 48;
const AAD = 64;
const OPEN_KEY = 96;
const BLOCK = 128;
const DATA = BLOCK + 64;
/** Largest ciphertext a DTLS record can carry (RFC 5246 §6.2.3: 2^14 + 2048). */
const DATA_CAPACITY = 16384 + 2048;
/** ChaCha20 runs in groups of 4 blocks: up to 255 bytes past the data are written. */
const SLACK = 256;
/** 64 bytes nothing writes: the "plaintext" of keystream block 0. */
const ZEROS = DATA + DATA_CAPACITY + SLACK;
const IN = ZEROS + 64;
const PAGES = 1;
/** Bytes from IN to the end of the memory. */
const IN_ROOM = PAGES * 65536 - IN;
/**
 * An open may copy up to this many bytes before the sealed ones (a record header) into ZEROS'
 * tail together with them: one copy of the whole datagram, no view of its sealed part. They may
 * hold anything: the Poly1305 key is block 0's first 32 bytes, so its last 32 are never read.
 */
const HEADER_ROOM = 32;

/** Globals of the Poly1305 state: h0..h4 (26-bit limbs), r0..r4, s1..s4 (5·r), pad (s) as two 64-bit halves. */
const G_H = 0;
const G_R = 5;
const G_S5 = 10;
const G_PAD = 14;
const GLOBALS = 16;
const MASK26 = 0x3ffffffn;

/** RFC 8439 §2.3's first row: "expand 32-byte k" as four little-endian words. */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

/** i8x16.shuffle lanes: 32-bit lanes `a` of the first operand and `b` of the second (4 + i), bytes in order. */
function lanes32(...l: number[]): number[] {
  return l.flatMap((w) => [w * 4, w * 4 + 1, w * 4 + 2, w * 4 + 3]);
}

/**
 * chacha_xor(counter, n0, n1, n2, src, dst, groups): XORs 4·groups keystream blocks (counter,
 * counter+1, …) over the bytes at src into dst. Four blocks at a time, one per SIMD lane (x_i holds word i of all four),
 * then a 4×4 transpose per row of words back into block order.
 */
function chachaXor(): FunctionBuilder {
  const f = new FunctionBuilder([['counter', I32], ['n0', I32], ['n1', I32], ['n2', I32], ['src', I32], ['dst', I32], ['groups', I32], ['key', I32]]);
  for (let i = 0; i < 16; i++) f.local(`x${i}`, V128).local(`j${i}`, V128);
  for (let i = 0; i < 4; i++) f.local(`t${i}`, V128);
  f.local('round', I32);
  // RFC 8439 §2.3: "expand 32-byte k", the key, the block counter, the nonce; each splat to all lanes.
  for (let i = 0; i < 16; i++) {
    if (i < 4) f.i32(SIGMA[i]!);
    else if (i < 12) f.get('key').mem(Op.i32Load, (i - 4) * 4, 2);
    else if (i === 12) f.get('counter');
    else f.get(`n${i - 13}`);
    f.simd(Simd.i32x4Splat).set(`j${i}`);
  }
  // Lane b of the counter word is counter + b.
  f.get('j12').simd(Simd.v128Const, ...[0, 1, 2, 3].flatMap((b) => [b, 0, 0, 0])).simd(Simd.i32x4Add).set('j12');
  const FOUR = [4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0];
  const rotl = (bits: number): void => {
    // 16 and 8 are byte moves within each lane; 12 and 7 are two shifts and an or.
    if (bits === 16) f.tee('t0').get('t0').simd(Simd.i8x16Shuffle, ...[0, 1, 2, 3].flatMap((w) => [2, 3, 0, 1].map((b) => w * 4 + b)));
    else if (bits === 8) f.tee('t0').get('t0').simd(Simd.i8x16Shuffle, ...[0, 1, 2, 3].flatMap((w) => [3, 0, 1, 2].map((b) => w * 4 + b)));
    else f.tee('t0').i32(bits).simd(Simd.i32x4Shl).get('t0').i32(32 - bits).simd(Simd.i32x4ShrU).simd(Simd.v128Or);
  };
  const qr = (a: number, b: number, c: number, d: number): void => {
    const step = (x: number, y: number, z: number, bits: number): void => {
      f.get(`x${x}`).get(`x${y}`).simd(Simd.i32x4Add).tee(`x${x}`);
      f.get(`x${z}`).simd(Simd.v128Xor);
      rotl(bits);
      f.set(`x${z}`);
    };
    step(a, b, d, 16);
    step(c, d, b, 12);
    step(a, b, d, 8);
    step(c, d, b, 7);
  };
  f.begin(Op.block).begin(Op.loop);
  f.get('groups').op(Op.i32Eqz).br(Op.brIf, 1);
  for (let i = 0; i < 16; i++) f.get(`j${i}`).set(`x${i}`);
  f.i32(10).set('round');
  f.begin(Op.loop);
  qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
  qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
  f.get('round').i32(1).op(Op.i32Sub).tee('round').br(Op.brIf, 0);
  f.op(Op.end);
  for (let i = 0; i < 16; i++) f.get(`x${i}`).get(`j${i}`).simd(Simd.i32x4Add).set(`x${i}`);
  for (let row = 0; row < 4; row++) {
    const [a, b, c, d] = [0, 1, 2, 3].map((k) => `x${row * 4 + k}`) as [string, string, string, string];
    f.get(a).get(b).simd(Simd.i8x16Shuffle, ...lanes32(0, 4, 1, 5)).set('t0');
    f.get(a).get(b).simd(Simd.i8x16Shuffle, ...lanes32(2, 6, 3, 7)).set('t1');
    f.get(c).get(d).simd(Simd.i8x16Shuffle, ...lanes32(0, 4, 1, 5)).set('t2');
    f.get(c).get(d).simd(Simd.i8x16Shuffle, ...lanes32(2, 6, 3, 7)).set('t3');
    // Block b's words row*4 .. row*4+3, XORed over its 16 bytes at src + 64·b + 16·row into dst.
    const out = (block: number, p: string, q: string, sel: number[]): void => {
      const off = block * 64 + row * 16;
      f.get('dst').get('src').simdMem(Simd.v128Load, off, 0);
      f.get(p).get(q).simd(Simd.i8x16Shuffle, ...lanes32(...sel)).simd(Simd.v128Xor).simdMem(Simd.v128Store, off, 0);
    };
    out(0, 't0', 't2', [0, 1, 4, 5]);
    out(1, 't0', 't2', [2, 3, 6, 7]);
    out(2, 't1', 't3', [0, 1, 4, 5]);
    out(3, 't1', 't3', [2, 3, 6, 7]);
  }
  f.get('j12').simd(Simd.v128Const, ...FOUR).simd(Simd.i32x4Add).set('j12');
  f.get('src').i32(256).op(Op.i32Add).set('src');
  f.get('dst').i32(256).op(Op.i32Add).set('dst');
  f.get('groups').i32(1).op(Op.i32Sub).set('groups');
  f.br(Op.br, 0);
  f.op(Op.end, Op.end);
  return f;
}

/**
 * chacha_block(counter, n0, n1, n2, src, dst): XORs the one keystream block `counter` over the 64
 * bytes at src into dst. The state as four rows of four words, a row per SIMD vector; a double
 * round is the column round, rows b, c, d rotated by 1, 2, 3 lanes so the diagonals line up, the
 * same round, and the rotation undone. One chain of dependent steps, so per block it is slower
 * than chacha_xor's four at once, but a record whose blocks leave one over after whole groups of
 * four (a 1014-byte ENet datagram: the Poly1305 key block and 16 more) is spared a fifth group
 * that computes three blocks for nothing.
 */
function chachaBlock(): FunctionBuilder {
  const f = new FunctionBuilder([['counter', I32], ['n0', I32], ['n1', I32], ['n2', I32], ['src', I32], ['dst', I32], ['key', I32]]);
  const rows = ['a', 'b', 'c', 'd'] as const;
  for (const r of rows) f.local(r, V128).local(`${r}0`, V128);
  f.local('t', V128).local('round', I32);
  f.simd(Simd.v128Const, ...SIGMA.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24])).set('a0');
  f.get('key').simdMem(Simd.v128Load, 0, 0).set('b0');
  f.get('key').simdMem(Simd.v128Load, 16, 0).set('c0');
  f.get('counter').simd(Simd.i32x4Splat);
  for (let lane = 1; lane < 4; lane++) f.get(`n${lane - 1}`).simd(Simd.i32x4ReplaceLane, lane);
  f.set('d0');
  for (const r of rows) f.get(`${r}0`).set(r);
  // x += y; z ^= x; z <<<= bits (16 and 8 as byte moves within each lane, as in chacha_xor).
  const step = (x: string, y: string, z: string, bits: number): void => {
    f.get(x).get(y).simd(Simd.i32x4Add).tee(x).get(z).simd(Simd.v128Xor).tee('t');
    if (bits === 16) f.get('t').simd(Simd.i8x16Shuffle, ...[0, 1, 2, 3].flatMap((w) => [2, 3, 0, 1].map((b) => w * 4 + b)));
    else if (bits === 8) f.get('t').simd(Simd.i8x16Shuffle, ...[0, 1, 2, 3].flatMap((w) => [3, 0, 1, 2].map((b) => w * 4 + b)));
    else f.i32(bits).simd(Simd.i32x4Shl).get('t').i32(32 - bits).simd(Simd.i32x4ShrU).simd(Simd.v128Or);
    f.set(z);
  };
  const round = (): void => {
    step('a', 'b', 'd', 16);
    step('c', 'd', 'b', 12);
    step('a', 'b', 'd', 8);
    step('c', 'd', 'b', 7);
  };
  /** Row r's lanes rotated left by k (lane i takes lane i + k). */
  const rotate = (r: string, k: number): void => {
    f.get(r).get(r).simd(Simd.i8x16Shuffle, ...lanes32(...[0, 1, 2, 3].map((i) => (i + k) % 4))).set(r);
  };
  f.i32(10).set('round');
  f.begin(Op.loop);
  round();
  rotate('b', 1); rotate('c', 2); rotate('d', 3);
  round();
  rotate('b', 3); rotate('c', 2); rotate('d', 1);
  f.get('round').i32(1).op(Op.i32Sub).tee('round').br(Op.brIf, 0);
  f.op(Op.end);
  rows.forEach((r, i) => {
    f.get('dst').get('src').simdMem(Simd.v128Load, i * 16, 0);
    f.get(r).get(`${r}0`).simd(Simd.i32x4Add).simd(Simd.v128Xor).simdMem(Simd.v128Store, i * 16, 0);
  });
  return f;
}

/** Splits the 128-bit value in locals `lo`, `hi` into five 26-bit limbs: `each(i, push)` where `push()` leaves limb i on the stack. */
function limbs(f: FunctionBuilder, lo: string, hi: string, each: (i: number, push: () => void) => void): void {
  const m = (): void => void f.i64(MASK26).op(Op.i64And);
  each(0, () => { f.get(lo); m(); });
  each(1, () => { f.get(lo).i64(26n).op(Op.i64ShrU); m(); });
  each(2, () => { f.get(lo).i64(52n).op(Op.i64ShrU).get(hi).i64(12n).op(Op.i64Shl, Op.i64Or); m(); });
  each(3, () => { f.get(hi).i64(14n).op(Op.i64ShrU); m(); });
  each(4, () => { f.get(hi).i64(40n).op(Op.i64ShrU); });
}

/** poly_init(): r (clamped) and s from the 32 bytes at BLOCK, h = 0 (RFC 8439 §2.5). */
function polyInit(): FunctionBuilder {
  const f = new FunctionBuilder([]).local('lo', I64).local('hi', I64);
  f.i32(0).mem(Op.i64Load, BLOCK, 3).i64(0x0ffffffc0fffffffn).op(Op.i64And).set('lo');
  f.i32(0).mem(Op.i64Load, BLOCK + 8, 3).i64(0x0ffffffc0ffffffcn).op(Op.i64And).set('hi');
  limbs(f, 'lo', 'hi', (i, push) => {
    push();
    f.globalSet(G_R + i);
    if (i > 0) f.globalGet(G_R + i).i64(5n).op(Op.i64Mul).globalSet(G_S5 + i - 1);
    f.i64(0n).globalSet(G_H + i);
  });
  f.i32(0).mem(Op.i64Load, BLOCK + 16, 3).globalSet(G_PAD);
  f.i32(0).mem(Op.i64Load, BLOCK + 24, 3).globalSet(G_PAD + 1);
  return f;
}

/** poly_blocks(ptr, count): absorbs `count` full 16-byte blocks (each with the 2^128 bit). */
function polyBlocks(): FunctionBuilder {
  const f = new FunctionBuilder([['ptr', I32], ['count', I32]]).local('lo', I64).local('hi', I64).local('c', I64);
  for (let i = 0; i < 5; i++) f.local(`h${i}`, I64).local(`r${i}`, I64).local(`d${i}`, I64);
  for (let i = 1; i < 5; i++) f.local(`s${i}`, I64);
  for (let i = 0; i < 5; i++) f.globalGet(G_H + i).set(`h${i}`).globalGet(G_R + i).set(`r${i}`);
  for (let i = 1; i < 5; i++) f.globalGet(G_S5 + i - 1).set(`s${i}`);
  f.begin(Op.block).begin(Op.loop);
  f.get('count').op(Op.i32Eqz).br(Op.brIf, 1);
  f.get('ptr').mem(Op.i64Load, 0, 0).set('lo');
  f.get('ptr').mem(Op.i64Load, 8, 0).set('hi');
  limbs(f, 'lo', 'hi', (i, push) => {
    f.get(`h${i}`);
    push();
    if (i === 4) f.i64(1n << 24n).op(Op.i64Or);
    f.op(Op.i64Add).set(`h${i}`);
  });
  // d_i = Σ h_j · (r_{i-j} or 5·r_{i-j+5}): the product mod 2^130 − 5 in limbs (poly1305-donna).
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      const k = i - j;
      f.get(`h${j}`).get(k >= 0 ? `r${k}` : `s${k + 5}`).op(Op.i64Mul);
      if (j > 0) f.op(Op.i64Add);
    }
    f.set(`d${i}`);
  }
  // Partial carry: limbs back under 2^26 (h0 may keep a bit more, absorbed next block).
  for (let i = 0; i < 5; i++) {
    if (i > 0) f.get(`d${i}`).get('c').op(Op.i64Add).set(`d${i}`);
    f.get(`d${i}`).i64(26n).op(Op.i64ShrU).set('c');
    f.get(`d${i}`).i64(MASK26).op(Op.i64And).set(`h${i}`);
  }
  f.get('h0').get('c').i64(5n).op(Op.i64Mul, Op.i64Add).set('h0');
  f.get('h1').get('h0').i64(26n).op(Op.i64ShrU, Op.i64Add).set('h1');
  f.get('h0').i64(MASK26).op(Op.i64And).set('h0');
  f.get('ptr').i32(16).op(Op.i32Add).set('ptr');
  f.get('count').i32(1).op(Op.i32Sub).set('count');
  f.br(Op.br, 0);
  f.op(Op.end, Op.end);
  for (let i = 0; i < 5; i++) f.get(`h${i}`).globalSet(G_H + i);
  return f;
}

/** poly_finish(dst): full carry, reduction mod 2^130 − 5, + s, the 16-byte tag at dst. */
function polyFinish(): FunctionBuilder {
  const f = new FunctionBuilder([['dst', I32]]).local('c', I64).local('mask', I64).local('lo', I64).local('hi', I64).local('t', I64);
  for (let i = 0; i < 5; i++) f.local(`h${i}`, I64).local(`g${i}`, I64);
  for (let i = 0; i < 5; i++) f.globalGet(G_H + i).set(`h${i}`);
  const carry = (from: string, to: string): void => {
    f.get(to).get(from).i64(26n).op(Op.i64ShrU, Op.i64Add).set(to);
    f.get(from).i64(MASK26).op(Op.i64And).set(from);
  };
  carry('h1', 'h2'); carry('h2', 'h3'); carry('h3', 'h4');
  f.get('h0').get('h4').i64(26n).op(Op.i64ShrU).i64(5n).op(Op.i64Mul, Op.i64Add).set('h0');
  f.get('h4').i64(MASK26).op(Op.i64And).set('h4');
  carry('h0', 'h1');
  // g = h + 5 − 2^130; keep h when g is negative (h < p), else g. Branch-free.
  f.get('h0').i64(5n).op(Op.i64Add).set('g0');
  for (let i = 1; i < 5; i++) f.get(`h${i}`).get(`g${i - 1}`).i64(26n).op(Op.i64ShrU, Op.i64Add).set(`g${i}`);
  for (let i = 0; i < 4; i++) f.get(`g${i}`).i64(MASK26).op(Op.i64And).set(`g${i}`);
  f.get('g4').i64(1n << 26n).op(Op.i64Sub).set('g4');
  f.get('g4').i64(63n).op(Op.i64ShrS).set('mask');
  for (let i = 0; i < 5; i++) {
    f.get(`h${i}`).get('mask').op(Op.i64And);
    f.get(`g${i}`).get('mask').i64(-1n).op(Op.i64Xor, Op.i64And, Op.i64Or).set(`h${i}`);
  }
  // h as two 64-bit halves, then + s with the carry between them.
  f.get('h0').get('h1').i64(26n).op(Op.i64Shl, Op.i64Or).get('h2').i64(52n).op(Op.i64Shl, Op.i64Or).set('lo');
  f.get('h2').i64(12n).op(Op.i64ShrU).get('h3').i64(14n).op(Op.i64Shl, Op.i64Or).get('h4').i64(40n).op(Op.i64Shl, Op.i64Or).set('hi');
  f.get('lo').globalGet(G_PAD).op(Op.i64Add).set('t');
  f.get('hi').globalGet(G_PAD + 1).op(Op.i64Add).get('t').get('lo').op(Op.i64LtU, Op.i64ExtendI32U, Op.i64Add).set('hi');
  f.get('dst').get('t').mem(Op.i64Store, 0, 0);
  f.get('dst').get('hi').mem(Op.i64Store, 8, 0);
  return f;
}

/** Function numbers in the module (assembleModule's order), for `call`. */
const FN_CHACHA = 0;
const FN_POLY_INIT = 1;
const FN_POLY_BLOCKS = 2;
const FN_POLY_FINISH = 3;
const FN_CHACHA_BLOCK = 4;

/**
 * aead(len, aadLen, n0, n1, n2, macAt, tagAt, key): one whole seal or open of the `len` bytes at
 * IN with the AAD at AAD and the key at `key`. ChaCha20 from ZEROS‖IN to BLOCK‖DATA (the Poly1305 key, then the output;
 * four blocks at a time, a last lone block alone),
 * then Poly1305 over AAD ‖ pad ‖ the ciphertext at macAt (DATA to seal, IN to open) ‖ pad ‖
 * lengths, the tag stored at tagAt.
 */
function aead(): FunctionBuilder {
  const f = new FunctionBuilder([['len', I32], ['aadLen', I32], ['n0', I32], ['n1', I32], ['n2', I32], ['macAt', I32], ['tagAt', I32], ['key', I32]]);
  f.local('blocks', I32).local('groups', I32).local('at', I32);
  // Blocks: the key block and ceil(len / 64); whole groups of four, then what is left over.
  f.get('len').i32(64 + 63).op(Op.i32Add).i32(6).op(Op.i32ShrU).set('blocks');
  f.get('blocks').i32(2).op(Op.i32ShrU).set('groups');
  f.i32(0).get('n0').get('n1').get('n2').i32(ZEROS).i32(BLOCK).get('groups').get('key').call(FN_CHACHA);
  f.get('groups').i32(8).op(Op.i32Shl).set('at');
  f.get('blocks').i32(3).op(Op.i32And).tee('blocks').begin(Op.if);
  f.get('blocks').i32(1).op(Op.i32Eq).begin(Op.if);
  f.get('groups').i32(2).op(Op.i32Shl).get('n0').get('n1').get('n2').get('at').i32(ZEROS).op(Op.i32Add).get('at').i32(BLOCK).op(Op.i32Add).get('key').call(FN_CHACHA_BLOCK);
  f.op(Op.else);
  f.get('groups').i32(2).op(Op.i32Shl).get('n0').get('n1').get('n2').get('at').i32(ZEROS).op(Op.i32Add).get('at').i32(BLOCK).op(Op.i32Add).i32(1).get('key').call(FN_CHACHA);
  f.op(Op.end, Op.end);
  f.call(FN_POLY_INIT);
  // The MAC's zero padding after the ciphertext (whatever an earlier, longer record left there).
  f.get('macAt').get('len').op(Op.i32Add).i64(0n).mem(Op.i64Store, 0, 0);
  f.get('macAt').get('len').op(Op.i32Add).i64(0n).mem(Op.i64Store, 8, 0);
  f.i32(0).get('aadLen').op(Op.i64ExtendI32U).mem(Op.i64Store, LENS, 3);
  f.i32(0).get('len').op(Op.i64ExtendI32U).mem(Op.i64Store, LENS + 8, 3);
  f.get('aadLen').begin(Op.if).i32(AAD).i32(1).call(FN_POLY_BLOCKS).op(Op.end);
  f.get('macAt').get('len').i32(15).op(Op.i32Add).i32(4).op(Op.i32ShrU).call(FN_POLY_BLOCKS);
  f.i32(LENS).i32(1).call(FN_POLY_BLOCKS);
  f.get('tagAt').call(FN_POLY_FINISH);
  return f;
}

/** The slice of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer };
  aead(len: number, aadLen: number, n0: number, n1: number, n2: number, macAt: number, tagAt: number, key: number): void;
}

interface Instance {
  x: Exports;
  mem: Uint8Array;
  /**
   * The last view of DATA a seal (ciphertext and tag) and an open (plaintext) handed out: records
   * of one stream have one length, so no view per record; two, as seals and opens alternate.
   */
  sealView: Uint8Array;
  openView: Uint8Array;
  /** The AEADs whose keys are at SEAL_KEY and OPEN_KEY (a bulk sender or receiver reuses one key record after record). */
  sealKeyOwner: object | undefined;
  openKeyOwner: object | undefined;
}

let instance: Instance | undefined;

function wasm(): Instance {
  if (instance === undefined) {
    // The order gives the FN_* numbers.
    const bytes = assembleModule([['chacha_xor', chachaXor()], ['poly_init', polyInit()], ['poly_blocks', polyBlocks()], ['poly_finish', polyFinish()], ['chacha_block', chachaBlock()], ['aead', aead()]], GLOBALS, PAGES);
    const x = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes)).exports as unknown as Exports;
    const mem = new Uint8Array(x.memory.buffer);
    instance = { x, mem, sealView: mem.subarray(DATA, DATA), openView: mem.subarray(DATA, DATA), sealKeyOwner: undefined, openKeyOwner: undefined };
  }
  return instance;
}

/**
 * ChaCha20-Poly1305 AEAD (RFC 8439 §2.8) with one 32-byte key. `seal`/`open`/`openInPlace` match
 * the DTLS core's Aead contract: the ciphertext then the 16-byte tag; a bad tag opens nothing.
 */
export class ChaCha20Poly1305 {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new DtlsError('ERR_INVALID_PARAMETER', `ChaCha20-Poly1305 needs a 32-byte key, got ${key.length}`, { got: key.length });
    this.#key = key.slice();
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    const len = plaintext.length;
    if (len > DATA_CAPACITY || aad.length > 16 || nonce.length !== 12) {
      throw new DtlsError('ERR_INVALID_PARAMETER', `ChaCha20-Poly1305 takes ≤ ${DATA_CAPACITY} bytes, ≤ 16 bytes of AAD and a 12-byte nonce`, { length: len, aad: aad.length, nonce: nonce.length });
    }
    const w = this.#start(aad, SEAL_KEY);
    setAt(w.mem, plaintext, IN);
    w.x.aead(len, aad.length, le32(nonce, 0), le32(nonce, 4), le32(nonce, 8), DATA, DATA + len, SEAL_KEY);
    let view = w.sealView;
    if (view.length !== len + 16) view = w.sealView = w.mem.subarray(DATA, DATA + len + 16);
    setAt(out, view, offset);
    return len + 16;
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    const len = this.#open(nonce, aad, sealed, 0, sealed.length);
    if (len < 0) return undefined;
    // A slice of node's Buffer pool (records are under its 4 KiB limit): no ArrayBuffer of its own per record.
    const plain = Buffer.allocUnsafe(len);
    plain.set(openView(len));
    return plain;
  }

  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, sealedLength: number): number {
    const len = this.#open(nonce, aad, buf, offset, sealedLength);
    if (len > 0) setAt(buf, openView(len), offset);
    return len;
  }

  /** Authenticates and decrypts into DATA; the plaintext length, or -1 (bad tag or sizes). */
  #open(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, offset: number, sealedLength: number): number {
    const len = sealedLength - 16;
    // One read of the length: on a node Buffer (a received datagram) it is a generic property load.
    const total = buf.length;
    if (len < 0 || len > DATA_CAPACITY || aad.length > 16 || nonce.length !== 12 || offset < 0 || offset + sealedLength > total) return -1;
    const { x, mem } = this.#start(aad, OPEN_KEY);
    // The whole of `buf` when it fits (a datagram: header room, sealed bytes, nothing much after):
    // a view of the sealed part costs more than the header's extra bytes (on a Buffer, a Buffer).
    if (offset <= HEADER_ROOM && total - offset <= IN_ROOM) setAt(mem, buf, IN - offset);
    else setAt(mem, buf.subarray(offset, offset + sealedLength), IN);
    x.aead(len, aad.length, le32(nonce, 0), le32(nonce, 4), le32(nonce, 8), IN, TAG, OPEN_KEY);
    // Constant-time tag comparison: every byte is looked at whatever the first difference.
    let diff = 0;
    const t = offset + len;
    for (let i = 0; i < 16; i++) diff |= mem[TAG + i]! ^ buf[t + i]!;
    return diff === 0 ? len : -1;
  }

  /** The key (in slot `keyAt`, SEAL_KEY or OPEN_KEY) and the AAD (zero-padded to its 16-byte block) laid out. */
  #start(aad: Uint8Array, keyAt: number): Instance {
    const w = wasm();
    const mem = w.mem;
    if (keyAt === SEAL_KEY) {
      if (w.sealKeyOwner !== this) {
        mem.set(this.#key, SEAL_KEY);
        w.sealKeyOwner = this;
      }
    } else if (w.openKeyOwner !== this) {
      mem.set(this.#key, OPEN_KEY);
      w.openKeyOwner = this;
    }
    // Byte stores, not fill + set: for 13 bytes the two native calls cost more than the copy.
    const n = aad.length;
    for (let i = 0; i < 16; i++) mem[AAD + i] = i < n ? aad[i]! : 0;
    return w;
  }
}

/** The `length` bytes at DATA, an open's plaintext. */
function openView(length: number): Uint8Array {
  const w = wasm();
  if (w.openView.length !== length) w.openView = w.mem.subarray(DATA, DATA + length);
  return w.openView;
}

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) | 0;
}
