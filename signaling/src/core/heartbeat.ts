// Heartbeats (core): when each connection's next heartbeat is due, and its text. The server
// sends one per connection every heartbeatMs; the ack gives the RTT and clock-offset sample
// (connection.ts sampleRtt).
import type { Connection } from './connection.js';

/**
 * Heartbeat deadlines fall on multiples of heartbeatMs / HEARTBEAT_BATCHES, so the heartbeats of
 * every connection that became due within one such slot go out in one timer wake-up (and their
 * acks come back together): 10,000 idle connections cost ~16 wake-ups per heartbeatMs instead of
 * one per connection (issue 19). A heartbeat is up to heartbeatMs / 16 late.
 */
const HEARTBEAT_BATCHES = 16;

/** When the heartbeat after one sent at `now` is due: now + heartbeatMs, rounded up to its slot. */
export function heartbeatDue(now: number, heartbeatMs: number): number {
  const slot = Math.max(1, Math.floor(heartbeatMs / HEARTBEAT_BATCHES));
  return Math.ceil((now + heartbeatMs) / slot) * slot;
}

/** Numbers the next heartbeat of `c`, sent at `now`, and notes when it went out (its ack is matched by `n`). */
export function nextHeartbeat(c: Connection, now: number): number {
  c.hbN = (c.hbN + 1) >>> 0;
  c.hbSentAt = now;
  return c.hbN;
}

/**
 * The next heartbeat of `c`, sent at `now` (nextHeartbeat). Built as JSON.stringify would write
 * it (numbers only): one goes out per connection every heartbeatMs (issue 19).
 */
export function heartbeatText(c: Connection, now: number): string {
  const n = nextHeartbeat(c, now);
  const tail = c.srtt < 0 ? '}' : `,"rttMs":${c.srtt},"offsetMs":${c.offsetMs ?? 0}}`;
  return `{"type":"heartbeat","n":${n},"now":${now}${tail}`;
}
