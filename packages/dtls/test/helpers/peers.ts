// Test helpers: identities made once per run (key generation is the slow part) and option sets.
import { generateIdentity, nodeDtlsCrypto, type GeneratedIdentity } from '../../src/index.js';
import type { DtlsOptions } from '../../src/core/options.js';
import type { Prng } from '@meshpunch/sim';

let cache: GeneratedIdentity[] | undefined;

/** Three identities: [server, client, stranger]. */
export function identities(): GeneratedIdentity[] {
  cache ??= [generateIdentity({ commonName: 'server' }), generateIdentity({ commonName: 'client' }), generateIdentity({ commonName: 'stranger' })];
  return cache;
}

/** Deterministic randomness from a seeded PRNG (the sim); key shares still use the OS RNG. */
export function prngRandom(prng: Prng): (out: Uint8Array) => void {
  return (out) => prng.fill(out);
}

/** Options for a pinned-fingerprint pair: each side expects the other's certificate (the mesh model). */
export function pinnedPair(random: (out: Uint8Array) => void, extra: Partial<DtlsOptions> = {}): { client: DtlsOptions; server: DtlsOptions } {
  const [srv, cli] = identities();
  return {
    client: { role: 'client', crypto: nodeDtlsCrypto, random, identity: cli!.identity, expectedFingerprint: srv!.fingerprint, ...extra },
    server: { role: 'server', crypto: nodeDtlsCrypto, random, identity: srv!.identity, expectedFingerprint: cli!.fingerprint, ...extra },
  };
}
