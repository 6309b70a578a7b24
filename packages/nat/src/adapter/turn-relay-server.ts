// The embedded TURN relay (relay.md §2(b)) as an adapter over TurnServerCore: control datagrams
// are fed in by the owner (the signaling service shares its STUN responder socket on the HTTP
// port) and answered through an injected `send`; relayed ports are node:dgram sockets this
// adapter binds from a port range and closes itself. The core runs on the shared CoreRunner.
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { NatError } from '../errors.js';
import type { TransportAddress } from '../core/stun/binding.js';
import {
  TurnServerCore,
  type TurnServerCounters,
  type TurnServerEvent,
  type TurnTransmitTarget,
} from '../core/turn/turn-server-core.js';
import type { TurnServerOptions } from '../core/turn/turn-server-config.js';
import { CoreRunner, type RunnableCore } from './core-runner.js';
import { monotonicNow } from '@meshpunch/base';
import { nodeHmacSha1, nodeMd5, nodeRandom } from './hmac-sha1.js';
import type { DatagramSource, DatagramTransport } from './transport.js';

/** Options of `TurnRelayServer`: the core's, with node crypto and clock filled in, plus sockets. */
export type TurnRelayServerOptions = Omit<TurnServerOptions, 'hmacSha1' | 'md5' | 'random' | 'unixMsAtZero'> &
  Partial<Pick<TurnServerOptions, 'hmacSha1' | 'md5' | 'random' | 'unixMsAtZero'>> & {
    /** Sends one datagram from the control socket (copy the bytes if you queue them). */
    send: (address: string, port: number, bytes: Uint8Array) => void;
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

/**
 * The embedded relay. Feed control datagrams to `handleControlDatagram`; call `revokeMember`
 * when a member leaves; read `counters`, `allocations`, `portsFree` for `/metrics`; `close()`.
 */
export class TurnRelayServer extends EventEmitter<TurnRelayServerEvents> {
  /** The sans-IO core (config, counters). */
  readonly core: TurnServerCore;
  readonly #send: (address: string, port: number, bytes: Uint8Array) => void;
  readonly #sockets = new Map<number, Socket>();
  readonly #handlers = new Set<(bytes: Uint8Array, from: DatagramSource) => void>();
  readonly #runner: CoreRunner;
  readonly #min: number;
  readonly #max: number;
  readonly #bindAddress: string;
  #cursor: number;
  #pendingBinds = 0;
  #lastRelayPort = 0;
  #closed = false;
  /** Relay-socket send errors (e.g. a peer's ICMP unreachable surfacing as ECONNREFUSED). */
  sendErrors = 0;
  /** One send callback for every relayed datagram (no closure per datagram, docs/design.md §5.3). */
  readonly #onSent = (err: Error | null): void => {
    if (err) this.sendErrors++;
  };

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
    // The core sends from several sockets: this facade remembers which one the transmit it just
    // encoded belongs to, and the transport below (called right after, synchronously) uses it.
    const target: TurnTransmitTarget = { address: '', port: 0, relayPort: 0 };
    const facade: RunnableCore = {
      handleDatagram: (t, from, bytes) => this.core.handleDatagram(t, from, bytes),
      handleTimeout: (t) => this.core.handleTimeout(t),
      pollTransmit: (t, out, to) => {
        const n = this.core.pollTransmit(t, out, target);
        to.address = target.address;
        to.port = target.port;
        this.#lastRelayPort = target.relayPort;
        return n;
      },
      pollTimeout: () => this.core.pollTimeout(),
    };
    const transport: DatagramTransport = {
      send: (address, port, bytes) => this.#transmit(address, port, bytes),
      onStun: (handler) => {
        this.#handlers.add(handler);
        return () => this.#handlers.delete(handler);
      },
    };
    this.#runner = new CoreRunner(transport, facade, () => this.#drainEvents());
    this.#runner.start();
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
    const consumed = this.core.handleDatagram(monotonicNow(), from, bytes);
    this.#runner.kick();
    return consumed;
  }

  /** Ends `member`'s allocations now and closes their ports; returns how many ended. */
  revokeMember(member: string): number {
    const n = this.core.revokeMember(monotonicNow(), member);
    this.#runner.kick();
    return n;
  }

  /** Ends every allocation, closes every relayed socket and the timer. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.core.shutdown(monotonicNow());
    this.#drainEvents();
    this.#runner.stop();
    const all = [...this.#sockets.values()];
    this.#sockets.clear();
    await Promise.all(all.map((s) => new Promise<void>((res) => s.close(() => res()))));
  }

  #transmit(address: string, port: number, bytes: Uint8Array): void {
    const relayPort = this.#lastRelayPort;
    if (relayPort === 0) {
      this.#send(address, port, bytes);
      return;
    }
    const s = this.#sockets.get(relayPort);
    if (s === undefined) return;
    try {
      // dgram may read the bytes after send() returns (docs/design.md §5.6): hand it a copy.
      s.send(Buffer.from(bytes), port, address, this.#onSent);
    } catch {
      this.sendErrors++;
    }
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
      this.core.portBindFailed(monotonicNow(), allocation);
      this.#runner.kick();
      return;
    }
    this.#pendingBinds++;
    const s = createSocket({ type: 'udp4' });
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
        this.core.handleRelayDatagram(monotonicNow(), port, rinfo, msg);
        this.#runner.kick();
      });
      this.core.portBound(monotonicNow(), allocation, port);
      this.#runner.kick();
    });
  }
}

export type { TransportAddress };
