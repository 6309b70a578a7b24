// Our range coder against libenet 1.3.17's own enet_range_coder_compress/decompress and
// enet_crc32 (through the C harness in `rc` mode): byte-exact output on random and structured
// inputs, our output decoded by libenet, and identical decoder behaviour on garbage.
import { RangeCoder, crc32 } from '@meshpunch/enet';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { expect } from 'chai';
import { RangeCoderOracle, killAllHarnesses, requireHarness } from './support/harness.js';
import { toHex } from './support/pattern.js';

/** A generator of one kind of test input. */
type Gen = (p: Prng) => Uint8Array;

const text = 'ENet range coder interop: the quick brown fox jumps over the lazy dog. ';

const GENERATORS: Array<[string, Gen]> = [
  ['random bytes', (p) => p.bytes(p.int(1, 1500))],
  ['small alphabet', (p) => Uint8Array.from({ length: p.int(1, 3000) }, () => p.int(0, 3) * 60)],
  ['text', (p) => new TextEncoder().encode(text.repeat(40).slice(p.int(0, 50), p.int(60, 2800)))],
  ['runs', (p) => {
    const out = new Uint8Array(p.int(1, 4000));
    let v = p.int(0, 255);
    for (let i = 0; i < out.length; i++) {
      if (p.chance(0.02)) v = p.int(0, 255);
      out[i] = v;
    }
    return out;
  }],
  ['enet commands', (p) => {
    // Datagram-like: headers of SEND_RELIABLE / SEND_UNRELIABLE with short payloads.
    const parts: number[] = [];
    let seq = p.int(0, 65535);
    const n = p.int(1, 30);
    for (let i = 0; i < n; i++) {
      const len = p.int(0, 40);
      seq = (seq + 1) & 0xffff;
      parts.push(p.chance(0.5) ? 0x86 : 0x07, p.int(0, 3), seq >> 8, seq & 0xff, 0, len);
      for (let k = 0; k < len; k++) parts.push(p.chance(0.7) ? 0 : p.int(0, 255));
    }
    return Uint8Array.from(parts);
  }],
  ['long (model resets)', (p) => {
    const out = new Uint8Array(p.int(8000, 20000));
    for (let i = 0; i < out.length; i++) out[i] = p.chance(0.5) ? p.int(0, 255) : (i * 7) & 0xff;
    return out;
  }],
];

describe('range coder and CRC-32 vs libenet 1.3.17', function () {
  this.timeout(60_000);
  let oracle: RangeCoderOracle;
  const rc = new RangeCoder();
  const seed = seedFromEnv(0x5eed);
  const scratch = new Uint8Array(1 << 16);

  before(async function () {
    requireHarness(this);
    oracle = await RangeCoderOracle.start();
  });

  after(async () => {
    if (oracle) await oracle.close();
    killAllHarnesses();
  });

  function ours(input: Uint8Array, limit: number): Uint8Array {
    return scratch.subarray(0, rc.compress(input, scratch, limit)).slice();
  }

  it('compresses 1 200 random and structured inputs to the same bytes as libenet', async () => {
    const p = new Prng(seed);
    const counts: Record<string, number> = {};
    let compared = 0;
    let mismatches = 0;
    let compressedCount = 0;
    const first: string[] = [];
    for (let i = 0; i < 1200; i++) {
      const [name, gen] = GENERATORS[i % GENERATORS.length]!;
      const input = gen(p);
      // Mostly libenet's own rule (limit = input length); sometimes a tighter or looser limit.
      const limit = i % 7 === 0 ? p.int(1, input.length + 64) : input.length;
      const [theirs, mine] = [await oracle.compress(input, limit), ours(input, limit)];
      compared++;
      counts[name] = (counts[name] ?? 0) + 1;
      if (theirs.length > 0) compressedCount++;
      if (toHex(theirs) !== toHex(mine)) {
        mismatches++;
        if (first.length < 3) first.push(`${name} #${i} (seed ${seed}) len ${input.length} limit ${limit}`);
      }
    }
    console.log(`      compared ${compared} inputs (${JSON.stringify(counts)}); ${compressedCount} compressed within their limit`);
    expect({ mismatches, first }).to.deep.equal({ mismatches: 0, first: [] });
    expect(compressedCount).to.be.greaterThan(300);
  });

  it('produces output that libenet decompresses back to the input (1 000 inputs)', async () => {
    const p = new Prng(seed + 1);
    let bad = 0;
    for (let i = 0; i < 1000; i++) {
      const input = GENERATORS[i % GENERATORS.length]![1](p);
      const mine = ours(input, input.length + 4096);
      expect(mine.length, 'a generous limit always fits').to.be.greaterThan(0);
      const back = await oracle.decompress(mine, input.length);
      if (toHex(back) !== toHex(input)) bad++;
    }
    expect(bad).to.equal(0);
  });

  it('decodes 2 000 garbage and mutated inputs exactly as libenet does', async () => {
    const p = new Prng(seed + 2);
    const valid = ours(new TextEncoder().encode(text.repeat(5)), 4096);
    let mismatches = 0;
    let nonEmpty = 0;
    for (let i = 0; i < 2000; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) input = p.bytes(p.int(1, 200));
      else {
        input = valid.slice(0, p.int(1, valid.length));
        input[p.int(0, input.length - 1)] ^= 1 << p.int(0, 7);
      }
      const limit = p.int(1, 4096);
      const theirs = await oracle.decompress(input, limit);
      const n = rc.decompress(input, scratch, limit);
      if (n > 0) nonEmpty++;
      if (toHex(theirs) !== toHex(scratch.subarray(0, n))) mismatches++;
    }
    console.log(`      2000 garbage inputs, ${nonEmpty} decoded to something`);
    expect(mismatches).to.equal(0);
  });

  it('computes the same CRC-32 as enet_crc32 on 200 inputs', async () => {
    const p = new Prng(seed + 3);
    let bad = 0;
    for (let i = 0; i < 200; i++) {
      const input = p.bytes(p.int(0, 3000));
      if ((await oracle.crc32(input)) !== crc32(input)) bad++;
    }
    expect(bad).to.equal(0);
  });
});
