// The monotonic millisecond clock every adapter feeds its cores (STYLE.md §2) — adapter.
import { performance } from 'node:perf_hooks';

/** Integer milliseconds on the process's monotonic clock (`performance.now()`, floored). */
export function monotonicNow(): number {
  return Math.floor(performance.now());
}
