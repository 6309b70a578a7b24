// Drives a sans-IO TurnClient from an existing socket through the shared CoreRunner (adapter): the
// owner feeds every received datagram to `intercept` (or lets `attachTurnClient` listen on a
// node:dgram socket); only datagrams whose source is the TURN server are taken (relay.md §1 rule 1).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:dgram';
import { NatError } from '../errors.js';
import type { TransportAddress } from '../core/stun/binding.js';
import type { StunAddress } from '../core/stun/attributes.js';
import { TurnClient } from '../core/turn/turn-client.js';
import type { TurnClientEvent, TurnCloseReason } from '../core/turn/turn-client-events.js';
import type { TurnClientOptions } from '../core/turn/turn-client-config.js';
import { CoreRunner } from './core-runner.js';
import { monotonicNow } from '@meshpunch/base';
import { nodeHmacSha1, nodeMd5, nodeRandom } from './hmac-sha1.js';
import type { DatagramSource, DatagramTransport } from './transport.js';

/** TurnClient options with node's crypto filled in by default. */
export type TurnSocketClientOptions = Omit<TurnClientOptions, 'hmacSha1' | 'md5' | 'random'> &
  Partial<Pick<TurnClientOptions, 'hmacSha1' | 'md5' | 'random'>>;

/** What `allocate()` resolves to. */
export interface TurnAllocation {
  /** XOR-RELAYED-ADDRESS: the `relay` candidate to advertise. */
  readonly relayed: StunAddress;
  /** XOR-MAPPED-ADDRESS, when the server sent it. */
  readonly mapped: StunAddress | undefined;
  readonly lifetimeS: number;
}

/** Events of a `TurnSocketClient`. */
export interface TurnSocketClientEvents {
  /** Peer data unwrapped from a Data indication or ChannelData; `payload` is a view: copy to keep. */
  data: [payload: Uint8Array, peer: TransportAddress, channel: number];
  /** The allocation ended (deleted, expired, refresh failed). */
  closed: [reason: TurnCloseReason];
  /** Every core event, for logging and metrics. */
  event: [event: TurnClientEvent];
}

/** Bytes of the encode buffer: ENet MTU 1400 + 36 bytes of Send indication leave room (relay.md §1 MTU). */
const SEND_BUFFER_BYTES = 65_536;

/**
 * A TURN client on an existing socket. Construct it with the socket's raw `send`; feed received
 * datagrams to `intercept` (it returns true for the server's, which the host must then drop).
 * `attachTurnClient` does both for a plain node:dgram socket.
 */
export class TurnSocketClient extends EventEmitter<TurnSocketClientEvents> {
  /** The sans-IO core (state, counters, `channelFor`, `relayedAddress`). */
  readonly core: TurnClient;
  readonly #send: (address: string, port: number, bytes: Uint8Array) => void;
  readonly #handlers = new Set<(bytes: Uint8Array, from: DatagramSource) => void>();
  readonly #runner: CoreRunner;
  readonly #out = new Uint8Array(SEND_BUFFER_BYTES);
  #allocated: { resolve: (a: TurnAllocation) => void; reject: (e: Error) => void } | undefined;
  readonly #waiting = new Map<string, Array<{ resolve: (v: number) => void; reject: (e: Error) => void }>>();
  #closed: { resolve: () => void } | undefined;

  /**
   * @param send sends one datagram from the shared socket (e.g. an ENet host's `socketSend`); the
   *   bytes may be reused after it returns, so it must copy them if it queues.
   * @throws NatError ERR_INVALID_PARAMETER on bad options.
   */
  constructor(send: (address: string, port: number, bytes: Uint8Array) => void, options: TurnSocketClientOptions) {
    super();
    this.core = new TurnClient({ hmacSha1: nodeHmacSha1, md5: nodeMd5, random: nodeRandom, ...options });
    this.#send = send;
    const transport: DatagramTransport = {
      send: (address, port, bytes) => this.#send(address, port, bytes),
      onStun: (handler) => {
        this.#handlers.add(handler);
        return () => this.#handlers.delete(handler);
      },
    };
    this.#runner = new CoreRunner(transport, this.core, () => this.#drainEvents());
    this.#runner.start();
  }

  /** The TURN server S. */
  get server(): TransportAddress {
    return this.core.server;
  }

  /**
   * Offer every datagram the shared socket receives. Returns true when it is TURN traffic from
   * the server (consumed: drop it); false for everything else, including STUN Binding answers
   * from the server's address, which the host passes to its STUN client as usual.
   */
  intercept(bytes: Uint8Array, from: DatagramSource): boolean {
    if (!this.core.accepts(from, bytes)) return false;
    for (const h of this.#handlers) h(bytes, from);
    return true;
  }

  /**
   * Allocates a UDP relay (RFC 8656 §7).
   * @throws NatError NAT_TURN_FAILED (rejects) with `details.reason`/`details.code`; ERR_ALREADY_IN_USE if called twice.
   */
  allocate(): Promise<TurnAllocation> {
    this.core.allocate(monotonicNow()); // throws ERR_ALREADY_IN_USE before any promise exists
    const p = new Promise<TurnAllocation>((resolve, reject) => (this.#allocated = { resolve, reject }));
    this.#runner.kick();
    return p;
  }

  /** Installs a permission for `peerAddress` (an IP); resolves once the server confirms it. Rejects NAT_TURN_FAILED. */
  createPermission(peerAddress: string): Promise<void> {
    const p = this.#wait(`p ${peerAddress}`);
    this.core.createPermission(monotonicNow(), peerAddress);
    if (this.core.hasPermission(peerAddress)) this.#settle(`p ${peerAddress}`, 0);
    this.#runner.kick();
    return p.then(() => undefined);
  }

  /** Binds a channel to `peer`; resolves with its number once confirmed. Rejects NAT_TURN_FAILED. */
  bindChannel(peer: TransportAddress): Promise<number> {
    const key = `c ${peer.address} ${peer.port}`;
    const p = this.#wait(key);
    this.core.bindChannel(monotonicNow(), peer);
    const ch = this.core.channelFor(peer);
    if (ch !== 0) this.#settle(key, ch);
    this.#runner.kick();
    return p;
  }

  /** Refreshes the allocation now; resolves with the granted lifetime (s). Rejects NAT_TURN_CLOSED if it ends instead. */
  refresh(): Promise<number> {
    const p = this.#wait('r');
    this.core.refresh(monotonicNow());
    this.#runner.kick();
    return p;
  }

  /**
   * Sends `payload` to `peer` through the relay now: ChannelData when bound, else a Send
   * indication. Returns false (counted in `core.counters.sendDropped`) without an allocation.
   */
  send(peer: TransportAddress, payload: Uint8Array): boolean {
    const n = this.core.encodeSend(peer, payload, this.#out);
    if (n === 0) return false;
    this.#send(this.core.server.address, this.core.server.port, this.#out.subarray(0, n));
    return true;
  }

  /** Deletes the allocation (Refresh 0) and stops; resolves once the server answered or gave up. */
  close(): Promise<void> {
    const state = this.core.state;
    if (state === 'closed' || state === 'failed') {
      this.#runner.stop();
      return Promise.resolve();
    }
    const p = new Promise<void>((resolve) => (this.#closed = { resolve }));
    this.core.close(monotonicNow());
    this.#runner.kick();
    return p;
  }

  /**
   * Stops at once without deleting the allocation (the socket is going away; the server lets it
   * expire): clears the timer, rejects pending promises with NAT_TURN_CLOSED. Idempotent.
   */
  stop(): void {
    this.#endAll();
  }

  #wait(key: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let list = this.#waiting.get(key);
      if (!list) this.#waiting.set(key, (list = []));
      list.push({ resolve, reject });
    });
  }

  #settle(key: string, value: number | Error): void {
    const list = this.#waiting.get(key);
    if (!list) return;
    this.#waiting.delete(key);
    for (const w of list) {
      if (value instanceof Error) w.reject(value);
      else w.resolve(value);
    }
  }

  #drainEvents(): void {
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) {
      if (e.type === 'data') {
        this.emit('data', e.payload, e.peer, e.channel);
        continue;
      }
      this.emit('event', e);
      switch (e.type) {
        case 'allocated':
          this.#allocated?.resolve({ relayed: e.relayed, mapped: e.mapped, lifetimeS: e.lifetimeS });
          this.#allocated = undefined;
          break;
        case 'failed':
          this.#allocated?.reject(new NatError('NAT_TURN_FAILED', `TURN Allocate failed: ${e.reason}${e.code ? ` (${e.code})` : ''}`, { reason: e.reason, code: e.code }));
          this.#allocated = undefined;
          this.#endAll();
          break;
        case 'refreshed':
          this.#settle('r', e.lifetimeS);
          break;
        case 'permissionCreated':
          this.#settle(`p ${e.peerAddress}`, 0);
          break;
        case 'permissionFailed':
          this.#settle(`p ${e.peerAddress}`, new NatError('NAT_TURN_FAILED', `TURN CreatePermission failed: ${e.reason}${e.code ? ` (${e.code})` : ''}`, { reason: e.reason, code: e.code }));
          break;
        case 'channelBound':
          this.#settle(`c ${e.peer.address} ${e.peer.port}`, e.channel);
          break;
        case 'channelBindFailed':
          this.#settle(`c ${e.peer.address} ${e.peer.port}`, new NatError('NAT_TURN_FAILED', `TURN ChannelBind failed: ${e.reason}${e.code ? ` (${e.code})` : ''}`, { reason: e.reason, code: e.code }));
          break;
        case 'closed':
          this.emit('closed', e.reason);
          this.#endAll();
          break;
        default:
          break;
      }
    }
  }

  #endAll(): void {
    const err = new NatError('NAT_TURN_CLOSED', 'the TURN allocation has ended');
    for (const key of [...this.#waiting.keys()]) this.#settle(key, err);
    this.#allocated?.reject(err);
    this.#allocated = undefined;
    this.#runner.stop();
    this.#closed?.resolve();
    this.#closed = undefined;
  }
}

/**
 * A TurnSocketClient on a plain bound node:dgram socket: it adds one 'message' listener that
 * feeds datagrams from the server to the client. Other listeners on the socket still see them;
 * they should skip datagrams for which `client.core.accepts(rinfo, msg)` is true. Call `detach()`
 * after `close()` to remove the listener (the socket stays the caller's).
 */
export function attachTurnClient(socket: Socket, options: TurnSocketClientOptions): TurnSocketClient & { detach(): void } {
  const client = new TurnSocketClient((address, port, bytes) => {
    // dgram may read the bytes after send() returns (docs/design.md §5.6): hand it a copy.
    try {
      socket.send(Buffer.from(bytes), port, address);
    } catch {
      // A closed socket: the core retransmits or times out, which reports the failure.
    }
  }, options);
  const onMessage = (msg: Buffer, rinfo: { address: string; port: number }) => {
    client.intercept(msg, rinfo);
  };
  socket.on('message', onMessage);
  return Object.assign(client, { detach: () => void socket.off('message', onMessage) });
}
