// DtlsServer: DTLS 1.2 sessions for many remotes on one socket (core, sans-IO). A source gets
// per-source state only after it echoes a valid cookie (RFC 6347 §4.2.1), so a flood of spoofed
// ClientHellos costs one HMAC and one HelloVerifyRequest each and leaves nothing behind.
import { CookieJar, encodeHelloVerifyDatagram, looksLikeClientHello, parseInitialClientHello } from './cookie.js';
import { resolveDtlsOptions, type DtlsConfig, type DtlsOptions } from './options.js';
import type { RecordView } from './record.js';
import { DtlsSession, type DtlsEndpoint, type DtlsEvent } from './session.js';
import { DtlsError } from '../errors.js';

export interface DtlsServerOptions extends Omit<DtlsOptions, 'role'> {
  /** Sessions held at once (handshaking or connected); further valid hellos are dropped and counted. Default 1024. */
  maxSessions?: number;
  /** Cookie secret lifetime (ms); a cookie stays valid for up to two lifetimes. Default 60000. */
  cookieLifetimeMs?: number;
  /** HelloVerifyRequests waiting for pollTransmit; beyond it hellos are dropped and counted. Default 64. */
  maxPendingHelloVerify?: number;
  /**
   * Sources whose return path the caller has proven itself, e.g. by a connectivity check answered
   * under a shared secret (the agent's punch, docs/security.md "Link encryption"). Their first
   * ClientHello is answered without the HelloVerifyRequest round trip: the cookie proves exactly
   * that return path (RFC 6347 §4.2.1), so it would prove it twice. Only once per source and only
   * while it has no session: any later hello from it (a restart, or a spoofed copy racing the
   * real one) needs a cookie as usual, so a spoofer can neither replace a session nor make the
   * server answer more than one flight toward the proven address.
   */
  cookieExempt?: (address: string, port: number) => boolean;
}

/** A session event with the remote it concerns. */
export type DtlsServerEvent = DtlsEvent & { remote: DtlsEndpoint; session: DtlsSession };

export interface DtlsServerCounters {
  datagramsReceived: number;
  helloVerifyRequestsSent: number;
  helloVerifyDropped: number;
  cookiesInvalid: number;
  clientHellosMalformed: number;
  sessionsCreated: number;
  sessionsReplaced: number;
  sessionsRefusedFull: number;
  datagramsWithoutSession: number;
  /** Sessions started without a cookie round trip for a source `cookieExempt` vouched for. */
  cookiesWaived: number;
}

interface PendingHvr {
  address: string;
  port: number;
  bytes: Uint8Array;
}

function key(address: string, port: number): string {
  return `${address}|${port}`;
}

export class DtlsServer {
  readonly config: DtlsConfig;
  readonly counters: DtlsServerCounters = {
    datagramsReceived: 0, helloVerifyRequestsSent: 0, helloVerifyDropped: 0, cookiesInvalid: 0, clientHellosMalformed: 0,
    sessionsCreated: 0, sessionsReplaced: 0, sessionsRefusedFull: 0, datagramsWithoutSession: 0, cookiesWaived: 0,
  };
  readonly #maxSessions: number;
  readonly #maxPendingHvr: number;
  readonly #cookies: CookieJar;
  readonly #cookieExempt: ((address: string, port: number) => boolean) | undefined;
  /** Sources that already had their one cookie-less hello (bounded by maxSessions). */
  readonly #waived = new Set<string>();
  readonly #sessions = new Map<string, DtlsSession>();
  /** Sessions with datagrams waiting, in the order they became ready. */
  readonly #ready = new Set<DtlsSession>();
  #hvr: PendingHvr[] = [];
  #events: DtlsServerEvent[] = [];
  #eventsHead = 0;
  readonly #rec: RecordView = { type: 0, version: 0, epoch: 0, seq: 0, header: new Uint8Array(0), fragment: new Uint8Array(0) };
  /** The session the last datagram came from: bulk traffic comes from one remote at a time, so most datagrams skip building the map key. */
  #lastFrom: DtlsSession | undefined = undefined;

  /** @throws DtlsError ERR_INVALID_PARAMETER / ERR_UNCONFIGURED (a server needs an identity). */
  constructor(options: DtlsServerOptions) {
    const { maxSessions, cookieLifetimeMs, maxPendingHelloVerify, cookieExempt, ...rest } = options;
    this.config = resolveDtlsOptions({ ...rest, role: 'server' });
    this.#maxSessions = intIn('maxSessions', maxSessions, 1, 1_000_000, 1024);
    this.#maxPendingHvr = intIn('maxPendingHelloVerify', maxPendingHelloVerify, 1, 100_000, 64);
    this.#cookies = new CookieJar(this.config.crypto, this.config.random, intIn('cookieLifetimeMs', cookieLifetimeMs, 1000, 86_400_000, 60_000));
    if (cookieExempt !== undefined && typeof cookieExempt !== 'function') throw new DtlsError('ERR_INVALID_PARAMETER', `cookieExempt must be a function, got ${typeof cookieExempt}`);
    this.#cookieExempt = cookieExempt;
  }

  /** Sessions currently held (handshaking or connected). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  session(address: string, port: number): DtlsSession | undefined {
    return this.#sessions.get(key(address, port));
  }

  /** Feeds one datagram from `from`. Never throws on bad input. */
  handleDatagram(now: number, from: DtlsEndpoint, bytes: Uint8Array): void {
    this.counters.datagramsReceived++;
    let s = this.#lastFrom;
    if (s === undefined || s.remote.port !== from.port || s.remote.address !== from.address) {
      s = this.#sessions.get(key(from.address, from.port));
      this.#lastFrom = s;
    }
    if (looksLikeClientHello(bytes) && (s === undefined || s.state !== 'handshaking')) {
      const created = this.#statelessHello(now, from, bytes, s);
      if (created === undefined) return;
      s = created;
    }
    if (s === undefined) {
      this.counters.datagramsWithoutSession++;
      return;
    }
    s.handleDatagram(now, from, bytes);
    this.#collect(s);
  }

  /**
   * handleDatagram's hot path for a connected remote's application data (one record per
   * datagram, DtlsSession.openApplicationData): the plaintext, decrypted in place in `bytes`; null
   * when it was dropped (counted); undefined when handleDatagram must take the datagram (nothing
   * done). Also undefined while events wait, so data never overtakes an earlier event.
   */
  openFrom(from: DtlsEndpoint, bytes: Uint8Array): Uint8Array | null | undefined {
    if (this.#eventsHead < this.#events.length) return undefined;
    let s = this.#lastFrom;
    if (s === undefined || s.remote.port !== from.port || s.remote.address !== from.address) {
      s = this.#sessions.get(key(from.address, from.port));
      if (s === undefined) return undefined;
      this.#lastFrom = s;
    }
    const plain = s.openApplicationData(bytes);
    if (plain !== undefined) this.counters.datagramsReceived++;
    return plain;
  }

  /** Answers a hello without a valid cookie statelessly; returns a new session for one with a valid cookie. */
  #statelessHello(now: number, from: DtlsEndpoint, bytes: Uint8Array, existing: DtlsSession | undefined): DtlsSession | undefined {
    const parsed = parseInitialClientHello(bytes, this.#rec);
    if (parsed === undefined) {
      this.counters.clientHellosMalformed++;
      return undefined;
    }
    const { hello } = parsed;
    if (existing === undefined && hello.cookie.length === 0 && this.#waiveCookie(from)) return this.#startSession(now, from);
    if (hello.cookie.length === 0 || !this.#cookies.verify(now, from.address, from.port, hello.random, hello.cookie)) {
      if (hello.cookie.length > 0) this.counters.cookiesInvalid++;
      if (this.#hvr.length >= this.#maxPendingHvr) {
        this.counters.helloVerifyDropped++;
        return undefined;
      }
      const cookie = this.#cookies.cookieFor(now, from.address, from.port, hello.random);
      this.#hvr.push({ address: from.address, port: from.port, bytes: encodeHelloVerifyDatagram(parsed.recordSeq, parsed.messageSeq, cookie) });
      this.counters.helloVerifyRequestsSent++;
      return undefined;
    }
    if (existing !== undefined) {
      // A duplicate of the hello that made the existing session is not a restart.
      const cr = existing.clientRandom;
      if (cr !== undefined && equalBytes(cr, hello.random)) return existing;
      // RFC 6347 §4.2.8: a new, cookie-checked hello from a known source means the peer restarted.
      existing.abandon('replaced');
      this.#collect(existing);
      this.counters.sessionsReplaced++;
    }
    return this.#startSession(now, from);
  }

  /** A new server session for `from`, unless the table is full. */
  #startSession(now: number, from: DtlsEndpoint): DtlsSession | undefined {
    if (this.#sessions.size >= this.#maxSessions) {
      this.counters.sessionsRefusedFull++;
      return undefined;
    }
    const s = new DtlsSession(this.config, from);
    s.acceptHandshake(now);
    this.#sessions.set(key(from.address, from.port), s);
    this.#lastFrom = undefined;
    this.counters.sessionsCreated++;
    return s;
  }

  /** Whether `from` may skip the cookie now (cookieExempt vouches for it and it has not used its one pass). */
  #waiveCookie(from: DtlsEndpoint): boolean {
    const exempt = this.#cookieExempt;
    if (exempt === undefined || this.#waived.size >= this.#maxSessions) return false;
    const k = key(from.address, from.port);
    if (this.#waived.has(k) || !exempt(from.address, from.port)) return false;
    this.#waived.add(k);
    this.counters.cookiesWaived++;
    return true;
  }

  /** Fires due timers of every session. */
  handleTimeout(now: number): void {
    for (const s of [...this.#sessions.values()]) {
      const t = s.pollTimeout();
      if (t !== undefined && t <= now) {
        s.handleTimeout(now);
        this.#collect(s);
      }
    }
  }

  /**
   * Sends application data to a connected remote.
   * @throws DtlsError ERR_UNCONFIGURED when there is no connected session for it.
   */
  send(now: number, remote: DtlsEndpoint, data: Uint8Array): void {
    const s = this.#sessions.get(key(remote.address, remote.port));
    if (s === undefined) throw new DtlsError('ERR_UNCONFIGURED', `no DTLS session with ${remote.address}:${remote.port}`);
    s.send(now, data);
    this.#collect(s);
  }

  /** Closes one remote's session (close_notify). */
  close(now: number, remote: DtlsEndpoint): void {
    const s = this.#sessions.get(key(remote.address, remote.port));
    if (s === undefined) return;
    s.close(now);
    this.#collect(s);
  }

  /** Closes every session. */
  closeAll(now: number): void {
    for (const s of [...this.#sessions.values()]) {
      s.close(now);
      this.#collect(s);
    }
  }

  pollTransmit(now: number, out: Uint8Array, to: DtlsEndpoint): number {
    if (this.#hvr.length === 0 && this.#ready.size === 0) return 0;
    const h = this.#hvr.shift();
    if (h !== undefined) {
      if (h.bytes.length > out.length) return 0;
      out.set(h.bytes, 0);
      to.address = h.address;
      to.port = h.port;
      return h.bytes.length;
    }
    for (const s of this.#ready) {
      const n = s.pollTransmit(now, out, to);
      if (!s.hasTransmit) {
        this.#ready.delete(s);
        this.#dropIfFinal(s);
      }
      if (n > 0) return n;
    }
    return 0;
  }

  pollTimeout(): number | undefined {
    let t: number | undefined;
    for (const s of this.#sessions.values()) {
      const d = s.pollTimeout();
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }

  pollEvent(): DtlsServerEvent | undefined {
    if (this.#eventsHead >= this.#events.length) return undefined;
    const e = this.#events[this.#eventsHead++]!;
    if (this.#eventsHead === this.#events.length) {
      this.#events = [];
      this.#eventsHead = 0;
    }
    return e;
  }

  /** Moves a session's events out, notes pending datagrams, forgets it once final and drained. */
  #collect(s: DtlsSession): void {
    for (let e = s.pollEvent(); e !== undefined; e = s.pollEvent()) {
      if (this.#events.length - this.#eventsHead >= this.config.maxQueuedEvents) {
        s.counters.eventsDropped++;
        continue;
      }
      this.#events.push(withRemote(e, s));
    }
    if (s.hasTransmit) this.#ready.add(s);
    else this.#dropIfFinal(s);
  }

  #dropIfFinal(s: DtlsSession): void {
    if (s.state !== 'closed' && s.state !== 'failed') return;
    const k = key(s.remote.address, s.remote.port);
    if (this.#sessions.get(k) === s) this.#sessions.delete(k);
    if (this.#lastFrom === s) this.#lastFrom = undefined;
  }
}

/** The session event plus its remote, built per type (a spread per data record showed in profiles). */
export function withRemote(e: DtlsEvent, s: DtlsSession): DtlsServerEvent {
  switch (e.type) {
    case 'data':
      return { type: 'data', data: e.data, remote: s.remote, session: s };
    case 'connected':
      return { type: 'connected', peerCertificate: e.peerCertificate, peerFingerprint: e.peerFingerprint, cipherSuite: e.cipherSuite, group: e.group, remote: s.remote, session: s };
    case 'closed':
      return { type: 'closed', reason: e.reason, remote: s.remote, session: s };
    default:
      return { type: 'error', error: e.error, remote: s.remote, session: s };
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function intIn(name: string, v: number | undefined, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < lo || v > hi) throw new DtlsError('ERR_INVALID_PARAMETER', `${name} must be an integer ${lo}..${hi}, got ${v}`, { [name]: v });
  return v;
}
