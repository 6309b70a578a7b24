// Adapter: ENetPacketPeer — Godot's peer wrapper (docs/specs/godot-enet.md §6) over one
// peer slot of a HostCore. Becomes detached on disconnect, reset or host destroy.
import { monotonicNow } from '@meshpunch/base';
import type { HostCore } from '../core/host.js';
import type { Peer } from '../core/peer.js';
import { ENetError } from '../errors.js';
import { FLAG_ALLOWED, PeerState, PeerStatistic, type PeerStateCode, type PeerStatisticValue } from './enums.js';

/** What a peer wrapper needs from its connection (kept small to avoid an import cycle). */
export interface PeerOwner {
  /** The live core, or null once the connection is destroyed. */
  readonly coreOrNull: HostCore | null;
  /** Asks the connection to transmit soon (batched: once per event-loop turn). */
  scheduleFlush(): void;
  /** Transmits everything queued now (disconnect_now must leave before a destroy). */
  flushNow(): void;
  /** Forgets a wrapper that has become detached. */
  forget(peer: ENetPacketPeer): void;
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new ENetError('ERR_INVALID_PARAMETER', `${name} must be an integer ${lo}..${hi}, got ${String(v)}`, { argument: name, got: v, min: lo, max: hi });
  }
}

/** Accepts Godot's signed and unsigned views of a 32-bit value and returns the uint32. */
export function toU32(name: string, v: number): number {
  checkInt(name, v, -0x80000000, 0xffffffff);
  return v >>> 0;
}

/**
 * A remote peer of an ENetConnection (Godot ENetPacketPeer). Obtain it from
 * `connectToHost`, a `connect` event or `getPeers()`. Methods on a detached peer: `send`
 * returns false, getters return Godot's defaults (state DISCONNECTED), disconnects are no-ops.
 */
export class ENetPacketPeer {
  /** Free slot for the caller's own data (e.g. the multiplayer layer's Godot peer id). */
  meta: unknown = undefined;
  #owner: PeerOwner;
  #peer: Peer | null;
  #address: string;
  #port: number;
  #channels: number;

  /** @internal Created by ENetConnection only. */
  constructor(owner: PeerOwner, peer: Peer) {
    this.#owner = owner;
    this.#peer = peer;
    this.#address = peer.address;
    this.#port = peer.port;
    this.#channels = peer.channelCount;
  }

  /** @internal The core peer slot, or null when detached. */
  get corePeer(): Peer | null {
    return this.#peer;
  }

  /** @internal Detaches from the slot (disconnect event, reset, destroy). */
  detach(): void {
    if (this.#peer !== null) {
      this.#channels = this.#peer.channelCount || this.#channels;
      if (this.#peer.user === this) this.#peer.user = null;
    }
    this.#peer = null;
  }

  #core(): HostCore | null {
    return this.#peer === null ? null : this.#owner.coreOrNull;
  }

  /**
   * Queues `packet` (copied) on `channel` with `flags` (FLAG_RELIABLE | FLAG_UNSEQUENCED |
   * FLAG_UNRELIABLE_FRAGMENT). Returns true when queued, false when ENet refuses it (peer
   * detached or not CONNECTED, channel ≥ the negotiated count, larger than 32 MiB).
   * Transmission happens on the next event-loop turn, `flush()` or `service()`.
   * @throws ENetError ERR_INVALID_PARAMETER for a channel outside 0..254, unknown flags or a non-Uint8Array packet.
   */
  send(channel: number, packet: Uint8Array, flags: number): boolean {
    checkInt('channel', channel, 0, 254);
    if (!(packet instanceof Uint8Array)) throw new ENetError('ERR_INVALID_PARAMETER', `packet must be a Uint8Array, got ${typeof packet}`, { argument: 'packet' });
    if (!Number.isInteger(flags) || (flags & ~FLAG_ALLOWED) !== 0 || flags < 0) {
      throw new ENetError('ERR_INVALID_PARAMETER', `flags must be a combination of 1, 2 and 8, got ${String(flags)}`, { argument: 'flags', got: flags });
    }
    const core = this.#core();
    if (core === null) return false;
    const ok = core.send(this.#peer!, channel, packet, flags);
    if (ok) this.#owner.scheduleFlush();
    return ok;
  }

  /** Graceful disconnect: the remote gets `data` (uint32); a `disconnect` event follows here. */
  peerDisconnect(data = 0): void {
    const u = toU32('data', data);
    const core = this.#core();
    if (core === null) return;
    core.disconnect(this.#peer!, u);
    this.#afterStateChange();
  }

  /** Disconnects once everything queued has been delivered (state DISCONNECT_LATER meanwhile). */
  peerDisconnectLater(data = 0): void {
    const u = toU32('data', data);
    const core = this.#core();
    if (core === null) return;
    core.disconnectLater(this.#peer!, u);
    this.#afterStateChange();
  }

  /** Sends an unsequenced DISCONNECT now and resets; no local event. The wrapper detaches. */
  peerDisconnectNow(data = 0): void {
    const u = toU32('data', data);
    const core = this.#core();
    if (core === null) return;
    core.disconnectNow(this.#peer!, u);
    // libenet flushes the unsequenced DISCONNECT at once; so do we (a destroy() may follow).
    this.#owner.flushNow();
    this.#detachAndForget();
  }

  /** Queues a PING now (ENet also pings idle peers by itself). */
  /**
   * meshpunch extension (relay.md §3): the peer's datagrams now take another path; reliable
   * data in flight is sent again at once with its retransmission back-off reset (HostCore
   * retransmitNow). Nothing happens without a connected peer.
   */
  retransmitNow(): void {
    const core = this.#core();
    if (core === null) return;
    core.retransmitNow(monotonicNow(), this.#peer!);
    this.#owner.scheduleFlush();
  }

  ping(): void {
    const core = this.#core();
    if (core === null) return;
    core.ping(this.#peer!);
    this.#owner.scheduleFlush();
  }

  /** Idle ping interval in ms; 0 restores the 500 ms default. @throws ENetError ERR_INVALID_PARAMETER */
  pingInterval(ms: number): void {
    checkInt('ms', ms, 0, 0xffffffff);
    const core = this.#core();
    if (core !== null) core.pingInterval(this.#peer!, ms);
  }

  /** Silent reset: nothing is sent, the remote times out. The wrapper detaches. */
  reset(): void {
    const core = this.#core();
    if (core === null) return;
    core.resetPeer(this.#peer!);
    this.#detachAndForget();
  }

  /**
   * Packet throttle parameters (ms, and steps of PACKET_THROTTLE_SCALE); also sent to the
   * remote in THROTTLE_CONFIGURE. @throws ENetError ERR_INVALID_PARAMETER
   */
  throttleConfigure(interval: number, acceleration: number, deceleration: number): void {
    checkInt('interval', interval, 0, 0xffffffff);
    checkInt('acceleration', acceleration, 0, 0xffffffff);
    checkInt('deceleration', deceleration, 0, 0xffffffff);
    const core = this.#core();
    if (core === null) return;
    core.throttleConfigure(this.#peer!, interval, acceleration, deceleration);
    this.#owner.scheduleFlush();
  }

  /**
   * Timeout parameters: `limit` (RTO back-off multiple, default 32), `minMs` (5000), `maxMs`
   * (30000); 0 restores a default. Godot's rule: limit ≤ minMs ≤ maxMs.
   * @throws ENetError ERR_INVALID_PARAMETER when out of range or out of order.
   */
  setTimeout(limit: number, minMs: number, maxMs: number): void {
    checkInt('limit', limit, 0, 0xffffffff);
    checkInt('minMs', minMs, 0, 0xffffffff);
    checkInt('maxMs', maxMs, 0, 0xffffffff);
    if (limit > minMs || minMs > maxMs) {
      throw new ENetError('ERR_INVALID_PARAMETER', `setTimeout needs limit <= minMs <= maxMs, got ${limit}, ${minMs}, ${maxMs}`, { limit, minMs, maxMs });
    }
    const core = this.#core();
    if (core !== null) core.configureTimeout(this.#peer!, limit, minMs, maxMs);
  }

  /** The remote IP (IPv4 dotted quad, v4-mapped addresses shown as IPv4, or IPv6 text). */
  getRemoteAddress(): string {
    return this.#peer !== null ? this.#peer.address : this.#address;
  }

  getRemotePort(): number {
    return this.#peer !== null ? this.#peer.port : this.#port;
  }

  /** A raw ENet peer statistic (Godot PeerStatistic); 0 when detached. @throws ENetError ERR_INVALID_PARAMETER */
  getStatistic(stat: PeerStatisticValue | number): number {
    checkInt('stat', stat, 0, 13);
    const p = this.#peer;
    if (p === null) return 0;
    switch (stat) {
      case PeerStatistic.PACKET_LOSS: return p.packetLoss;
      case PeerStatistic.PACKET_LOSS_VARIANCE: return p.packetLossVariance;
      case PeerStatistic.PACKET_LOSS_EPOCH: return p.packetLossEpoch;
      case PeerStatistic.ROUND_TRIP_TIME: return p.roundTripTime;
      case PeerStatistic.ROUND_TRIP_TIME_VARIANCE: return p.roundTripTimeVariance;
      case PeerStatistic.LAST_ROUND_TRIP_TIME: return p.lastRoundTripTime;
      case PeerStatistic.LAST_ROUND_TRIP_TIME_VARIANCE: return p.lastRoundTripTimeVariance;
      case PeerStatistic.PACKET_THROTTLE: return p.packetThrottle;
      case PeerStatistic.PACKET_THROTTLE_LIMIT: return p.packetThrottleLimit;
      case PeerStatistic.PACKET_THROTTLE_COUNTER: return p.packetThrottleCounter;
      case PeerStatistic.PACKET_THROTTLE_EPOCH: return p.packetThrottleEpoch;
      case PeerStatistic.PACKET_THROTTLE_ACCELERATION: return p.packetThrottleAcceleration;
      case PeerStatistic.PACKET_THROTTLE_DECELERATION: return p.packetThrottleDeceleration;
      default: return p.packetThrottleInterval;
    }
  }

  /** Godot PeerState; DISCONNECTED when detached. */
  getState(): PeerStateCode {
    return (this.#peer === null ? PeerState.DISCONNECTED : this.#peer.state) as PeerStateCode;
  }

  /** Negotiated channel count (the requested count while connecting); last known when detached. */
  getChannels(): number {
    return this.#peer !== null ? this.#peer.channelCount : this.#channels;
  }

  /** Attached and not DISCONNECTED. */
  isActive(): boolean {
    return this.#peer !== null && this.#peer.state !== PeerState.DISCONNECTED;
  }

  #afterStateChange(): void {
    this.#owner.scheduleFlush();
    // A disconnect of a peer that was not yet connected sent its DISCONNECT and reset it at
    // once (no event follows).
    if (this.#peer !== null && this.#peer.state === PeerState.DISCONNECTED) {
      this.#owner.flushNow();
      this.#detachAndForget();
    }
  }

  #detachAndForget(): void {
    this.detach();
    this.#owner.forget(this);
  }
}
