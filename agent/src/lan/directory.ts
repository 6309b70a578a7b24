// The LAN directory (adapter, issue #16): DNS-SD over mDNS with the `multicast-dns` library, one
// responder per LAN interface. It answers queries for `_meshpunch._tcp.local` with our advert,
// announces it when it changes, asks the LAN, and keeps the adverts it hears (bounded, aged).
//
// One socket per interface, each bound to 0.0.0.0:5353 (SO_REUSEADDR, as every mDNS responder)
// with its multicast membership and outgoing interface set to that interface's address: a LAN
// lab or a real LAN needs no route for 224.0.0.251, and a host advert names the address of the
// interface it went out on (a machine on two LANs tells each LAN its own address). Linux hands a
// multicast datagram to every socket of the port, so each responder keeps only what came from
// its own subnet.

import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import makeMdns from 'multicast-dns';
import type { Packet } from 'dns-packet';
import { AgentError } from '../errors.js';
import { isIpv4, isIpv6 } from '../core/endpoint.js';
import { ADVERT_TTL_S, advertRecords, asksForUs, parseAdverts, SERVICE_QUESTION, type AdvertDrop, type HeardAdvert, type LanAdvert } from './advert.js';

/** One LAN interface the directory runs on. */
export interface LanInterface {
  /** Interface name (eth0), the IPv6 scope. */
  readonly name: string;
  readonly address: string;
  /** IPv4 netmask (`255.255.255.0`); for IPv6 the prefix is not used. */
  readonly netmask: string;
}

/** Most adverts kept: a LAN party is ≤ 32 agents; more is someone flooding the link. */
export const MAX_ADVERTS = 256;
/** Most answers sent per second per interface (queries may come in floods). */
const MAX_ANSWERS_PER_S = 20;
/** The mDNS port and groups (RFC 6762). */
export const MDNS_PORT = 5353;
const MDNS_V4 = '224.0.0.251';
const MDNS_V6 = 'ff02::fb';

/**
 * The LAN interfaces to use: `bind` 0.0.0.0 (or ::) means every non-internal IPv4 interface;
 * a specific address means the interface that has it (IPv6: that one only).
 */
export function lanInterfaces(bind: string): LanInterface[] {
  const out: LanInterface[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const e of list ?? []) {
      if (e.internal) continue;
      const wildcard = bind === '0.0.0.0' || bind === '::';
      if (wildcard ? e.family === 'IPv4' : e.address === bind) out.push({ name, address: e.address, netmask: e.netmask });
    }
  }
  return out;
}

function seenKey(token: string, from: string): string {
  return `${token}|${from}`;
}

function v4(a: string): number {
  return a.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}

/** True when `from` is on the interface's subnet (IPv6: link-scoped, always). */
export function onSubnet(iface: LanInterface, from: string): boolean {
  if (isIpv6(iface.address)) return isIpv6(from);
  if (!isIpv4(from)) return false;
  const m = v4(iface.netmask);
  return ((v4(from) & m) >>> 0) === ((v4(iface.address) & m) >>> 0);
}

/** What the directory counted (bad input is counted, never thrown). */
export interface DirectoryCounters {
  packets: number;
  /** Datagrams the DNS decoder refused. */
  undecodable: number;
  /** From another subnet than the interface's. */
  offSubnet: number;
  answersSent: number;
  /** Answers not sent: the per-second limit. */
  answersLimited: number;
  drops: Partial<Record<AdvertDrop | 'cache-full', number>>;
}

interface Seen {
  advert: HeardAdvert;
  at: number;
  iface: LanInterface;
}

interface Responder {
  readonly iface: LanInterface;
  readonly mdns: makeMdns.MulticastDNS;
  windowStart: number;
  answersInWindow: number;
}

export interface DirectoryEvents {
  /** An advert arrived (new or refreshed). */
  advert: [advert: HeardAdvert, iface: LanInterface];
  /** An agent said goodbye (records with TTL 0). */
  goodbye: [token: string, from: string];
}

/** The mDNS side of a LAN agent or of `meshpunch lobbies --lan`. */
export class LanDirectory extends EventEmitter<DirectoryEvents> {
  readonly counters: DirectoryCounters = { packets: 0, undecodable: 0, offSubnet: 0, answersSent: 0, answersLimited: 0, drops: {} };
  private readonly responders: Responder[] = [];
  private readonly seen = new Map<string, Seen>();
  private own: LanAdvert | undefined = undefined;
  private closed = false;

  /** @param ownToken our token: our own adverts coming back (multicast loopback) are skipped. */
  private constructor(private readonly ownToken: string | undefined) {
    super();
  }

  /**
   * Opens one responder per interface and waits until each is bound.
   * @throws AgentError AGENT_LAN_FAILED when no interface is given or a socket cannot bind.
   */
  static async open(interfaces: readonly LanInterface[], ownToken?: string, port = MDNS_PORT): Promise<LanDirectory> {
    if (interfaces.length === 0) throw new AgentError('AGENT_LAN_FAILED', 'no LAN interface to look for lobbies on (none up besides loopback, or --bind names none)');
    const d = new LanDirectory(ownToken);
    try {
      await Promise.all(interfaces.map((iface) => d.addResponder(iface, port)));
    } catch (err) {
      d.close();
      throw err;
    }
    return d;
  }

  /** The interfaces in use. */
  get interfaces(): LanInterface[] {
    return this.responders.map((r) => r.iface);
  }

  private addResponder(iface: LanInterface, port: number): Promise<void> {
    const six = isIpv6(iface.address);
    const mdns = makeMdns(six
      // IPv6 multicast is per interface: `::%eth0` names it by scope for membership and sending.
      ? { type: 'udp6', ip: MDNS_V6, interface: `::%${iface.name}`, bind: '::', port }
      : { ip: MDNS_V4, interface: iface.address, bind: '0.0.0.0', port });
    const r: Responder = { iface, mdns, windowStart: 0, answersInWindow: 0 };
    this.responders.push(r);
    mdns.on('warning', () => {
      this.counters.undecodable++;
    });
    mdns.on('query', (q, rinfo) => this.onQuery(r, q, rinfo.address));
    mdns.on('response', (p, rinfo) => this.onResponse(r, p, rinfo.address));
    return new Promise((resolve, reject) => {
      mdns.once('ready', () => resolve());
      mdns.once('error', (err) => reject(err));
    });
  }

  private accept(r: Responder, from: string): boolean {
    this.counters.packets++;
    if (this.closed) return false;
    if (!onSubnet(r.iface, from.replace(/%.*$/, ''))) {
      this.counters.offSubnet++;
      return false;
    }
    return true;
  }

  private onQuery(r: Responder, q: Packet, from: string): void {
    if (!this.accept(r, from) || this.own === undefined) return;
    if (asksForUs(q.questions, this.own.token)) this.answer(r);
  }

  private answer(r: Responder, ttl = ADVERT_TTL_S): void {
    if (this.own === undefined) return;
    const now = performance.now();
    if (now - r.windowStart >= 1000) {
      r.windowStart = now;
      r.answersInWindow = 0;
    }
    if (ttl > 0 && r.answersInWindow >= MAX_ANSWERS_PER_S) {
      this.counters.answersLimited++;
      return;
    }
    r.answersInWindow++;
    this.counters.answersSent++;
    // A host advert names the address of the interface it goes out on.
    const mine = this.own.role === 'host' ? { ...this.own, address: r.iface.address } : this.own;
    r.mdns.respond({ answers: advertRecords(mine, ttl) }, () => undefined);
  }

  private onResponse(r: Responder, p: Packet, from: string): void {
    if (!this.accept(r, from)) return;
    const parsed = parseAdverts(p, from.replace(/%.*$/, ''));
    for (const d of parsed.drops) this.counters.drops[d] = (this.counters.drops[d] ?? 0) + 1;
    const sender = from.replace(/%.*$/, '');
    for (const token of parsed.goodbyes) {
      if (token === this.ownToken) continue;
      this.seen.delete(seenKey(token, sender));
      this.emit('goodbye', token, sender);
    }
    for (const a of parsed.adverts) {
      if (a.token === this.ownToken) continue;
      // Keyed by token and sender: another machine cannot overwrite (or say goodbye for) an advert.
      const key = seenKey(a.token, a.from);
      if (!this.seen.has(key) && this.seen.size >= MAX_ADVERTS) {
        this.expire();
        if (this.seen.size >= MAX_ADVERTS) {
          this.counters.drops['cache-full'] = (this.counters.drops['cache-full'] ?? 0) + 1;
          continue;
        }
      }
      this.seen.set(key, { advert: a, at: performance.now(), iface: r.iface });
      this.emit('advert', a, r.iface);
    }
  }

  private expire(): void {
    const old = performance.now() - ADVERT_TTL_S * 1000;
    for (const [t, s] of this.seen) if (s.at < old) this.seen.delete(t);
  }

  /** Sets what we answer with and announces it (undefined: say goodbye and answer nothing). */
  advertise(advert: LanAdvert | undefined): void {
    if (this.closed) return;
    if (advert === undefined) {
      if (this.own !== undefined) for (const r of this.responders) this.answer(r, 0);
      this.own = undefined;
      return;
    }
    this.own = advert;
    for (const r of this.responders) this.answer(r);
  }

  /** The advert we answer with. */
  get advertised(): LanAdvert | undefined {
    return this.own;
  }

  /** Asks every interface's LAN for meshpunch agents. */
  query(): void {
    if (this.closed) return;
    for (const r of this.responders) r.mdns.query({ questions: [{ ...SERVICE_QUESTION }] }, () => undefined);
  }

  /** Adverts heard within the last `maxAgeMs` (default: the records' TTL), newest first. */
  adverts(maxAgeMs = ADVERT_TTL_S * 1000): HeardAdvert[] {
    const since = performance.now() - maxAgeMs;
    return [...this.seen.values()].filter((s) => s.at >= since).sort((a, b) => b.at - a.at).map((s) => s.advert);
  }

  /** Forgets an advert (its host is gone; a fresh answer brings it back). */
  forget(a: HeardAdvert): void {
    this.seen.delete(seenKey(a.token, a.from));
  }

  /** Says goodbye for our advert and closes every socket (idempotent). */
  close(): void {
    if (this.closed) return;
    this.advertise(undefined);
    this.closed = true;
    // The goodbye datagrams are queued on the sockets; destroy after they went out.
    for (const r of this.responders) setTimeout(() => r.mdns.destroy(), 20).unref();
    this.removeAllListeners();
  }
}
