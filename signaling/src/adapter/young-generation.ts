// The service process's V8 young generation, kept small (adapter; issue 19). V8 doubles the
// new space (two semi-spaces) whenever more bytes survive a scavenge than it holds, up to 2 × 16
// MiB on 64-bit, and does not give it back while the process stays busy. A service admitting
// thousands of long-lived connections makes every one of them survive, so the new space grew to
// its 32 MiB ceiling during the shared kit's admission of 10,000 clients: 3.3 KiB of the 8.3 KiB
// of RSS per connection the kit reports, memory that does not hold a single connection.
//
// `--max-semi-space-size` is read only when the heap is set up (setting it later does nothing),
// but the growth factor is read at every growth, so the process stops the growth itself once the
// new space reached `semiSpaceMiB` per semi-space.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const MIB = 1024 * 1024;

/**
 * MiB per semi-space the service's young generation may grow to (V8's default ceiling is 16).
 * Measured with the shared kit, 10,000 clients (docs/benchmarks.md): RSS per connection 6.8-7.8
 * KiB with V8's default, 4.7-5.0 with 4 MiB; CPU per admission unchanged within the spread, the
 * relay burst ~4 x as many scavenges (a few µs more per relayed message at load 13-15).
 */
export const SERVICE_SEMI_SPACE_MIB = 4;

/** The committed size of V8's new space (both semi-spaces), bytes. */
function newSpaceBytes(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size;
  return 0;
}

/**
 * Lets the young generation grow to `semiSpaceMiB` per semi-space and no further, for the rest
 * of the process. Returns a function that stops watching (the cap already set stays).
 */
export function capYoungGeneration(semiSpaceMiB: number): () => void {
  const stopGrowth = (): void => setFlagsFromString('--semi-space-growth-factor=1');
  if (newSpaceBytes() >= 2 * semiSpaceMiB * MIB) {
    stopGrowth();
    return () => {};
  }
  // Growth happens in a scavenge; the observer runs soon after it, long before the next
  // doubling (which needs the new, larger space's worth of survivors first).
  const watch = new PerformanceObserver(() => {
    if (newSpaceBytes() < 2 * semiSpaceMiB * MIB) return;
    stopGrowth();
    watch.disconnect();
  });
  watch.observe({ entryTypes: ['gc'] });
  return () => watch.disconnect();
}
