// The TURN server core's allocations (core): what one holds, the table that finds it by client
// 5-tuple, id, relayed port and member, and the expiry of its permissions and channels.
import type { RateBucket } from './rate-bucket.js';

/** A permission for one peer IP (RFC 8656 §9). */
export interface Permission {
  expiresAt: number;
}

/** A channel bound to one peer transport address (RFC 8656 §12). */
export interface Channel {
  readonly number: number;
  readonly peerAddress: string;
  readonly peerPort: number;
  expiresAt: number;
}

/** One allocation: its 5-tuple, credentials, relayed port, lifetime, permissions, channels and rate caps. */
export interface Allocation {
  readonly id: number;
  readonly member: string;
  readonly username: string;
  readonly key: Uint8Array;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly allocateTxid: Uint8Array;
  state: 'binding' | 'active';
  readonly evenPort: boolean;
  relayPort: number;
  lifetimeS: number;
  /** For 'binding': the port-bind deadline; for 'active': the allocation's expiry. */
  expiresAt: number;
  /** The success response, kept to answer a retransmitted Allocate (RFC 8656 §7.2). */
  allocateResponse: Uint8Array | undefined;
  readonly permissions: Map<string, Permission>;
  readonly channels: Map<number, Channel>;
  readonly channelByPeer: Map<string, Map<number, Channel>>;
  readonly toPeerBytes: RateBucket;
  readonly toClientBytes: RateBucket;
  readonly datagrams: RateBucket;
}

/** Removes the permissions and channels of `a` whose lifetime is over at `now`. */
export function expireEntries(a: Allocation, now: number): void {
  for (const [ip, p] of a.permissions) if (p.expiresAt <= now) a.permissions.delete(ip);
  for (const [n, c] of a.channels) {
    if (c.expiresAt <= now) {
      a.channels.delete(n);
      const byPort = a.channelByPeer.get(c.peerAddress);
      byPort?.delete(c.peerPort);
      if (byPort?.size === 0) a.channelByPeer.delete(c.peerAddress);
    }
  }
}

/** Binds a new channel of `a` (RFC 8656 §12.2: the caller checked neither side is bound elsewhere). */
export function addChannel(a: Allocation, ch: Channel): void {
  a.channels.set(ch.number, ch);
  let byPort = a.channelByPeer.get(ch.peerAddress);
  if (byPort === undefined) a.channelByPeer.set(ch.peerAddress, (byPort = new Map()));
  byPort.set(ch.peerPort, ch);
}

/** Every live allocation (pending port binds included), indexed the ways the server looks them up. */
export class AllocationTable {
  /** client IP → client port → allocation (the 5-tuple; one transport, one server address). */
  readonly #byClient = new Map<string, Map<number, Allocation>>();
  readonly #byId = new Map<number, Allocation>();
  readonly #byRelayPort = new Map<number, Allocation>();
  readonly #byMember = new Map<string, Set<Allocation>>();

  get size(): number {
    return this.#byId.size;
  }

  byId(id: number): Allocation | undefined {
    return this.#byId.get(id);
  }

  /** The allocation of the client at `address:port`. */
  atClient(address: string, port: number): Allocation | undefined {
    return this.#byClient.get(address)?.get(port);
  }

  /** The active allocation relaying on `port`. */
  atRelayPort(port: number): Allocation | undefined {
    return this.#byRelayPort.get(port);
  }

  /** Allocations of `member` (pending included). */
  countOf(member: string): number {
    return this.#byMember.get(member)?.size ?? 0;
  }

  /** A copy of the allocations of `member` (safe to end while iterating). */
  ofMember(member: string): Allocation[] | undefined {
    const set = this.#byMember.get(member);
    return set === undefined ? undefined : [...set];
  }

  /** A copy of every allocation (safe to end while iterating). */
  all(): Allocation[] {
    return [...this.#byId.values()];
  }

  add(a: Allocation): void {
    this.#byId.set(a.id, a);
    let byPort = this.#byClient.get(a.clientAddress);
    if (byPort === undefined) this.#byClient.set(a.clientAddress, (byPort = new Map()));
    byPort.set(a.clientPort, a);
    let set = this.#byMember.get(a.member);
    if (set === undefined) this.#byMember.set(a.member, (set = new Set()));
    set.add(a);
  }

  /** `a` got its relayed port. */
  setRelayPort(a: Allocation, port: number): void {
    a.relayPort = port;
    this.#byRelayPort.set(port, a);
  }

  /** Forgets `a` everywhere and clears its permissions and channels. */
  remove(a: Allocation): void {
    this.#byId.delete(a.id);
    const byPort = this.#byClient.get(a.clientAddress);
    byPort?.delete(a.clientPort);
    if (byPort?.size === 0) this.#byClient.delete(a.clientAddress);
    const set = this.#byMember.get(a.member);
    set?.delete(a);
    if (set?.size === 0) this.#byMember.delete(a.member);
    if (a.relayPort !== 0) this.#byRelayPort.delete(a.relayPort);
    a.permissions.clear();
    a.channels.clear();
    a.channelByPeer.clear();
  }
}
