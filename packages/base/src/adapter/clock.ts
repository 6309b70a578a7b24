// The monotonic millisecond clock every adapter feeds its cores (docs/design.md §2) — adapter. The
// one definition (issue #15: nat, dtls, enet and signaling each floored performance.now() themselves).
import { performance } from 'node:perf_hooks';

/** Integer milliseconds on the process's monotonic clock (`performance.now()`, floored). */
export function monotonicNow(): number {
  return Math.floor(performance.now());
}

/**
 * Converts a wall-clock time (ms since the epoch, e.g. a `pair.start` at + offsetMs) to the
 * monotonic clock the cores run on, so a scheduled punch start can be handed to PunchMachine.
 * Never returns less than 0.
 */
export function monotonicFromWallClock(wallMs: number): number {
  return Math.max(0, Math.floor(performance.now() + (wallMs - Date.now())));
}
