// Sans-IO TURN server core for the RFC 8656 subset of relay.md §2(b) — core, docs/design.md §2 contract.
// Inputs: control-port datagrams (`handleDatagram`), relayed-port datagrams (`handleRelayDatagram`),
// `handleTimeout`, `portBound`/`portBindFailed`, `revokeMember`, `shutdown`. Outputs: `pollTransmit`
// (its `to.relayPort` says which socket sends: 0 = the control socket), `pollTimeout`, `pollEvent`
// (port bind/free requests, allocation lifecycle). The core never owns a socket.
//
// Allocation states: binding (Allocate authenticated, `bindPort` asked) ─portBound→ active (2xx sent)
//   ─Refresh(0) | lifetime over | revokeMember | shutdown→ gone (`freePort`, `allocationEnded`);
//   binding ─portBindFailed | portBindTimeoutMs→ gone (508).
// Timers: one named deadline, the sweep (every SWEEP_MS while anything exists) that expires
// allocations, permissions and channels; data-path checks compare expiries with `now` directly.
// Beside it: the allocations and their table (turn-allocations.ts), the outgoing datagrams
// (turn-transmit-queue.ts), the events and transmit targets (turn-server-events.ts), the counters
// (turn-server-counters.ts).
import { isStunMessage, decodeStunMessage, findAttribute, unknownRequiredAttributes, type StunMessage } from '../stun/message.js';
import { StunClass, StunMethod } from '../stun/constants.js';
import { getUsername, type StunAddress } from '../stun/attributes.js';
import { verifyFingerprint, verifyMessageIntegrity } from '../stun/integrity.js';
import { StunWriter } from '../stun/writer.js';
import type { TransportAddress } from '../stun/binding.js';
import {
  CHANNEL_DATA_HEADER,
  CHANNEL_LIFETIME_MS,
  CHANNEL_MAX,
  CHANNEL_MIN,
  PERMISSION_LIFETIME_MS,
  TRANSPORT_UDP,
  TurnAttr,
  TurnMethod,
} from './constants.js';
import {
  getChannelNumber,
  getData,
  getLifetime,
  getNonce,
  getRealm,
  getRequestedAddressFamily,
  getRequestedTransport,
  getXorPeerAddress,
  getXorPeerAddresses,
} from './attributes.js';
import { channelDataLength, readChannelData } from './channel-data.js';
import { longTermKey, parseTurnRestUsername, turnRestPassword } from './rest-credentials.js';
import { classifyPeerAddress } from './peer-address-policy.js';
import { RateBucket } from './rate-bucket.js';
import { StatelessNonce } from './stateless-nonce.js';
import { resolveTurnServerOptions, type TurnServerConfig, type TurnServerOptions } from './turn-server-config.js';
import { addChannel, AllocationTable, expireEntries, type Allocation, type Channel } from './turn-allocations.js';
import { codeLabel, methodLabel, newTurnServerCounters, type TurnServerCounters } from './turn-server-counters.js';
import type { TurnAllocationEndReason, TurnServerEvent, TurnTransmitParts, TurnTransmitTarget } from './turn-server-events.js';
import { TurnTransmitQueue } from './turn-transmit-queue.js';

export type { TurnServerConfig, TurnServerOptions };

/** Sweep interval, ms: allocations die within 1 s of expiry (relay.md §2(b) rule 2 asks ≤ 1 s after leaving; revocation itself is immediate). */
const SWEEP_MS = 1000;
/** Queued events cap; the oldest is dropped (counted) when nobody polls. */
const MAX_EVENTS = 4096;
/** Attributes this server understands (RFC 8489 §14: others < 0x8000 → 420). */
const KNOWN_ATTRIBUTES: readonly number[] = [
  TurnAttr.Username, TurnAttr.MessageIntegrity, TurnAttr.Realm, TurnAttr.Nonce, TurnAttr.Lifetime,
  TurnAttr.RequestedTransport, TurnAttr.XorPeerAddress, TurnAttr.Data, TurnAttr.ChannelNumber,
  TurnAttr.RequestedAddressFamily, TurnAttr.EvenPort, 0x0024 /* PRIORITY: harmless */, 0x001c /* MESSAGE-INTEGRITY-SHA256: we answer with SHA1 */,
  0x001d /* PASSWORD-ALGORITHM */, 0x001e /* USERHASH */,
];
const PERMISSION_MAX_PEERS_PER_REQUEST = 16;
const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 420: 'Unknown Attribute', 437: 'Allocation Mismatch',
  438: 'Stale Nonce', 440: 'Address Family not Supported', 441: 'Wrong Credentials', 442: 'Unsupported Transport Protocol',
  443: 'Peer Address Family Mismatch', 486: 'Allocation Quota Reached', 508: 'Insufficient Capacity',
};

/**
 * The embedded relay's TURN logic (relay.md §2(b)), driven by an adapter (`TurnRelayServer`), the
 * simulator or the fuzzer. See the file header for the input/output contract.
 */
export class TurnServerCore {
  readonly config: TurnServerConfig;
  readonly counters: TurnServerCounters = newTurnServerCounters();
  readonly #nonces: StatelessNonce;
  readonly #allocations = new AllocationTable();
  readonly #transmits: TurnTransmitQueue;
  readonly #events: TurnServerEvent[] = [];
  readonly #totalBytes: RateBucket;
  readonly #totalDatagrams: RateBucket;
  readonly #unauthenticated: RateBucket;
  #nextId = 1;
  #nextSweepAt: number | undefined = undefined;
  /** Writes every answer (into a scratch buffer; #finish copies it out). */
  readonly #writer = new StunWriter(new Uint8Array(1500));

  /**
   * @param now the core's clock at construction (rate buckets start full then).
   * @throws NatError ERR_INVALID_PARAMETER on bad options (see `resolveTurnServerOptions`).
   */
  constructor(options: TurnServerOptions, now = 0) {
    this.config = resolveTurnServerOptions(options);
    const key = new Uint8Array(20);
    this.config.random(key);
    this.#nonces = new StatelessNonce(key, this.config.nonceBucketMs, this.config.hmacSha1);
    this.#transmits = new TurnTransmitQueue({ maxQueued: this.config.maxQueuedTransmits, random: this.config.random, counters: this.counters });
    const c = this.config;
    this.#totalBytes = new RateBucket(c.bytesPerSecondTotal, Math.ceil(c.bytesPerSecondTotal / 4), now);
    this.#totalDatagrams = new RateBucket(c.datagramsPerSecondTotal, Math.ceil(c.datagramsPerSecondTotal / 4), now);
    this.#unauthenticated = new RateBucket(c.unauthenticatedPerSecond, c.unauthenticatedPerSecond, now);
  }

  /** Live allocations, pending port binds included (`_relay_allocations` gauge). */
  get allocations(): number {
    return this.#allocations.size;
  }

  /** Datagrams waiting for `pollTransmit`. */
  get queuedTransmits(): number {
    return this.#transmits.length;
  }

  /** Allocations of `member` (pending included). */
  allocationsOf(member: string): number {
    return this.#allocations.countOf(member);
  }

  /**
   * Offers a datagram received on the control port. Returns false, untouched and uncounted, for
   * STUN Binding messages (the caller's STUN responder answers those); true otherwise (consumed,
   * answered or dropped and counted).
   */
  handleDatagram(now: number, from: TransportAddress, bytes: Uint8Array): boolean {
    if (isStunMessage(bytes)) {
      const r = decodeStunMessage(bytes);
      if (!r.ok) {
        this.counters.dropped.malformed++;
        return true;
      }
      const m = r.message;
      if (m.method === StunMethod.Binding) return false;
      if (findAttribute(m, TurnAttr.Fingerprint) !== undefined && !verifyFingerprint(m)) {
        this.counters.dropped.malformed++;
        return true;
      }
      if (m.class === StunClass.Request) this.#handleRequest(now, from, m);
      else if (m.class === StunClass.Indication && m.method === TurnMethod.Send) this.#handleSend(now, from, m);
      else this.counters.dropped.malformed++;
      return true;
    }
    const channel = readChannelData(bytes);
    if (channel < 0) {
      this.counters.dropped.malformed++;
      return true;
    }
    const a = this.#allocations.atClient(from.address, from.port);
    const ch = a?.channels.get(channel);
    if (a === undefined || a.state !== 'active' || ch === undefined || ch.expiresAt <= now) {
      this.counters.dropped.unbound_channel++;
      return true;
    }
    const len = channelDataLength(bytes);
    this.#relayToPeer(now, a, ch.peerAddress, ch.peerPort, bytes.subarray(CHANNEL_DATA_HEADER, CHANNEL_DATA_HEADER + len));
    return true;
  }

  /**
   * Offers a datagram a peer sent to relayed port `relayPort`. It reaches the client only with a
   * live permission for the peer's IP (RFC 8656 §10.3), within the caps; never refreshes anything (§12.6).
   */
  handleRelayDatagram(now: number, relayPort: number, from: TransportAddress, bytes: Uint8Array): void {
    const a = this.#allocations.atRelayPort(relayPort);
    if (a === undefined || a.state !== 'active') {
      this.counters.dropped.no_permission++;
      return;
    }
    const p = a.permissions.get(from.address);
    if (p === undefined || p.expiresAt <= now) {
      this.counters.dropped.no_permission++;
      return;
    }
    if (bytes.length > 0xffff - 36) {
      this.counters.dropped.malformed++;
      return;
    }
    if (!this.#admit(now, a, a.toClientBytes, bytes.length)) return;
    const ch = a.channelByPeer.get(from.address)?.get(from.port);
    if (ch !== undefined && ch.expiresAt > now) {
      this.#transmits.push(1, a.clientAddress, a.clientPort, 0, bytes, ch.number, '', 0);
    } else {
      this.#transmits.push(2, a.clientAddress, a.clientPort, 0, bytes, 0, from.address, from.port);
    }
    this.counters.bytes.to_client += bytes.length;
    this.counters.datagrams.to_client++;
  }

  /** The adapter bound relayed port `port` for `allocation`: the Allocate success goes out. */
  portBound(now: number, allocation: number, port: number): void {
    const a = this.#allocations.byId(allocation);
    if (a === undefined || a.state !== 'binding') {
      // Too late (timed out, revoked): give the port back.
      this.#emit({ type: 'freePort', port });
      return;
    }
    if (a.evenPort && (port & 1) === 1) {
      this.#emit({ type: 'freePort', port });
      this.portBindFailed(now, allocation);
      return;
    }
    a.state = 'active';
    this.#allocations.setRelayPort(a, port);
    a.expiresAt = now + a.lifetimeS * 1000;
    const w = this.#writer.begin(StunClass.SuccessResponse, TurnMethod.Allocate, a.allocateTxid);
    w.addXorAddress(TurnAttr.XorRelayedAddress, this.config.relayAddress, port);
    w.addUint32(TurnAttr.Lifetime, a.lifetimeS);
    w.addXorAddress(TurnAttr.XorMappedAddress, a.clientAddress, a.clientPort);
    a.allocateResponse = this.#finish(w, a.key);
    this.#transmits.push(0, a.clientAddress, a.clientPort, 0, a.allocateResponse, 0, '', 0);
    this.counters.allocationsTotal.created++;
    this.counters.requests.allocate.ok++;
    this.#emit({
      type: 'allocationCreated', allocation: a.id, member: a.member,
      client: { address: a.clientAddress, port: a.clientPort }, relayedPort: port, lifetimeS: a.lifetimeS,
    });
  }

  /** The adapter could not bind a port for `allocation` (range exhausted): the client gets 508. */
  portBindFailed(now: number, allocation: number): void {
    const a = this.#allocations.byId(allocation);
    if (a === undefined || a.state !== 'binding') return;
    this.#allocations.remove(a);
    this.counters.allocationsTotal.capacity++;
    this.#error(now, { address: a.clientAddress, port: a.clientPort }, TurnMethod.Allocate, a.allocateTxid, 508, a.key);
  }

  /**
   * Ends every allocation of `member` now (relay.md §2(b) rule 2: the member left the lobby);
   * their ports are freed through `freePort` events. Returns how many ended.
   */
  revokeMember(now: number, member: string): number {
    const list = this.#allocations.ofMember(member);
    if (list === undefined) return 0;
    let n = 0;
    for (const a of list) {
      this.#end(a, 'member_left');
      n++;
    }
    void now;
    return n;
  }

  /** Ends every allocation ('shutdown') and forgets queued datagrams. */
  shutdown(now: number): void {
    for (const a of this.#allocations.all()) this.#end(a, 'shutdown');
    this.#transmits.clear();
    this.#nextSweepAt = undefined;
    void now;
  }

  /** Runs the sweep when due: expires allocations, permissions and channels. */
  handleTimeout(now: number): void {
    if (this.#nextSweepAt === undefined || now < this.#nextSweepAt) return;
    for (const a of this.#allocations.all()) {
      if (a.expiresAt <= now) {
        if (a.state === 'binding') {
          this.#allocations.remove(a);
          this.counters.allocationsTotal.capacity++;
          this.#error(now, { address: a.clientAddress, port: a.clientPort }, TurnMethod.Allocate, a.allocateTxid, 508, a.key);
        } else {
          this.#end(a, 'expired');
        }
        continue;
      }
      expireEntries(a, now);
    }
    this.#nextSweepAt = this.#allocations.size > 0 ? now + SWEEP_MS : undefined;
  }

  /** Encodes the next datagram into `out`, fills `to` (with the socket to send from), returns the length or 0. */
  pollTransmit(now: number, out: Uint8Array, to: TurnTransmitTarget): number {
    void now;
    return this.#transmits.pollTransmit(out, to);
  }

  /**
   * The zero-copy form of `pollTransmit` (the relay's data path, docs/design.md §5.6): returns the
   * next datagram's body and fills `to`, or undefined when nothing is queued. When `to.channel`
   * is not 0, the datagram is the 4-byte ChannelData header for that channel and the body's
   * length (`writeChannelDataHeader`) followed by the body. A body is either a view of the bytes
   * given to `handleDatagram`/`handleRelayDatagram` (relayed payloads: valid while the caller
   * does not reuse those bytes) or bytes made for this datagram alone (answers, Data
   * indications); the core never writes to it again.
   */
  pollTransmitParts(now: number, to: TurnTransmitParts): Uint8Array | undefined {
    void now;
    return this.#transmits.pollTransmitParts(to);
  }

  /** The sweep deadline (absolute ms), or undefined when nothing exists. */
  pollTimeout(): number | undefined {
    return this.#nextSweepAt;
  }

  /** The next event, or undefined. */
  pollEvent(): TurnServerEvent | undefined {
    return this.#events.shift();
  }

  // ---- requests ----

  #handleRequest(now: number, from: TransportAddress, m: StunMessage): void {
    const method = m.method;
    if (method !== TurnMethod.Allocate && method !== TurnMethod.Refresh && method !== TurnMethod.CreatePermission && method !== TurnMethod.ChannelBind) {
      this.counters.dropped.malformed++;
      return;
    }
    const unknown = unknownRequiredAttributes(m, KNOWN_ATTRIBUTES);
    if (unknown.length > 0) {
      this.#error(now, from, method, m.transactionId, 420, undefined, unknown);
      return;
    }
    // RFC 8489 §9.2.4 long-term credential checks, in order.
    const mi = findAttribute(m, TurnAttr.MessageIntegrity);
    if (mi === undefined) {
      this.#error(now, from, method, m.transactionId, 401, undefined);
      return;
    }
    const username = getUsername(m);
    const realm = getRealm(m);
    const nonce = getNonce(m);
    if (username === undefined || realm === undefined || nonce === undefined) {
      this.#error(now, from, method, m.transactionId, 400, undefined);
      return;
    }
    if (this.#nonces.check(now, from.address, nonce) !== 'fresh') {
      this.#error(now, from, method, m.transactionId, 438, undefined);
      return;
    }
    const parsed = parseTurnRestUsername(username);
    if (parsed === undefined || realm !== this.config.realm) {
      if (method === TurnMethod.Allocate) this.counters.allocationsTotal.auth++;
      this.#error(now, from, method, m.transactionId, 401, undefined);
      return;
    }
    const key = longTermKey(username, this.config.realm, turnRestPassword(this.config.secret, username, this.config.hmacSha1), this.config.md5);
    if (!verifyMessageIntegrity(m, key, this.config.hmacSha1)) {
      if (method === TurnMethod.Allocate) this.counters.allocationsTotal.auth++;
      this.#error(now, from, method, m.transactionId, 401, undefined);
      return;
    }
    if (!this.config.isMember(parsed.member)) {
      if (method === TurnMethod.Allocate) this.counters.allocationsTotal.membership++;
      this.#error(now, from, method, m.transactionId, 401, undefined);
      return;
    }
    if (method === TurnMethod.Allocate) {
      // The credential's TTL matters only here (relay.md §2(b): "needed only at Allocate"), as in coturn.
      if (parsed.expiresAtS * 1000 < this.config.unixMsAtZero + now) {
        this.counters.allocationsTotal.auth++;
        this.#error(now, from, method, m.transactionId, 401, undefined);
        return;
      }
      this.#allocate(now, from, m, username, parsed.member, key);
      return;
    }
    const a = this.#allocations.atClient(from.address, from.port);
    if (a === undefined || a.state !== 'active') {
      this.#error(now, from, method, m.transactionId, 437, key);
      return;
    }
    if (a.username !== username) {
      this.#error(now, from, method, m.transactionId, 441, key);
      return;
    }
    if (method === TurnMethod.Refresh) this.#refresh(now, from, m, a);
    else if (method === TurnMethod.CreatePermission) this.#createPermission(now, from, m, a);
    else this.#channelBind(now, from, m, a);
  }

  #allocate(now: number, from: TransportAddress, m: StunMessage, username: string, member: string, key: Uint8Array): void {
    const existing = this.#allocations.atClient(from.address, from.port);
    if (existing !== undefined) {
      if (bytesEqual(existing.allocateTxid, m.transactionId)) {
        // A retransmitted Allocate: answer again (RFC 8656 §7.2), or wait for the port bind.
        if (existing.allocateResponse !== undefined) this.#transmits.push(0, from.address, from.port, 0, existing.allocateResponse, 0, '', 0);
        return;
      }
      this.#error(now, from, TurnMethod.Allocate, m.transactionId, 437, key);
      return;
    }
    const transport = getRequestedTransport(m);
    if (transport === undefined) {
      this.#error(now, from, TurnMethod.Allocate, m.transactionId, 400, key);
      return;
    }
    if (transport !== TRANSPORT_UDP) {
      this.#error(now, from, TurnMethod.Allocate, m.transactionId, 442, key);
      return;
    }
    // EVEN-PORT (RFC 8656 §14.6; turnutils_uclient sends it): an even port, yes; reserving the
    // next one (R bit) is out of this subset, so such a request cannot be satisfied: 508.
    const even = findAttribute(m, TurnAttr.EvenPort);
    if (even !== undefined && (even.value.length < 1 || (even.value[0]! & 0x80) !== 0)) {
      this.counters.allocationsTotal.capacity++;
      this.#error(now, from, TurnMethod.Allocate, m.transactionId, even.value.length < 1 ? 400 : 508, key);
      return;
    }
    const family = getRequestedAddressFamily(m);
    if (family !== undefined && family !== 0x01) {
      this.#error(now, from, TurnMethod.Allocate, m.transactionId, 440, key);
      return;
    }
    if (this.allocationsOf(member) >= this.config.maxAllocationsPerMember) {
      this.counters.allocationsTotal.quota++;
      this.#error(now, from, TurnMethod.Allocate, m.transactionId, 486, key);
      return;
    }
    if (this.#allocations.size >= this.config.maxAllocations) {
      this.counters.allocationsTotal.capacity++;
      this.#error(now, from, TurnMethod.Allocate, m.transactionId, 508, key);
      return;
    }
    const c = this.config;
    const a: Allocation = {
      id: this.#nextId++,
      member,
      username,
      key,
      clientAddress: from.address,
      clientPort: from.port,
      allocateTxid: m.transactionId.slice(),
      state: 'binding',
      evenPort: even !== undefined,
      relayPort: 0,
      lifetimeS: this.#grantLifetime(getLifetime(m)),
      expiresAt: now + c.portBindTimeoutMs,
      allocateResponse: undefined,
      permissions: new Map(),
      channels: new Map(),
      channelByPeer: new Map(),
      toPeerBytes: new RateBucket(c.bytesPerSecondPerAllocation, Math.ceil(c.bytesPerSecondPerAllocation / 4), now),
      toClientBytes: new RateBucket(c.bytesPerSecondPerAllocation, Math.ceil(c.bytesPerSecondPerAllocation / 4), now),
      datagrams: new RateBucket(c.datagramsPerSecondPerAllocation, Math.ceil(c.datagramsPerSecondPerAllocation / 4), now),
    };
    this.#allocations.add(a);
    if (this.#nextSweepAt === undefined) this.#nextSweepAt = now + SWEEP_MS;
    this.#emit({ type: 'bindPort', allocation: a.id, evenPort: a.evenPort });
  }

  /** RFC 8656 §7.2: min(asked, max), but never under the default; absent → default. */
  #grantLifetime(asked: number | undefined): number {
    if (asked === undefined) return this.config.defaultLifetimeS;
    return Math.max(this.config.defaultLifetimeS, Math.min(asked, this.config.maxLifetimeS));
  }

  #refresh(now: number, from: TransportAddress, m: StunMessage, a: Allocation): void {
    const asked = getLifetime(m);
    const w = this.#writer.begin(StunClass.SuccessResponse, TurnMethod.Refresh, m.transactionId);
    if (asked === 0) {
      w.addUint32(TurnAttr.Lifetime, 0);
      this.#transmits.push(0, from.address, from.port, 0, this.#finish(w, a.key), 0, '', 0);
      this.counters.requests.refresh.ok++;
      this.#end(a, 'deleted');
      return;
    }
    a.lifetimeS = this.#grantLifetime(asked);
    a.expiresAt = now + a.lifetimeS * 1000;
    w.addUint32(TurnAttr.Lifetime, a.lifetimeS);
    this.#transmits.push(0, from.address, from.port, 0, this.#finish(w, a.key), 0, '', 0);
    this.counters.requests.refresh.ok++;
  }

  /** 0 when `ip` may be permitted for `a`, else the error code (443 family, 403 forbidden). */
  #peerVerdict(a: Allocation, ip: string): number {
    const v = classifyPeerAddress(ip, this.config);
    if (v === 'family') return 443;
    if (v === 'forbidden') return 403;
    return this.config.mayPermit(a.member, ip) ? 0 : 403;
  }

  #createPermission(now: number, from: TransportAddress, m: StunMessage, a: Allocation): void {
    const peers = getXorPeerAddresses(m, PERMISSION_MAX_PEERS_PER_REQUEST);
    if (peers === undefined || peers.length === 0) {
      this.#error(now, from, m.method, m.transactionId, 400, a.key);
      return;
    }
    let added = 0;
    for (const p of peers) {
      const code = this.#peerVerdict(a, p.address);
      if (code !== 0) {
        this.#error(now, from, m.method, m.transactionId, code, a.key);
        return;
      }
      if (!a.permissions.has(p.address)) added++;
    }
    if (a.permissions.size + added > this.config.maxPermissionsPerAllocation) {
      this.#error(now, from, m.method, m.transactionId, 508, a.key);
      return;
    }
    for (const p of peers) this.#permit(now, a, p);
    const w = this.#writer.begin(StunClass.SuccessResponse, TurnMethod.CreatePermission, m.transactionId);
    this.#transmits.push(0, from.address, from.port, 0, this.#finish(w, a.key), 0, '', 0);
    this.counters.requests.create_permission.ok++;
  }

  #permit(now: number, a: Allocation, p: StunAddress): void {
    const e = a.permissions.get(p.address);
    if (e) e.expiresAt = now + PERMISSION_LIFETIME_MS;
    else a.permissions.set(p.address, { expiresAt: now + PERMISSION_LIFETIME_MS });
  }

  #channelBind(now: number, from: TransportAddress, m: StunMessage, a: Allocation): void {
    const number = getChannelNumber(m);
    const peer = getXorPeerAddress(m);
    if (number === undefined || number < CHANNEL_MIN || number > CHANNEL_MAX || peer === undefined) {
      this.#error(now, from, m.method, m.transactionId, 400, a.key);
      return;
    }
    const code = this.#peerVerdict(a, peer.address);
    if (code !== 0) {
      this.#error(now, from, m.method, m.transactionId, code, a.key);
      return;
    }
    const bound = a.channels.get(number);
    const boundToPeer = a.channelByPeer.get(peer.address)?.get(peer.port);
    // RFC 8656 §12.2: a channel maps to one peer and a peer to one channel.
    if ((bound !== undefined && (bound.peerAddress !== peer.address || bound.peerPort !== peer.port)) ||
        (boundToPeer !== undefined && boundToPeer.number !== number)) {
      this.#error(now, from, m.method, m.transactionId, 400, a.key);
      return;
    }
    if ((bound === undefined && a.channels.size >= this.config.maxChannelsPerAllocation) ||
        (!a.permissions.has(peer.address) && a.permissions.size >= this.config.maxPermissionsPerAllocation)) {
      this.#error(now, from, m.method, m.transactionId, 508, a.key);
      return;
    }
    if (bound !== undefined) {
      bound.expiresAt = now + CHANNEL_LIFETIME_MS;
    } else {
      const ch: Channel = { number, peerAddress: peer.address, peerPort: peer.port, expiresAt: now + CHANNEL_LIFETIME_MS };
      addChannel(a, ch);
    }
    this.#permit(now, a, peer);
    const w = this.#writer.begin(StunClass.SuccessResponse, TurnMethod.ChannelBind, m.transactionId);
    this.#transmits.push(0, from.address, from.port, 0, this.#finish(w, a.key), 0, '', 0);
    this.counters.requests.channel_bind.ok++;
  }

  // ---- data path ----

  #handleSend(now: number, from: TransportAddress, m: StunMessage): void {
    const a = this.#allocations.atClient(from.address, from.port);
    if (a === undefined || a.state !== 'active') {
      this.counters.dropped.no_permission++;
      return;
    }
    const peer = getXorPeerAddress(m);
    const data = getData(m);
    if (peer === undefined || data === undefined) {
      this.counters.dropped.malformed++;
      return;
    }
    const p = a.permissions.get(peer.address);
    if (p === undefined || p.expiresAt <= now) {
      // A forbidden address can never hold a permission; say which case it was.
      if (classifyPeerAddress(peer.address, this.config) !== 'ok') this.counters.dropped.forbidden_peer++;
      else this.counters.dropped.no_permission++;
      return;
    }
    this.#relayToPeer(now, a, peer.address, peer.port, data);
  }

  #relayToPeer(now: number, a: Allocation, address: string, port: number, payload: Uint8Array): void {
    const p = a.permissions.get(address);
    if (p === undefined || p.expiresAt <= now) {
      this.counters.dropped.no_permission++;
      return;
    }
    if (!this.#admit(now, a, a.toPeerBytes, payload.length)) return;
    this.#transmits.push(0, address, port, a.relayPort, payload, 0, '', 0);
    this.counters.bytes.to_peer += payload.length;
    this.counters.datagrams.to_peer++;
  }

  /** All four caps (per-allocation direction bytes and datagrams, total bytes and datagrams) or drop. */
  #admit(now: number, a: Allocation, dirBytes: RateBucket, n: number): boolean {
    if (!dirBytes.has(now, n) || !a.datagrams.has(now, 1) || !this.#totalBytes.has(now, n) || !this.#totalDatagrams.has(now, 1)) {
      this.counters.dropped.over_rate++;
      return false;
    }
    dirBytes.take(n);
    a.datagrams.take(1);
    this.#totalBytes.take(n);
    this.#totalDatagrams.take(1);
    return true;
  }

  // ---- helpers ----

  #error(now: number, to: TransportAddress, method: number, txid: Uint8Array, code: number, key: Uint8Array | undefined, unknown?: number[]): void {
    this.counters.requests[methodLabel(method)][codeLabel(code)]++;
    // Answers that cost nothing to provoke (no valid MESSAGE-INTEGRITY) share one global budget.
    if (key === undefined) {
      const perSource = this.config.allowUnauthenticatedAnswer;
      if ((perSource !== undefined && !perSource(to.address, now)) || !this.#unauthenticated.has(now, 1)) {
        this.counters.unauthenticatedDropped++;
        return;
      }
      this.#unauthenticated.take(1);
    }
    const w = this.#writer.begin(StunClass.ErrorResponse, method, txid);
    w.addErrorCode(code, REASONS[code] ?? 'Error');
    if (unknown !== undefined) w.addUnknownAttributes(unknown.slice(0, 16));
    if (code === 401 || code === 438) {
      w.addString(TurnAttr.Realm, this.config.realm);
      w.addString(TurnAttr.Nonce, this.#nonces.mint(now, to.address));
    }
    this.#transmits.push(0, to.address, to.port, 0, this.#finish(w, key), 0, '', 0);
  }

  #finish(w: StunWriter, key: Uint8Array | undefined): Uint8Array {
    if (this.config.software !== undefined) w.addString(TurnAttr.Software, this.config.software);
    if (key !== undefined) w.addMessageIntegrity(key, this.config.hmacSha1);
    w.addFingerprint();
    return w.bytes().slice();
  }

  #end(a: Allocation, reason: TurnAllocationEndReason): void {
    const wasActive = a.state === 'active';
    this.#allocations.remove(a);
    if (!wasActive) return;
    this.counters.allocationsEnded[reason]++;
    this.#emit({ type: 'freePort', port: a.relayPort });
    this.#emit({ type: 'allocationEnded', allocation: a.id, member: a.member, relayedPort: a.relayPort, reason });
  }

  #emit(e: TurnServerEvent): void {
    if (this.#events.length >= MAX_EVENTS) {
      this.#events.shift();
      this.counters.eventsDropped++;
    }
    this.#events.push(e);
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}


