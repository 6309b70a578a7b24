// Drives one of our ENetConnection hosts in the background during an interop test: calls
// `service()` in a loop and keeps every event, so a test can wait on either side while the
// other side (a libenet process or an npm `enet` host) runs on its own.
import { EventType, type ENetConnection, type ENetEvent } from '@meshpunch/enet';

/** Upper bound of one `service()` wait (ms): keeps the loop responsive to `stop()`. */
const SERVICE_SLICE_MS = 2;

/** Background service loop of one host, with its collected events. */
export class Pump {
  readonly events: ENetEvent[] = [];
  private running = true;
  private failure: unknown;
  private readonly loop: Promise<void>;
  /** Called for each event as it arrives (e.g. to echo a packet). */
  onEvent: ((e: ENetEvent) => void) | undefined;

  constructor(readonly host: ENetConnection) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    try {
      while (this.running) {
        const ev = await this.host.service(SERVICE_SLICE_MS);
        if (ev.type === EventType.NONE) continue;
        this.events.push(ev);
        this.onEvent?.(ev);
      }
    } catch (err) {
      this.failure = err;
      this.running = false;
    }
  }

  /** Resolves with (and removes) the first event matching `pred`; rejects after `timeoutMs`. */
  async waitEvent(pred: (e: ENetEvent) => boolean, timeoutMs = 5000, what = 'event'): Promise<ENetEvent> {
    const start = Date.now();
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0]!;
      if (Date.now() - start > timeoutMs) {
        const seen = this.events.slice(-5).map((e) => ({ type: e.type, data: e.data, channel: e.channel, len: e.packet?.length }));
        throw new Error(`our host: no ${what} within ${timeoutMs} ms; last events ${JSON.stringify(seen)}`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Waits until `n` RECEIVE events are buffered and removes them (in arrival order). */
  async receives(n: number, timeoutMs = 10_000): Promise<ENetEvent[]> {
    const start = Date.now();
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const got = this.events.filter((e) => e.type === EventType.RECEIVE);
      if (got.length >= n) {
        for (const e of got) this.events.splice(this.events.indexOf(e), 1);
        return got;
      }
      if (Date.now() - start > timeoutMs) throw new Error(`our host received ${got.length} of ${n} packets within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Lets the loop run for `ms` (both sides keep servicing). */
  async idle(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.failure !== undefined) throw this.failure;
  }

  /** Ends the loop (the host itself is left to the caller). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
