// The embedded TURN relay (relay.md §2(b)) as an adapter over TurnServerCore: control datagrams
// are fed in by the owner (the signaling service shares its STUN responder socket on the HTTP
// port) and answered through an injected `send`; relayed ports are node:dgram sockets this
// adapter binds from a port range and closes itself.
//
// The data path is the relay's cost (bench:relay, CPU per relayed datagram), so this adapter
// drives the core itself rather than through CoreRunner: transmits leave zero-copy
// (`pollTransmitParts`: the payload is a view of the received Buffer, a ChannelData header a
// 4-byte buffer of its own), sends carry no callback (dgram then queues no tick for it) and
// resolve addresses without a tick (ipLiteralLookup), and the clock is read once per datagram.
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { NatError } from '../errors.js';
import type { TransportAddress } from '../core/stun/binding.js';
import { TurnServerCore } from '../core/turn/turn-server-core.js';
import type { TurnServerCounters } from '../core/turn/turn-server-counters.js';
import type { TurnServerEvent, TurnTransmitParts } from '../core/turn/turn-server-events.js';
import { writeChannelDataHeader } from '../core/turn/channel-data.js';
import { CHANNEL_DATA_HEADER } from '../core/turn/constants.js';
import type { TurnServerOptions } from '../core/turn/turn-server-config.js';
import { DeadlineTimer, monotonicNow } from '@meshpunch/base';
import { nodeHmacSha1, nodeMd5, nodeRandom } from './hmac-sha1.js';
import { ipLiteralLookup } from './ip-literal-lookup.js';
import type { DatagramSource } from './transport.js';

/** Options of `TurnRelayServer`: the core's, with node crypto and clock filled in, plus sockets. */
export type TurnRelayServerOptions = Omit<TurnServerOptions, 'hmacSha1' | 'md5' | 'random' | 'unixMsAtZero'> &
  Partial<Pick<TurnServerOptions, 'hmacSha1' | 'md5' | 'random' | 'unixMsAtZero'>> & {
    /**
     * Sends one datagram from the control socket: `bytes`, or the buffers of a list one after
     * the other (a ChannelData header, then the payload). They are never written again: hand
     * them to dgram as they are.
     */
    send: (address: string, port: number, bytes: Uint8Array | readonly Uint8Array[]) => void;
    /** Relayed ports, inclusive (`--relay-ports`, default 49152-65535); must exclude the control port. */
    relayPorts?: { min: number; max: number };
    /** The control port, refused inside `relayPorts` (relay.md §1: no link socket at S). */
    controlPort?: number;
    /** Local address relayed sockets bind to (default '0.0.0.0'). */
    bindAddress?: string;
  };

/** Events of a `TurnRelayServer`. */
export interface TurnRelayServerEvents {
  /** Allocation lifecycle events from the core (`allocationCreated`, `allocationEnded`). */
  allocation: [event: Extract<TurnServerEvent, { type: 'allocationCreated' | 'allocationEnded' }>];
}

/** Ports tried per allocation before answering 508: a few collisions with other programs are normal. */
const MAX_BIND_ATTEMPTS = 8;
/** Transmits sent per input; a datagram queues one, a request a handful, so 256 only cuts a runaway core. */
const MAX_TRANSMITS_PER_DRAIN = 256;

/**
 * The embedded relay. Feed control datagrams to `handleControlDatagram`; call `revokeMember`
 * when a member leaves; read `counters`, `allocations`, `portsFree` for `/metrics`; `close()`.
 */
export class TurnRelayServer extends EventEmitter<TurnRelayServerEvents> {
  /** The sans-IO core (config, counters). */
  readonly core: TurnServerCore;
  readonly #send: (address: string, port: number, bytes: Uint8Array | readonly Uint8Array[]) => void;
  readonly #sockets = new Map<number, Socket>();
  readonly #min: number;
  readonly #max: number;
  readonly #bindAddress: string;
  /** Filled by every `pollTransmitParts` (one record, no literal per datagram). */
  readonly #to: TurnTransmitParts = { address: '', port: 0, relayPort: 0, channel: 0 };
  #cursor: number;
  #pendingBinds = 0;
  #closed = false;
  /** The core's sweep deadline: the shared one-timer-per-core of @meshpunch/base. */
  readonly #timer = new DeadlineTimer((at) => {
    this.core.handleTimeout(at);
    this.#kick(at);
  });
  /** A kick is running: a nested one (a port bound synchronously inside it) only asks it to go round again. */
  #kicking = false;
  #kickAgain = false;
  /** Relayed-socket errors the socket reported ('error' events; sends carry no callback). */
  sendErrors = 0;

  /** @throws NatError ERR_INVALID_PARAMETER on bad options or a port range containing the control port. */
  constructor(options: TurnRelayServerOptions) {
    super();
    const now = monotonicNow();
    const { send, relayPorts, controlPort, bindAddress, ...core } = options;
    if (typeof send !== 'function') throw new NatError('ERR_INVALID_PARAMETER', 'send must be a function');
    const min = relayPorts?.min ?? 49152;
    const max = relayPorts?.max ?? 65535;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new NatError('ERR_INVALID_PARAMETER', `relayPorts must be 1..65535 with min ≤ max, got ${min}-${max}`);
    }
    if (controlPort !== undefined && controlPort >= min && controlPort <= max) {
      throw new NatError('ERR_INVALID_PARAMETER', `relayPorts ${min}-${max} must exclude the control port ${controlPort}`, { got: controlPort });
    }
    this.core = new TurnServerCore({
      hmacSha1: nodeHmacSha1, md5: nodeMd5, random: nodeRandom, unixMsAtZero: Date.now() - now, ...core,
    }, now);
    this.#send = send;
    this.#min = min;
    this.#max = max;
    this.#cursor = min + Math.floor(Math.random() * (max - min + 1));
    this.#bindAddress = bindAddress ?? '0.0.0.0';
  }

  /** Counters named after relay.md §4's `/metrics`. */
  get counters(): TurnServerCounters {
    return this.core.counters;
  }

  /** Live allocations (`_relay_allocations`). */
  get allocations(): number {
    return this.core.allocations;
  }

  /** Relayed ports not in use (`_relay_ports_free`). */
  get portsFree(): number {
    return this.#max - this.#min + 1 - this.#sockets.size - this.#pendingBinds;
  }

  /** The relayed ports bound now. */
  get boundPorts(): number[] {
    return [...this.#sockets.keys()];
  }

  /**
   * Offer a datagram received on the control socket. Returns false for STUN Binding messages
   * (the caller's STUN responder answers them) and after `close()`; true when the relay took it.
   */
  handleControlDatagram(bytes: Uint8Array, from: DatagramSource): boolean {
    if (this.#closed) return false;
    const now = monotonicNow();
    const consumed = this.core.handleDatagram(now, from, bytes);
    this.#kick(now);
    return consumed;
  }

  /** Ends `member`'s allocations now and closes their ports; returns how many ended. */
  revokeMember(member: string): number {
    const now = monotonicNow();
    const n = this.core.revokeMember(now, member);
    this.#kick(now);
    return n;
  }

  /** Ends every allocation, closes every relayed socket and the timer. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.core.shutdown(monotonicNow());
    this.#drainEvents();
    this.#timer.cancel();
    const all = [...this.#sockets.values()];
    this.#sockets.clear();
    await Promise.all(all.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }

  /** After every input: sends what the core queued, re-arms the sweep timer, handles events. */
  #kick(now: number): void {
    if (this.#closed) return;
    if (this.#kicking) {
      this.#kickAgain = true;
      return;
    }
    this.#kicking = true;
    try {
      do {
        this.#kickAgain = false;
        this.#flush(now);
        this.#arm();
        this.#drainEvents();
      } while (this.#kickAgain && !this.#closed);
    } finally {
      this.#kicking = false;
    }
  }

  #flush(now: number): void {
    const to = this.#to;
    for (let i = 0; i < MAX_TRANSMITS_PER_DRAIN; i++) {
      const body = this.core.pollTransmitParts(now, to);
      if (body === undefined) return;
      let bytes: Uint8Array | Uint8Array[] = body;
      if (to.channel !== 0) {
        // A header of its own (the payload is the received datagram, not ours to prepend to).
        const head = Buffer.allocUnsafe(CHANNEL_DATA_HEADER);
        writeChannelDataHeader(head, to.channel, body.length);
        bytes = [head, body];
      }
      if (to.relayPort === 0) {
        this.#send(to.address, to.port, bytes);
        continue;
      }
      const s = this.#sockets.get(to.relayPort);
      if (s === undefined) continue;
      try {
        // No copy: the core never writes to a body again (pollTransmitParts), and received
        // Buffers are node's own, one per datagram (docs/design.md §5.6).
        s.send(bytes, to.port, to.address);
      } catch {
        this.sendErrors++;
      }
    }
  }

  #arm(): void {
    this.#timer.arm(this.core.pollTimeout());
  }

  #drainEvents(): void {
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) {
      switch (e.type) {
        case 'bindPort':
          this.#bind(e.allocation, e.evenPort, 0);
          break;
        case 'freePort': {
          const s = this.#sockets.get(e.port);
          this.#sockets.delete(e.port);
          s?.close();
          break;
        }
        default:
          this.emit('allocation', e);
      }
    }
  }

  #nextPort(even: boolean): number | undefined {
    const span = this.#max - this.#min + 1;
    for (let i = 0; i < span && i < 65536; i++) {
      const p = this.#cursor;
      this.#cursor = p >= this.#max ? this.#min : p + 1;
      if (!this.#sockets.has(p) && (!even || (p & 1) === 0)) return p;
    }
    return undefined;
  }

  #bind(allocation: number, even: boolean, attempt: number): void {
    const port = attempt < MAX_BIND_ATTEMPTS ? this.#nextPort(even) : undefined;
    if (port === undefined || this.#closed) {
      const now = monotonicNow();
      this.core.portBindFailed(now, allocation);
      this.#kick(now);
      return;
    }
    this.#pendingBinds++;
    const s = createSocket({ type: 'udp4', lookup: ipLiteralLookup });
    const onError = () => {
      this.#pendingBinds--;
      s.close();
      this.#bind(allocation, even, attempt + 1);
    };
    s.once('error', onError);
    s.bind(port, this.#bindAddress, () => {
      this.#pendingBinds--;
      s.off('error', onError);
      if (this.#closed) {
        s.close();
        return;
      }
      s.on('error', () => {
        this.sendErrors++;
      });
      this.#sockets.set(port, s);
      s.on('message', (msg: Buffer, rinfo) => {
        // rinfo has address and port: no copy of it per datagram.
        const now = monotonicNow();
        this.core.handleRelayDatagram(now, port, rinfo, msg);
        this.#kick(now);
      });
      const now = monotonicNow();
      this.core.portBound(now, allocation, port);
      this.#kick(now);
    });
  }
}

export type { TransportAddress };
