// The simulated signaling service of the agent's link simulations: candidates reach the peer
// SIGNAL_DELAY_MS of virtual time after they were sent, and nothing crosses a socket.
import type { SansIoCore } from '@meshpunch/sim';

/** Candidate relay delay of the simulated signaling service, virtual ms. */
export const SIGNAL_DELAY_MS = 30;

/** Candidates in flight through the simulated service: a core with a deadline and no socket traffic. */
export class SimSignal implements SansIoCore {
  private readonly queue: Array<{ at: number; deliver: (now: number) => void }> = [];
  send(now: number, deliver: (now: number) => void): void {
    this.queue.push({ at: now + SIGNAL_DELAY_MS, deliver });
  }
  handleDatagram(): void {}
  handleTimeout(now: number): void {
    for (let i = 0; i < this.queue.length; ) {
      if (this.queue[i]!.at <= now) this.queue.splice(i, 1)[0]!.deliver(now);
      else i++;
    }
  }
  pollTransmit(): number {
    return 0;
  }
  pollTimeout(): number | undefined {
    return this.queue.reduce<number | undefined>((t, q) => (t === undefined || q.at < t ? q.at : t), undefined);
  }
}
