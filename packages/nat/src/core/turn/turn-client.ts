// Sans-IO TURN client (RFC 8656 over UDP, RFC 8489 §9.2 long-term credentials) speaking from an
// existing socket, e.g. the ENet link socket (relay.md §1) — core, docs/design.md §2 contract.
// It only handles datagrams whose source is the server S (demultiplex by source first, relay.md
// §1 rule 1); everything else is returned unconsumed. Output datagrams all go to S.
//
// Allocation states:
//   idle ─allocate()→ allocating ─2xx→ allocated ─close()→ closing ─any answer/timeout→ closed
//   allocating ─401 (once, learns realm+nonce) / 438 (≤3×, new nonce)→ allocating (new transaction)
//   allocating ─error/timeout→ failed        allocated ─Refresh error/timeout or lifetime over→ closed
// Timers (docs/design.md §2, a fixed table): transaction retransmits (RFC 8489 §6.2.1), allocation refresh
// (60 s before expiry, or at half the lifetime when shorter), allocation expiry, permission refresh
// (every 240 s of the 300 s lifetime, RFC 8656 §9), channel refresh (every 540 s of 600 s, §12),
// keepalive (a Binding indication after keepaliveMs with nothing sent: the NAT mapping toward the
// server must outlive the 240 s between refreshes, or the next request comes from a new 5-tuple).
// Its states, events, failure reasons and counters are declared in turn-client-events.ts.
import { NatError } from '../../errors.js';
import { isStunMessage, decodeStunMessage, findAttribute, sameTransactionId, type StunMessage } from '../stun/message.js';
import { StunClass, StunMethod, TRANSACTION_ID_LENGTH } from '../stun/constants.js';
import { getErrorCode, getXorMappedAddress, type StunAddress } from '../stun/attributes.js';
import { verifyFingerprint, verifyMessageIntegrity } from '../stun/integrity.js';
import { StunWriter } from '../stun/writer.js';
import type { TransportAddress } from '../stun/binding.js';
import { normalizeIp } from '@meshpunch/base';
import {
  CHANNEL_BIND_MAX,
  CHANNEL_DATA_HEADER,
  CHANNEL_LIFETIME_MS,
  CHANNEL_MIN,
  PERMISSION_LIFETIME_MS,
  TRANSPORT_UDP,
  TurnAttr,
  TurnErrorCode,
  TurnMethod,
} from './constants.js';
import { getData, getLifetime, getNonce, getRealm, getXorPeerAddress, getXorRelayedAddress } from './attributes.js';
import { channelDataLength, encodeChannelData, readChannelData } from './channel-data.js';
import { longTermKey } from './rest-credentials.js';
import { resolveTurnClientOptions, type TurnClientConfig, type TurnClientOptions } from './turn-client-config.js';
import type { TurnClientCounters, TurnClientEvent, TurnClientState, TurnCloseReason, TurnFailureReason } from './turn-client-events.js';

type TxKind = 'allocate' | 'refresh' | 'delete' | 'permission' | 'channel';

interface Transaction {
  kind: TxKind;
  txid: Uint8Array;
  /** Permission IP or channel peer IP. */
  peerAddress: string;
  peerPort: number;
  channel: number;
  sent: number;
  nextAt: number;
  sendDue: boolean;
  challenged: boolean;
  staleRetries: number;
}

interface Permission {
  readonly address: string;
  active: boolean;
  pending: boolean;
  refreshAt: number;
}

interface Channel {
  readonly number: number;
  readonly peer: TransportAddress;
  bound: boolean;
  pending: boolean;
  refreshAt: number;
}

interface QueuedSend {
  peer: TransportAddress;
  payload: Uint8Array;
}

/** Cap on queued events; the oldest is dropped (counted) when nobody polls. */
const MAX_EVENTS = 256;
/** Consecutive 438 answers tolerated per transaction before giving up (a nonce that keeps going stale is a broken server). */
const MAX_STALE_RETRIES = 3;
/** Refresh this long before expiry (RFC 8656 §7: "a minute before"), or at half the lifetime when that is sooner. */
const REFRESH_MARGIN_MS = 60_000;
/** Permissions are refreshed this long after being installed: one minute before their 300 s lifetime ends. */
const PERMISSION_REFRESH_MS = PERMISSION_LIFETIME_MS - 60_000;
/** Channels likewise, one minute before their 600 s lifetime ends. */
const CHANNEL_REFRESH_MS = CHANNEL_LIFETIME_MS - 60_000;

/** True when a dgram source equals `s` (udp6 sockets report IPv4 sources as ::ffff:a.b.c.d). */
function isAddress(from: TransportAddress, s: TransportAddress): boolean {
  if (from.port !== s.port) return false;
  const a = from.address;
  if (a === s.address) return true;
  return a.length > 7 && a.startsWith('::ffff:') && a.slice(7) === s.address;
}

/**
 * A sans-IO TURN client for one allocation on one socket (docs/design.md §2). Commands: `allocate`,
 * `createPermission`, `bindChannel`, `send`/`encodeSend`, `close`. Inputs: `handleDatagram`
 * (returns false for datagrams not from the server), `handleTimeout`. Outputs: `pollTransmit`
 * (always to the server), `pollTimeout`, `pollEvent`.
 */
export class TurnClient {
  readonly config: TurnClientConfig;
  readonly counters: TurnClientCounters = {
    requestsSent: 0, retransmits: 0, responses: 0, challenges: 0, staleNonces: 0, indicationsSent: 0, channelDataSent: 0,
    dataReceived: 0, bytesReceived: 0, bytesSent: 0, malformed: 0, unboundChannel: 0, unmatched: 0, badIntegrity: 0,
    sendDropped: 0, eventsDropped: 0, keepalivesSent: 0,
  };
  #state: TurnClientState = 'idle';
  #realm: string | undefined = undefined;
  #nonce: string | undefined = undefined;
  #key: Uint8Array | undefined = undefined;
  #tx: Transaction[] = [];
  #events: TurnClientEvent[] = [];
  #permissions = new Map<string, Permission>();
  #channels = new Map<number, Channel>();
  /** peer IP → peer port → channel, for allocation-free lookups when sending. */
  #channelByPeer = new Map<string, Map<number, Channel>>();
  #nextChannel = CHANNEL_MIN;
  #queue: QueuedSend[] = [];
  #relayed: StunAddress | undefined = undefined;
  #lifetimeS = 0;
  #refreshAt = 0;
  #expiresAt = 0;
  #writerOut: Uint8Array | undefined = undefined;
  #writer: StunWriter | undefined = undefined;
  #keepaliveAt = 0;
  #keepaliveDue = false;
  /** Anything sent to the server since the last keepalive deadline (set without `now` by encodeSend). */
  #sentSinceKeepalive = false;

  /** @throws NatError ERR_INVALID_PARAMETER on bad options (see `resolveTurnClientOptions`). */
  constructor(options: TurnClientOptions) {
    this.config = resolveTurnClientOptions(options);
  }

  /** The allocation's state. */
  get state(): TurnClientState {
    return this.#state;
  }

  /** The server S this client talks to. */
  get server(): TransportAddress {
    return this.config.server;
  }

  /** XOR-RELAYED-ADDRESS once allocated, else undefined. */
  get relayedAddress(): StunAddress | undefined {
    return this.#relayed;
  }

  /** The lifetime the server granted last, s (0 before allocation). */
  get lifetimeS(): number {
    return this.#lifetimeS;
  }

  /** True when a datagram from `from` belongs to this client (its source is the server S). */
  isFromServer(from: TransportAddress): boolean {
    return isAddress(from, this.config.server);
  }

  /** The channel bound (confirmed by the server) toward `peer`, or 0. */
  channelFor(peer: TransportAddress): number {
    const c = this.#channelByPeer.get(peer.address)?.get(peer.port);
    return c !== undefined && c.bound ? c.number : 0;
  }

  /** True when a permission toward `peerAddress` is installed (answered with success). */
  hasPermission(peerAddress: string): boolean {
    return this.#permissions.get(peerAddress)?.active === true;
  }

  /**
   * Starts the Allocate (UDP relay, RFC 8656 §7.1); the request goes out on the next `pollTransmit`.
   * @throws NatError ERR_ALREADY_IN_USE when called twice.
   */
  allocate(now: number): void {
    if (this.#state !== 'idle') {
      throw new NatError('ERR_ALREADY_IN_USE', `allocate() may be called once, the allocation is ${this.#state}`);
    }
    this.#state = 'allocating';
    this.#start(now, 'allocate', '', 0, 0);
  }

  /**
   * Installs (and keeps refreshing) a permission for `peerAddress` (an IP literal; permissions are
   * IP-only, RFC 8656 §9). Idempotent. Reports `permissionCreated` or `permissionFailed`.
   * @throws NatError ERR_UNCONFIGURED before allocation, ERR_INVALID_PARAMETER for a non-IP or past maxPermissions.
   */
  createPermission(now: number, peerAddress: string): void {
    const ip = this.#needIp(peerAddress);
    if (this.#permissions.has(ip)) return;
    this.#addPermission(now, ip);
  }

  /**
   * Binds a channel (0x4000..0x4FFF, relay.md §1) to `peer` and keeps it (and its permission)
   * refreshed; returns the channel number. Until `channelBound`, `send` uses Send indications.
   * Idempotent per peer.
   * @throws NatError ERR_UNCONFIGURED before allocation, ERR_INVALID_PARAMETER for a bad peer or past maxChannels.
   */
  bindChannel(now: number, peer: TransportAddress): number {
    const ip = this.#needIp(peer.address);
    if (!Number.isInteger(peer.port) || peer.port < 1 || peer.port > 65535) {
      throw new NatError('ERR_INVALID_PARAMETER', `peer.port must be 1..65535, got ${peer.port}`, { got: peer.port });
    }
    const existing = this.#channelByPeer.get(ip)?.get(peer.port);
    if (existing) return existing.number;
    if (this.#channels.size >= this.config.maxChannels || this.#nextChannel > CHANNEL_BIND_MAX) {
      throw new NatError('ERR_INVALID_PARAMETER', `at most ${this.config.maxChannels} channels may be bound`, {
        limit: this.config.maxChannels,
      });
    }
    if (!this.#permissions.has(ip)) {
      if (this.#permissions.size >= this.config.maxPermissions) {
        throw new NatError('ERR_INVALID_PARAMETER', `at most ${this.config.maxPermissions} permissions may be held`, {
          limit: this.config.maxPermissions,
        });
      }
      // ChannelBind installs the permission (RFC 8656 §12.2); we only refresh it afterwards.
      this.#permissions.set(ip, { address: ip, active: false, pending: true, refreshAt: 0 });
    }
    const ch: Channel = { number: this.#nextChannel++, peer: Object.freeze({ address: ip, port: peer.port }), bound: false, pending: true, refreshAt: 0 };
    this.#channels.set(ch.number, ch);
    let byPort = this.#channelByPeer.get(ip);
    if (!byPort) this.#channelByPeer.set(ip, (byPort = new Map()));
    byPort.set(peer.port, ch);
    this.#start(now, 'channel', ip, peer.port, ch.number);
    return ch.number;
  }

  /**
   * Queues `payload` for `peer` (copied); it leaves on `pollTransmit` as ChannelData when a
   * channel is bound, else as a Send indication. Returns false (counted) when not allocated or
   * the queue is full. Hot paths should prefer `encodeSend`, which does not copy twice.
   */
  send(peer: TransportAddress, payload: Uint8Array): boolean {
    if (this.#state !== 'allocated' || this.#queue.length >= this.config.maxQueuedSends) {
      this.counters.sendDropped++;
      return false;
    }
    this.#queue.push({ peer, payload: payload.slice() });
    return true;
  }

  /**
   * Encodes `payload` for `peer` into `out`, ready to send to the server: ChannelData (4 bytes of
   * header) when a channel is bound, else a Send indication (36+ bytes, RFC 8656 §11). Returns the
   * length, or 0 (counted in `sendDropped`) when there is no allocation.
   * @throws NatError ERR_INVALID_PARAMETER when `out` is too small or `peer` is not an IP literal.
   */
  encodeSend(peer: TransportAddress, payload: Uint8Array, out: Uint8Array): number {
    if (this.#state !== 'allocated' && this.#state !== 'closing') {
      this.counters.sendDropped++;
      return 0;
    }
    this.#sentSinceKeepalive = true;
    const ch = this.#channelByPeer.get(peer.address)?.get(peer.port);
    if (ch !== undefined && ch.bound) {
      const n = encodeChannelData(out, ch.number, payload);
      this.counters.channelDataSent++;
      this.counters.bytesSent += payload.length;
      return n;
    }
    const txid = new Uint8Array(TRANSACTION_ID_LENGTH);
    this.config.random(txid);
    const w = this.#writerFor(out).begin(StunClass.Indication, TurnMethod.Send, txid);
    w.addXorAddress(TurnAttr.XorPeerAddress, peer.address, peer.port);
    w.addAttribute(TurnAttr.Data, payload);
    w.addFingerprint();
    this.counters.indicationsSent++;
    this.counters.bytesSent += payload.length;
    return w.length;
  }

  /**
   * Refreshes the allocation now (e.g. after a network change) instead of waiting for the timer;
   * reports `refreshed`. Does nothing when not allocated or a refresh is already running.
   */
  refresh(now: number): void {
    if (this.#state === 'allocated' && !this.#hasTx('refresh')) this.#start(now, 'refresh', '', 0, 0);
  }

  /**
   * Deletes the allocation (Refresh with LIFETIME 0, RFC 8656 §7.2); reports `closed` 'deleted'
   * once answered or timed out. Before allocation it just closes. Idempotent.
   */
  close(now: number): void {
    if (this.#state === 'allocated') {
      this.#clearTables();
      this.#tx.length = 0;
      this.#state = 'closing';
      this.#start(now, 'delete', '', 0, 0);
    } else if (this.#state === 'idle' || this.#state === 'allocating') {
      this.#end('closed', 'deleted');
    }
  }

  /**
   * True when `bytes` from `from` is this client's to handle: its source is the server S and it
   * is not a STUN Binding message. Binding answers from S stay with the caller's STUN client —
   * the embedded relay shares its port with the signaling service's STUN responder (relay.md §2(b)).
   */
  accepts(from: TransportAddress, bytes: Uint8Array): boolean {
    if (!isAddress(from, this.config.server)) return false;
    // STUN type 0b00MMMMMC MMMCMMMM: Binding (method 0x001) in any class is type & 0x3eef === 0x0001.
    return !(bytes.length >= 2 && (bytes[0]! & 0xc0) === 0 && (((bytes[0]! << 8) | bytes[1]!) & 0x3eef) === 0x0001);
  }

  /**
   * Offers a received datagram. Returns false when it is not this client's (`accepts`): another
   * source (the caller passes it on, rule 2 of relay.md §1) or a STUN Binding message from S (for
   * the caller's STUN client); true otherwise (consumed, even if dropped and counted).
   */
  handleDatagram(now: number, from: TransportAddress, bytes: Uint8Array): boolean {
    if (!this.accepts(from, bytes)) return false;
    if (isStunMessage(bytes)) {
      const r = decodeStunMessage(bytes);
      if (!r.ok) {
        this.counters.malformed++;
        return true;
      }
      this.#handleStun(now, r.message);
      return true;
    }
    const channel = readChannelData(bytes);
    if (channel < 0) {
      this.counters.malformed++;
      return true;
    }
    const ch = this.#channels.get(channel);
    if (ch === undefined || !ch.bound) {
      this.counters.unboundChannel++;
      return true;
    }
    const len = channelDataLength(bytes);
    this.counters.dataReceived++;
    this.counters.bytesReceived += len;
    this.#emit({ type: 'data', peer: ch.peer, payload: bytes.subarray(CHANNEL_DATA_HEADER, CHANNEL_DATA_HEADER + len), channel });
    return true;
  }

  /** Fires retransmissions, refreshes and expiry due at `now`. A spurious call does nothing. */
  handleTimeout(now: number): void {
    for (let i = 0; i < this.#tx.length; ) {
      const t = this.#tx[i]!;
      if (t.sendDue || t.nextAt > now) {
        i++;
        continue;
      }
      if (t.sent >= this.config.requestCount) {
        this.#tx.splice(i, 1);
        this.#txFailed(t, 'timeout', undefined);
        continue;
      }
      t.sendDue = true;
      this.counters.retransmits++;
      i++;
    }
    if (this.#state !== 'allocated') return;
    if (now >= this.#expiresAt) {
      this.#end('closed', 'expired');
      return;
    }
    if (now >= this.#refreshAt && !this.#hasTx('refresh')) this.#start(now, 'refresh', '', 0, 0);
    if (now >= this.#keepaliveAt) {
      if (!this.#sentSinceKeepalive) this.#keepaliveDue = true;
      this.#sentSinceKeepalive = false;
      this.#keepaliveAt = now + this.config.keepaliveMs;
    }
    for (const p of this.#permissions.values()) {
      if (p.active && !p.pending && now >= p.refreshAt) {
        p.pending = true;
        this.#start(now, 'permission', p.address, 0, 0);
      }
    }
    for (const c of this.#channels.values()) {
      if (c.bound && !c.pending && now >= c.refreshAt) {
        c.pending = true;
        this.#start(now, 'channel', c.peer.address, c.peer.port, c.number);
      }
    }
  }

  /** Encodes the next datagram for the server into `out`, fills `to` (always S), returns its length or 0. */
  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    for (let i = 0; i < this.#tx.length; i++) {
      const t = this.#tx[i]!;
      if (!t.sendDue) continue;
      const n = this.#encodeRequest(t, out);
      this.counters.requestsSent++;
      t.sendDue = false;
      t.sent++;
      // RFC 8489 §6.2.1: retransmit after RTO, doubling; after the Rc-th request wait Rm·RTO.
      t.nextAt = t.sent >= this.config.requestCount
        ? now + this.config.rtoMs * this.config.lastWaitFactor
        : now + this.config.rtoMs * 2 ** (t.sent - 1);
      to.address = this.config.server.address;
      to.port = this.config.server.port;
      this.#sentSinceKeepalive = true;
      return n;
    }
    if (this.#keepaliveDue) {
      this.#keepaliveDue = false;
      const txid = new Uint8Array(TRANSACTION_ID_LENGTH);
      this.config.random(txid);
      // RFC 8489 §6.3.2: an indication gets no answer; servers (coturn, ours) simply ignore it.
      const w = this.#writerFor(out).begin(StunClass.Indication, StunMethod.Binding, txid).addFingerprint();
      to.address = this.config.server.address;
      to.port = this.config.server.port;
      this.counters.keepalivesSent++;
      return w.length;
    }
    const q = this.#queue.shift();
    if (q !== undefined) {
      const n = this.encodeSend(q.peer, q.payload, out);
      if (n > 0) {
        to.address = this.config.server.address;
        to.port = this.config.server.port;
        return n;
      }
    }
    return 0;
  }

  /** The next deadline (absolute ms), or undefined when nothing is scheduled (idle, closed, failed). */
  pollTimeout(): number | undefined {
    let d: number | undefined;
    for (let i = 0; i < this.#tx.length; i++) {
      const t = this.#tx[i]!;
      if (!t.sendDue && (d === undefined || t.nextAt < d)) d = t.nextAt;
    }
    if (this.#state !== 'allocated') return d;
    if (d === undefined || this.#expiresAt < d) d = this.#expiresAt;
    if (this.#keepaliveAt < d) d = this.#keepaliveAt;
    if (!this.#hasTx('refresh') && this.#refreshAt < d) d = this.#refreshAt;
    for (const p of this.#permissions.values()) if (p.active && !p.pending && p.refreshAt < d) d = p.refreshAt;
    for (const c of this.#channels.values()) if (c.bound && !c.pending && c.refreshAt < d) d = c.refreshAt;
    return d;
  }

  /** The next event, or undefined. */
  pollEvent(): TurnClientEvent | undefined {
    return this.#events.shift();
  }

  // ---- internals ----

  #needIp(address: string): string {
    if (this.#state !== 'allocated') {
      throw new NatError('ERR_UNCONFIGURED', `the allocation must be allocated first, it is ${this.#state}`);
    }
    const ip = typeof address === 'string' ? normalizeIp(address) : undefined;
    if (ip === undefined) {
      throw new NatError('ERR_INVALID_PARAMETER', `peer address must be an IP literal, got ${JSON.stringify(address)}`, { address });
    }
    return ip;
  }

  #addPermission(now: number, ip: string): void {
    if (this.#permissions.size >= this.config.maxPermissions) {
      throw new NatError('ERR_INVALID_PARAMETER', `at most ${this.config.maxPermissions} permissions may be held`, {
        limit: this.config.maxPermissions,
      });
    }
    this.#permissions.set(ip, { address: ip, active: false, pending: true, refreshAt: 0 });
    this.#start(now, 'permission', ip, 0, 0);
  }

  #hasTx(kind: TxKind): boolean {
    for (let i = 0; i < this.#tx.length; i++) if (this.#tx[i]!.kind === kind) return true;
    return false;
  }

  #start(now: number, kind: TxKind, peerAddress: string, peerPort: number, channel: number): Transaction {
    const txid = new Uint8Array(TRANSACTION_ID_LENGTH);
    this.config.random(txid);
    const t: Transaction = { kind, txid, peerAddress, peerPort, channel, sent: 0, nextAt: now, sendDue: true, challenged: false, staleRetries: 0 };
    this.#tx.push(t);
    return t;
  }

  /** A new transaction for the same work (RFC 8489 §9.2.5: a retry with new credentials is a new request). */
  #retry(now: number, t: Transaction): void {
    const n = this.#start(now, t.kind, t.peerAddress, t.peerPort, t.channel);
    n.challenged = t.challenged;
    n.staleRetries = t.staleRetries;
  }

  #writerFor(out: Uint8Array): StunWriter {
    if (this.#writerOut !== out || this.#writer === undefined) {
      this.#writer = new StunWriter(out);
      this.#writerOut = out;
    }
    return this.#writer;
  }

  #encodeRequest(t: Transaction, out: Uint8Array): number {
    const method = t.kind === 'allocate' ? TurnMethod.Allocate
      : t.kind === 'permission' ? TurnMethod.CreatePermission
      : t.kind === 'channel' ? TurnMethod.ChannelBind
      : TurnMethod.Refresh;
    const w = this.#writerFor(out).begin(StunClass.Request, method, t.txid);
    if (t.kind === 'allocate') {
      w.addUint32(TurnAttr.RequestedTransport, TRANSPORT_UDP << 24);
      w.addUint32(TurnAttr.Lifetime, this.config.lifetimeS);
    } else if (t.kind === 'refresh') {
      w.addUint32(TurnAttr.Lifetime, this.config.lifetimeS);
    } else if (t.kind === 'delete') {
      w.addUint32(TurnAttr.Lifetime, 0);
    } else if (t.kind === 'permission') {
      w.addXorAddress(TurnAttr.XorPeerAddress, t.peerAddress, 0);
    } else {
      w.addUint32(TurnAttr.ChannelNumber, (t.channel << 16) >>> 0);
      w.addXorAddress(TurnAttr.XorPeerAddress, t.peerAddress, t.peerPort);
    }
    if (this.config.software !== undefined) w.addString(TurnAttr.Software, this.config.software);
    // RFC 8656 §7.1: the first Allocate goes without credentials; the 401 teaches realm and nonce.
    if (this.#nonce !== undefined && this.#key !== undefined && this.#realm !== undefined) {
      w.addString(TurnAttr.Username, this.config.username);
      w.addString(TurnAttr.Realm, this.#realm);
      w.addString(TurnAttr.Nonce, this.#nonce);
      w.addMessageIntegrity(this.#key, this.config.hmacSha1);
    }
    w.addFingerprint();
    return w.length;
  }

  #handleStun(now: number, m: StunMessage): void {
    if (m.class === StunClass.Indication) {
      if (m.method !== TurnMethod.Data) {
        this.counters.malformed++;
        return;
      }
      const peer = getXorPeerAddress(m);
      const data = getData(m);
      if (peer === undefined || data === undefined) {
        this.counters.malformed++;
        return;
      }
      this.counters.dataReceived++;
      this.counters.bytesReceived += data.length;
      this.#emit({ type: 'data', peer: { address: peer.address, port: peer.port }, payload: data, channel: 0 });
      return;
    }
    if (m.class === StunClass.Request || m.method === StunMethod.Binding) {
      this.counters.unmatched++;
      return;
    }
    let i = 0;
    for (; i < this.#tx.length; i++) if (sameTransactionId(this.#tx[i]!.txid, m.transactionId)) break;
    if (i === this.#tx.length) {
      this.counters.unmatched++;
      return;
    }
    if (findAttribute(m, TurnAttr.Fingerprint) !== undefined && !verifyFingerprint(m)) {
      this.counters.badIntegrity++;
      return;
    }
    const t = this.#tx[i]!;
    if (m.class === StunClass.ErrorResponse) {
      const code = getErrorCode(m)?.code;
      this.counters.responses++;
      this.#tx.splice(i, 1);
      if (code === TurnErrorCode.Unauthorized && !t.challenged && this.#learn(m)) {
        this.counters.challenges++;
        t.challenged = true;
        this.#retry(now, t);
        return;
      }
      if (code === TurnErrorCode.StaleNonce && t.staleRetries < MAX_STALE_RETRIES && this.#learn(m)) {
        this.counters.staleNonces++;
        t.staleRetries++;
        this.#retry(now, t);
        return;
      }
      this.#txFailed(t, code === TurnErrorCode.Unauthorized ? 'unauthorized' : 'error-response', code);
      return;
    }
    // RFC 8489 §9.2.5: a success to an authenticated request must carry a valid MESSAGE-INTEGRITY.
    if (this.#key === undefined || !verifyMessageIntegrity(m, this.#key, this.config.hmacSha1)) {
      this.counters.badIntegrity++;
      return;
    }
    this.counters.responses++;
    this.#tx.splice(i, 1);
    this.#txSucceeded(now, t, m);
  }

  /** Takes REALM and NONCE from a 401/438; false when the answer lacks a usable NONCE. */
  #learn(m: StunMessage): boolean {
    const nonce = getNonce(m);
    const realm = getRealm(m) ?? this.#realm;
    if (nonce === undefined || realm === undefined) return false;
    if (realm !== this.#realm || this.#key === undefined) {
      this.#key = longTermKey(this.config.username, realm, this.config.password, this.config.md5);
    }
    this.#realm = realm;
    this.#nonce = nonce;
    return true;
  }

  #txSucceeded(now: number, t: Transaction, m: StunMessage): void {
    switch (t.kind) {
      case 'allocate': {
        const relayed = getXorRelayedAddress(m);
        const lifetimeS = getLifetime(m) ?? this.config.lifetimeS;
        if (relayed === undefined || lifetimeS === 0) {
          this.#end('failed', undefined, 'bad-response', undefined);
          return;
        }
        this.#relayed = relayed;
        this.#state = 'allocated';
        this.#setLifetime(now, lifetimeS);
        this.#keepaliveAt = now + this.config.keepaliveMs;
        this.#emit({ type: 'allocated', relayed, mapped: getXorMappedAddress(m), lifetimeS });
        return;
      }
      case 'refresh': {
        if (this.#state !== 'allocated') return;
        const lifetimeS = getLifetime(m) ?? this.config.lifetimeS;
        if (lifetimeS === 0) {
          this.#end('closed', 'expired');
          return;
        }
        this.#setLifetime(now, lifetimeS);
        this.#emit({ type: 'refreshed', lifetimeS });
        return;
      }
      case 'delete':
        this.#end('closed', 'deleted');
        return;
      case 'permission': {
        const p = this.#permissions.get(t.peerAddress);
        if (!p) return;
        const first = !p.active;
        p.active = true;
        p.pending = false;
        p.refreshAt = now + PERMISSION_REFRESH_MS;
        if (first) this.#emit({ type: 'permissionCreated', peerAddress: p.address });
        return;
      }
      case 'channel': {
        const c = this.#channels.get(t.channel);
        if (!c) return;
        const first = !c.bound;
        c.bound = true;
        c.pending = false;
        c.refreshAt = now + CHANNEL_REFRESH_MS;
        const p = this.#permissions.get(c.peer.address);
        if (p && !p.active) {
          // The bind installed the permission (RFC 8656 §12.2): refresh it on the permission schedule.
          p.active = true;
          p.pending = false;
          p.refreshAt = now + PERMISSION_REFRESH_MS;
          this.#emit({ type: 'permissionCreated', peerAddress: p.address });
        }
        if (first) this.#emit({ type: 'channelBound', peer: c.peer, channel: c.number });
        return;
      }
    }
  }

  #txFailed(t: Transaction, reason: TurnFailureReason, code: number | undefined): void {
    switch (t.kind) {
      case 'allocate':
        this.#end('failed', undefined, reason, code);
        return;
      case 'refresh':
        // The server forgot us (437) or stopped answering: the allocation is gone or will be.
        this.#end('closed', 'refresh-failed');
        return;
      case 'delete':
        this.#end('closed', 'deleted');
        return;
      case 'permission': {
        const p = this.#permissions.get(t.peerAddress);
        if (!p) return;
        this.#permissions.delete(t.peerAddress);
        this.#emit({ type: 'permissionFailed', peerAddress: p.address, reason, code });
        return;
      }
      case 'channel': {
        const c = this.#channels.get(t.channel);
        if (!c) return;
        this.#channels.delete(c.number);
        this.#channelByPeer.get(c.peer.address)?.delete(c.peer.port);
        if (this.#channelByPeer.get(c.peer.address)?.size === 0) this.#channelByPeer.delete(c.peer.address);
        const p = this.#permissions.get(c.peer.address);
        if (p && !p.active) this.#permissions.delete(c.peer.address);
        this.#emit({ type: 'channelBindFailed', peer: c.peer, channel: c.number, reason, code });
        return;
      }
    }
  }

  #setLifetime(now: number, lifetimeS: number): void {
    const ms = lifetimeS * 1000;
    this.#lifetimeS = lifetimeS;
    this.#expiresAt = now + ms;
    this.#refreshAt = now + Math.max(ms - REFRESH_MARGIN_MS, Math.floor(ms / 2));
  }

  #clearTables(): void {
    this.#permissions.clear();
    this.#channels.clear();
    this.#channelByPeer.clear();
    this.#queue.length = 0;
  }

  #end(state: 'closed' | 'failed', closeReason: TurnCloseReason | undefined, reason?: TurnFailureReason, code?: number): void {
    this.#clearTables();
    this.#tx.length = 0;
    this.#relayed = state === 'closed' ? this.#relayed : undefined;
    this.#state = state;
    if (state === 'failed') this.#emit({ type: 'failed', reason: reason ?? 'bad-response', code });
    else if (closeReason !== undefined) this.#emit({ type: 'closed', reason: closeReason });
  }

  #emit(e: TurnClientEvent): void {
    if (this.#events.length >= MAX_EVENTS) {
      this.#events.shift();
      this.counters.eventsDropped++;
    }
    this.#events.push(e);
  }
}
