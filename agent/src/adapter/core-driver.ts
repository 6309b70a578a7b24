// Drives sans-IO cores (STYLE.md §2: handleDatagram/handleTimeout/pollTransmit/pollTimeout/
// pollEvent) over one link's ENet socket (adapter): datagrams out through socketSend, datagrams
// in through the host's intercept hook, one OS timer re-armed only when the deadline changes.

/** A UDP address as the cores and the ENet host see it. */
export interface Address {
  address: string;
  port: number;
}

/** The sans-IO core contract the driver needs. */
export interface DrivenCore<E> {
  handleDatagram(now: number, from: Address, bytes: Uint8Array): boolean;
  handleTimeout(now: number): void;
  pollTransmit(now: number, out: Uint8Array, to: Address): number;
  pollTimeout(): number | undefined;
  pollEvent(): E | undefined;
}

/** The socket side: the ENet host's raw send. */
export interface RawSocket {
  socketSend(address: string, port: number, bytes: Uint8Array): void;
}

/** Largest datagram a core may emit: a STUN message or a punch probe fits well within 1500 bytes. */
const SCRATCH_BYTES = 1500;
/** Most datagrams drained per input: bounds one burst (a punch round to 32 candidates × 2). */
const MAX_TRANSMITS_PER_DRAIN = 128;

/**
 * Several cores on one socket. Inbound datagrams are offered to each core in order until one
 * consumes it; the rest go on to ENet. `now()` is the adapter's monotonic clock.
 */
export class CoreDriver {
  private readonly socket: RawSocket;
  private readonly now: () => number;
  private readonly cores: Array<{ core: DrivenCore<unknown>; onEvent: (e: unknown) => void }> = [];
  private readonly scratch = new Uint8Array(SCRATCH_BYTES);
  private readonly to: Address = { address: '', port: 0 };
  private timer: NodeJS.Timeout | undefined = undefined;
  private armedAt: number | undefined = undefined;
  private stopped = false;
  /** Datagrams the socket refused (send threw). */
  sendErrors = 0;

  constructor(socket: RawSocket, now: () => number) {
    this.socket = socket;
    this.now = now;
  }

  /** Adds a core; its events go to `onEvent` as they are produced. */
  add<E>(core: DrivenCore<E>, onEvent: (e: E) => void): void {
    this.cores.push({ core: core as DrivenCore<unknown>, onEvent: onEvent as (e: unknown) => void });
    this.pump();
  }

  /** Removes a core (its pending deadlines are forgotten). */
  remove(core: DrivenCore<unknown>): void {
    const i = this.cores.findIndex((c) => c.core === core);
    if (i >= 0) this.cores.splice(i, 1);
    this.pump();
  }

  /** The intercept hook for the ENet host: true when a core consumed the datagram. */
  readonly intercept = (from: Address, bytes: Uint8Array): boolean => {
    if (this.stopped) return false;
    const now = Math.floor(this.now());
    for (let i = 0; i < this.cores.length; i++) {
      if (this.cores[i]!.core.handleDatagram(now, from, bytes)) {
        this.pump();
        return true;
      }
    }
    return false;
  };

  /** Call after any command given to a core (request, start, …) so its output goes out. */
  pump(): void {
    if (this.stopped) return;
    const now = Math.floor(this.now());
    let next: number | undefined;
    for (let i = 0; i < this.cores.length; i++) {
      const { core, onEvent } = this.cores[i]!;
      for (let n = 0; n < MAX_TRANSMITS_PER_DRAIN; n++) {
        const len = core.pollTransmit(now, this.scratch, this.to);
        if (len === 0) break;
        try {
          // socketSend may keep the bytes until sent (STYLE.md §5.6): hand it a copy.
          this.socket.socketSend(this.to.address, this.to.port, this.scratch.slice(0, len));
        } catch {
          this.sendErrors++;
        }
      }
      for (let e = core.pollEvent(); e !== undefined; e = core.pollEvent()) onEvent(e);
      if (this.stopped) return;
      const t = core.pollTimeout();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    this.arm(next);
  }

  /** Stops the timer and ignores every later input. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.cores.length = 0;
  }

  private arm(at: number | undefined): void {
    if (at === this.armedAt && this.timer !== undefined) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = at;
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedAt = undefined;
      const now = Math.floor(this.now());
      for (let i = 0; i < this.cores.length; i++) this.cores[i]!.core.handleTimeout(now);
      this.pump();
    }, Math.max(0, at - Math.floor(this.now())));
  }
}
