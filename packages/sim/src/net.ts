// Simulated UDP network: one event queue ordered by (deliverAt, seq), realms joined by gateways
// (NAT boxes), per-sender link conditions and explicit faults. No real timers or promises.
import { Prng } from './prng.js';
import { endpointKey, type Endpoint } from './endpoint.js';
import { SimError } from './errors.js';

/** Impairment applied to every datagram a sender emits (uplink view). */
export interface LinkConditions {
  /** One-way delay in ms. */
  latencyMs: number;
  /** Extra uniform delay 0..jitterMs; jitter larger than the send interval reorders. */
  jitterMs: number;
  /** Probability 0..1 that a datagram is lost. */
  loss: number;
  /** Probability 0..1 that a datagram is delivered twice. */
  duplicate: number;
  /** Probability 0..1 that a datagram is held back an extra `reorderDelayMs`. */
  reorder: number;
  reorderDelayMs: number;
  /** Datagrams larger than this (bytes of UDP payload) are dropped. */
  mtu: number;
}

export const PERFECT_LINK: Readonly<LinkConditions> = Object.freeze({
  latencyMs: 1, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0, reorderDelayMs: 0, mtu: 65507,
});

export interface Datagram {
  /** Short id for traces. */
  id: number;
  from: Endpoint;
  to: Endpoint;
  bytes: Uint8Array;
}

/** Something bound to an address:port that receives datagrams. */
export type Receiver = (now: number, dg: Datagram) => void;

/**
 * A box between an inside realm and the realm its public address lives in (a NAT or a router).
 * `outbound` translates a datagram leaving the inside realm, `inbound` one arriving at the public
 * address; either returns undefined to drop (and should count why).
 */
export interface Gateway {
  readonly insideRealm: string;
  readonly outsideRealm: string;
  readonly publicAddress: string;
  outbound(now: number, dg: Datagram): Datagram | undefined;
  inbound(now: number, dg: Datagram): Datagram | undefined;
}

interface Pending {
  at: number;
  seq: number;
  dg: Datagram;
}

export interface SimNetOptions {
  prng?: Prng;
  defaultLink?: Partial<LinkConditions>;
  /** Print every hop (also on when MESHPUNCH_TRACE=1). */
  trace?: boolean;
  /** Upper bound on queued datagrams; beyond it new datagrams are dropped and counted. */
  maxQueued?: number;
}

export interface SimNetCounters {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  droppedMtu: number;
  droppedFault: number;
  droppedNoRoute: number;
  droppedGateway: number;
  droppedQueueFull: number;
}

/** Max hops through nested gateways before a datagram is declared looping. */
const MAX_HOPS = 8;

export class SimNet {
  readonly prng: Prng;
  readonly counters: SimNetCounters = {
    sent: 0, delivered: 0, lost: 0, duplicated: 0, droppedMtu: 0, droppedFault: 0,
    droppedNoRoute: 0, droppedGateway: 0, droppedQueueFull: 0,
  };
  /** Last trace lines, kept for failure reports even when tracing is off. */
  readonly traceTail: string[] = [];
  #trace: boolean;
  #queue: Pending[] = [];
  #seq = 0;
  #nextId = 1;
  #maxQueued: number;
  #defaultLink: LinkConditions;
  #links = new Map<string, LinkConditions>();
  #receivers = new Map<string, Receiver>();
  #realmOf = new Map<string, string>();
  #gatewaysByInside = new Map<string, Gateway>();
  #gatewaysByPublic = new Map<string, Gateway>();
  #dropNext = new Map<string, number>();
  #cut = new Set<string>();
  #held = new Map<string, Datagram[] | null>();

  constructor(options: SimNetOptions = {}) {
    this.prng = options.prng ?? new Prng(1);
    this.#defaultLink = { ...PERFECT_LINK, ...options.defaultLink };
    this.#trace = options.trace ?? process.env.MESHPUNCH_TRACE === '1';
    this.#maxQueued = options.maxQueued ?? 1_000_000;
  }

  /** Puts an address in a realm ("internet", "lan-a", …). Unknown addresses are in "internet". */
  addHost(address: string, realm = 'internet'): void {
    this.#realmOf.set(address, realm);
  }

  /** Joins two realms through a gateway; its public address joins the outside realm. */
  addGateway(gateway: Gateway): void {
    this.#gatewaysByInside.set(gateway.insideRealm, gateway);
    this.#gatewaysByPublic.set(gateway.publicAddress, gateway);
    this.#realmOf.set(gateway.publicAddress, gateway.outsideRealm);
  }

  realmOf(address: string): string {
    return this.#realmOf.get(address) ?? 'internet';
  }

  bind(address: string, port: number, receiver: Receiver): void {
    const key = endpointKey(address, port);
    if (this.#receivers.has(key)) throw new SimError('ERR_ALREADY_IN_USE', `${key} is already bound`);
    this.#receivers.set(key, receiver);
  }

  unbind(address: string, port: number): void {
    this.#receivers.delete(endpointKey(address, port));
  }

  isBound(address: string, port: number): boolean {
    return this.#receivers.has(endpointKey(address, port));
  }

  /** Sets the impairment for datagrams sent from `address` (all ports). */
  setLink(address: string, link: Partial<LinkConditions>): void {
    this.#links.set(address, { ...this.#defaultLink, ...this.#links.get(address), ...link });
  }

  setDefaultLink(link: Partial<LinkConditions>): void {
    this.#defaultLink = { ...this.#defaultLink, ...link };
  }

  /** Drops the next `n` datagrams sent from `address`. */
  dropNext(address: string, n: number): void {
    this.#dropNext.set(address, (this.#dropNext.get(address) ?? 0) + n);
  }

  /** Cuts (or restores) everything sent from `address`. */
  cut(address: string, isCut = true): void {
    if (isCut) this.#cut.add(address);
    else this.#cut.delete(address);
  }

  /** Holds datagrams sent from `address` until `release`. */
  hold(address: string): void {
    if (!this.#held.get(address)) this.#held.set(address, []);
  }

  /** Releases held datagrams from `address` (they enter the network at `now`). */
  release(now: number, address: string): void {
    const held = this.#held.get(address);
    this.#held.delete(address);
    if (held) for (const dg of held) this.#schedule(now, dg);
  }

  /** A sender emits a datagram at `now`; the bytes are copied. */
  send(now: number, from: Endpoint, to: Endpoint, bytes: Uint8Array): void {
    this.counters.sent++;
    const dg: Datagram = {
      id: this.#nextId++,
      from: { address: from.address, port: from.port },
      to: { address: to.address, port: to.port },
      bytes: bytes.slice(),
    };
    const drops = this.#dropNext.get(from.address) ?? 0;
    if (drops > 0) {
      this.#dropNext.set(from.address, drops - 1);
      this.counters.droppedFault++;
      this.#log(now, dg, 'dropped (fault)');
      return;
    }
    if (this.#cut.has(from.address)) {
      this.counters.droppedFault++;
      this.#log(now, dg, 'dropped (cut)');
      return;
    }
    const held = this.#held.get(from.address);
    if (held) {
      held.push(dg);
      this.#log(now, dg, 'held');
      return;
    }
    this.#schedule(now, dg);
  }

  #schedule(now: number, dg: Datagram): void {
    const link = this.#links.get(dg.from.address) ?? this.#defaultLink;
    if (dg.bytes.length > link.mtu) {
      this.counters.droppedMtu++;
      this.#log(now, dg, 'dropped (mtu)');
      return;
    }
    if (this.prng.chance(link.loss)) {
      this.counters.lost++;
      this.#log(now, dg, 'lost');
      return;
    }
    const copies = this.prng.chance(link.duplicate) ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (this.#queue.length >= this.#maxQueued) {
        this.counters.droppedQueueFull++;
        return;
      }
      let at = now + link.latencyMs;
      if (link.jitterMs > 0) at += this.prng.int(0, link.jitterMs);
      if (this.prng.chance(link.reorder)) at += link.reorderDelayMs;
      this.#push({ at, seq: this.#seq++, dg });
      this.#log(now, dg, `in flight, due ${at}`);
    }
  }

  /** Time of the next delivery, or undefined when the network is idle. */
  nextDeliveryAt(): number | undefined {
    return this.#queue.length > 0 ? this.#queue[0]!.at : undefined;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Delivers every datagram due at or before `now`; returns how many were handed to receivers. */
  deliverDue(now: number): number {
    let n = 0;
    while (this.#queue.length > 0 && this.#queue[0]!.at <= now) {
      const item = this.#pop()!;
      if (this.#route(item.at, item.dg, this.realmOf(item.dg.from.address), 0)) n++;
    }
    return n;
  }

  /** Walks a datagram through gateways to its receiver; `realm` is where the datagram is now. */
  #route(now: number, dg: Datagram, realm: string, hops: number): boolean {
    if (hops > MAX_HOPS) {
      this.counters.droppedNoRoute++;
      this.#log(now, dg, 'dropped (routing loop)');
      return false;
    }
    const inbound = this.#gatewaysByPublic.get(dg.to.address);
    if (inbound && inbound.outsideRealm === realm) {
      const inner = inbound.inbound(now, dg);
      if (!inner) return this.#gatewayDrop(now, dg, inbound, 'inbound');
      this.#log(now, inner, `through ${inbound.publicAddress} inbound`);
      return this.#route(now, inner, inbound.insideRealm, hops + 1);
    }
    if (!inbound && this.realmOf(dg.to.address) === realm) return this.#deliver(now, dg);
    // Leaving this realm through its gateway; a hairpin comes back in through `inbound` above.
    const out = this.#gatewaysByInside.get(realm);
    if (out) {
      const outer = out.outbound(now, dg);
      if (!outer) return this.#gatewayDrop(now, dg, out, 'outbound');
      this.#log(now, outer, `through ${out.publicAddress} outbound`);
      return this.#route(now, outer, out.outsideRealm, hops + 1);
    }
    this.counters.droppedNoRoute++;
    this.#log(now, dg, 'dropped (no route)');
    return false;
  }

  #gatewayDrop(now: number, dg: Datagram, gw: Gateway, dir: string): boolean {
    this.counters.droppedGateway++;
    this.#log(now, dg, `dropped by ${gw.publicAddress} (${dir})`);
    return false;
  }

  #deliver(now: number, dg: Datagram): boolean {
    const rx = this.#receivers.get(endpointKey(dg.to.address, dg.to.port));
    if (!rx) {
      this.counters.droppedNoRoute++;
      this.#log(now, dg, 'dropped (port unreachable)');
      return false;
    }
    this.counters.delivered++;
    this.#log(now, dg, 'delivered');
    rx(now, dg);
    return true;
  }

  #log(now: number, dg: Datagram, verdict: string): void {
    const line = `${now}ms #${dg.id} ${endpointKey(dg.from.address, dg.from.port)} -> ${endpointKey(dg.to.address, dg.to.port)} ${dg.bytes.length}B ${verdict}`;
    if (this.#trace) console.log(line);
    this.traceTail.push(line);
    if (this.traceTail.length > 200) this.traceTail.splice(0, 100);
  }

  // Binary heap on (at, seq): stable order for equal delivery times.
  #push(p: Pending): void {
    const q = this.#queue;
    q.push(p);
    let i = q.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(q[i]!, q[parent]!)) break;
      [q[i], q[parent]] = [q[parent]!, q[i]!];
      i = parent;
    }
  }

  #pop(): Pending | undefined {
    const q = this.#queue;
    if (q.length === 0) return undefined;
    const top = q[0]!;
    const last = q.pop()!;
    if (q.length > 0) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && less(q[l]!, q[m]!)) m = l;
        if (r < q.length && less(q[r]!, q[m]!)) m = r;
        if (m === i) break;
        [q[i], q[m]] = [q[m]!, q[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
