// CSPRNG bytes handed out from a pool (adapter): one randomFillSync per 4 KiB instead of one per
// token, secret and id — the per-call overhead showed in bench/signaling profiles.
import { randomFillSync } from 'node:crypto';

/** Pool size: ~200 admissions' worth of ids, tokens and pair secrets per refill. */
const POOL_BYTES = 4096;

/**
 * Returns a `random(out)` function backed by node:crypto's CSPRNG. Every byte is used once.
 */
export function createPooledRandom(): (out: Uint8Array) => void {
  const pool = new Uint8Array(POOL_BYTES);
  let pos = POOL_BYTES;
  return (out) => {
    if (out.length > POOL_BYTES) {
      randomFillSync(out);
      return;
    }
    if (pos + out.length > POOL_BYTES) {
      randomFillSync(pool);
      pos = 0;
    }
    out.set(pool.subarray(pos, pos + out.length));
    // Wipe what was handed out so no byte can be handed out twice by a later bug.
    pool.fill(0, pos, pos + out.length);
    pos += out.length;
  };
}
