import { expect } from 'chai';
import { compareHosts, mergeTarget } from '../../src/core/lan-merge.js';

/** xorshift32: the same hosts for a seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function tokens(next: () => number, n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add((next().toString(16).padStart(8, '0') + next().toString(16).padStart(8, '0')));
  return [...out];
}

describe('LAN merge rule (core/lan-merge.ts)', () => {
  it('orders hosts by token, antisymmetric and total', () => {
    expect(compareHosts({ token: '00000000000000aa' }, { token: '00000000000000ab' })).to.be.below(0);
    expect(compareHosts({ token: '00000000000000ab' }, { token: '00000000000000aa' })).to.be.above(0);
    expect(compareHosts({ token: 'ab' }, { token: 'ab' })).to.equal(0);
  });

  it('a host hands over only to one that outranks it: the best of those heard', () => {
    const own = { token: '5000000000000000' };
    const heard = [{ token: '7000000000000000' }, { token: '3000000000000000' }, { token: '1000000000000000' }];
    expect(mergeTarget(own, heard)).to.equal(heard[2]);
    expect(mergeTarget({ token: '0000000000000001' }, heard)).to.equal(undefined);
    expect(mergeTarget(own, [])).to.equal(undefined);
  });

  for (const seed of [1, 7, 42, 0xbeef, 0x5eed, 123456789]) {
    it(`duplicate hosts converge to one whatever each heard (seed ${seed})`, () => {
      const next = rng(seed);
      for (let round = 0; round < 50; round++) {
        const hosts = tokens(next, 2 + (next() % 5)).map((token) => ({ token }));
        // Each host hears a random subset of the others (multicast lost some of the way).
        const heardBy = new Map(hosts.map((h) => [h, hosts.filter((o) => o !== h && next() % 3 !== 0)]));
        const best = hosts.reduce((m, h) => (compareHosts(h, m) < 0 ? h : m));
        // The best never yields, whatever it hears; two hosts never yield to each other.
        expect(mergeTarget(best, hosts)).to.equal(undefined);
        for (const h of hosts) {
          const t = mergeTarget(h, heardBy.get(h)!);
          if (t !== undefined) {
            expect(compareHosts(t, h)).to.be.below(0);
            expect(mergeTarget(t, [h])).to.equal(undefined);
          }
        }
        // Hearing everyone (the hosts keep asking), every hand-over chain ends at the best, in at most n-1 steps.
        for (const h of hosts) {
          let at = h;
          for (let step = 0; step < hosts.length; step++) at = mergeTarget(at, hosts) ?? at;
          expect(at).to.equal(best);
          expect(mergeTarget(h, hosts) ?? h).to.equal(best);
        }
      }
    });
  }
});
