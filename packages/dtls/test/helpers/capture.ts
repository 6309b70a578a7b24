// Test helper: wraps a sans-IO core so every datagram it emits is also copied into a list
// (the corpus of valid datagrams that fuzz tests mutate).
import type { Endpoint, MutableEndpoint, SansIoCore } from '@meshpunch/sim';

export class Capture implements SansIoCore {
  readonly sent: Uint8Array[] = [];
  constructor(readonly inner: SansIoCore) {}
  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): void {
    this.inner.handleDatagram(now, from, bytes);
  }
  handleTimeout(now: number): void {
    this.inner.handleTimeout(now);
  }
  pollTransmit(now: number, out: Uint8Array, to: MutableEndpoint): number {
    const n = this.inner.pollTransmit(now, out, to);
    if (n > 0) this.sent.push(out.slice(0, n));
    return n;
  }
  pollTimeout(): number | undefined {
    return this.inner.pollTimeout();
  }
}
