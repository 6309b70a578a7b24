// DtlsTransport: one DTLS session per remote on one socket, as Godot's ENet DTLS glue does it
// (docs/specs/godot-enet.md §8): plaintext datagrams of a protocol above (ENet) go in with the
// remote they are for and come out as DTLS records, and the reverse. A server answers
// handshakes through DtlsServer (stateless cookies); a client starts a handshake with a remote
// the first time something is sent to it and holds that plaintext (bounded) until the handshake
// ends, so the first ENet CONNECT is not lost to the handshake. Sans-IO core (docs/design.md §2).
import { resolveDtlsOptions, type DtlsConfig } from './options.js';
import { DtlsServer, withRemote, type DtlsServerEvent, type DtlsServerOptions } from './server.js';
import { DtlsSession, type DtlsEndpoint } from './session.js';
import type { DtlsRole } from './options.js';
import { DtlsError } from '../errors.js';

export interface DtlsTransportOptions extends DtlsServerOptions {
  /** 'server' answers handshakes; 'client' starts one toward each remote it sends to. */
  role: DtlsRole;
  /** Client: plaintext datagrams held per remote while its handshake runs; more are dropped and counted. Default 64. */
  maxPendingPerRemote?: number;
}

/** A session event with its remote (the DtlsServer event shape, for both roles). */
export type DtlsTransportEvent = DtlsServerEvent;

export interface DtlsTransportCounters {
  /** Plaintext for a remote without a connected session (server: no handshake done yet). */
  plaintextWithoutSession: number;
  /** Plaintext dropped because the remote's handshake queue was full. */
  plaintextPendingOverflow: number;
  /** Plaintext for a remote whose handshake failed (the client does not retry; Godot neither). */
  plaintextAfterFailure: number;
  /** Client handshakes started. */
  handshakesStarted: number;
  /** Datagrams from a source the client never sent to. */
  datagramsFromUnknownSource: number;
  /** Events dropped because the event queue was full. */
  eventsDropped: number;
}

interface ClientRemote {
  session: DtlsSession;
  pending: Uint8Array[];
}

function key(address: string, port: number): string {
  return `${address}|${port}`;
}

export class DtlsTransport {
  readonly role: DtlsRole;
  readonly counters: DtlsTransportCounters = {
    plaintextWithoutSession: 0, plaintextPendingOverflow: 0, plaintextAfterFailure: 0, handshakesStarted: 0, datagramsFromUnknownSource: 0, eventsDropped: 0,
  };
  /** Server role: the cookie-checking session table. */
  readonly server: DtlsServer | undefined;
  /** Client role: the resolved options every session shares. */
  readonly #clientConfig: DtlsConfig | undefined;
  readonly #maxPending: number;
  readonly #maxRemotes: number;
  readonly #remotes = new Map<string, ClientRemote>();
  /** Client sessions with datagrams waiting for pollTransmit. */
  readonly #ready = new Set<DtlsSession>();
  #events: DtlsTransportEvent[] = [];
  #eventsHead = 0;
  /** The session sealTo used last (bulk traffic goes to one remote at a time). */
  #last: DtlsSession | undefined = undefined;
  /** Client: the session openFrom used last (same reason). */
  #lastFrom: DtlsSession | undefined = undefined;

  /** @throws DtlsError ERR_INVALID_PARAMETER / ERR_UNCONFIGURED from the options. */
  constructor(options: DtlsTransportOptions) {
    const { role, maxPendingPerRemote, ...rest } = options;
    if (role !== 'client' && role !== 'server') throw new DtlsError('ERR_INVALID_PARAMETER', `role must be 'client' or 'server', got ${String(role)}`);
    this.role = role;
    this.#maxPending = intIn('maxPendingPerRemote', maxPendingPerRemote, 1, 65536, 64);
    this.#maxRemotes = intIn('maxSessions', rest.maxSessions, 1, 1_000_000, 1024);
    if (role === 'server') {
      this.server = new DtlsServer(rest);
      this.#clientConfig = undefined;
    } else {
      const { maxSessions: _m, cookieLifetimeMs: _c, maxPendingHelloVerify: _p, ...sessionOptions } = rest;
      this.server = undefined;
      this.#clientConfig = resolveDtlsOptions({ ...sessionOptions, role: 'client' });
    }
  }

  /** The session with `address:port`, if any (handshaking, connected or final). */
  session(address: string, port: number): DtlsSession | undefined {
    if (this.server !== undefined) return this.server.session(address, port);
    return this.#remotes.get(key(address, port))?.session;
  }

  /** Feeds one datagram (DTLS records) from `from`. Never throws on bad input. */
  handleDatagram(now: number, from: DtlsEndpoint, bytes: Uint8Array): void {
    if (this.server !== undefined) {
      this.server.handleDatagram(now, from, bytes);
      return;
    }
    const r = this.#remotes.get(key(from.address, from.port));
    if (r === undefined) {
      this.counters.datagramsFromUnknownSource++;
      return;
    }
    r.session.handleDatagram(now, from, bytes);
    this.#collect(now, r);
  }

  /**
   * The hot path of `handleDatagram` (the twin of sealTo): when `bytes` is one application_data
   * record from a connected remote, it is authenticated and decrypted in place and the plaintext
   * returned as a view into `bytes` (give up the datagram, as ENet's HostCore asks of its input);
   * null when it was dropped (replayed or not authentic, counted); undefined when handleDatagram
   * must take it (anything else; nothing done). Never throws.
   */
  openFrom(from: DtlsEndpoint, bytes: Uint8Array): Uint8Array | null | undefined {
    if (this.server !== undefined) return this.server.openFrom(from, bytes);
    if (this.#eventsHead < this.#events.length) return undefined;
    let s = this.#lastFrom;
    if (s === undefined || s.remote.port !== from.port || s.remote.address !== from.address) {
      s = this.#remotes.get(key(from.address, from.port))?.session;
      if (s === undefined) return undefined;
      this.#lastFrom = s;
    }
    return s.openApplicationData(bytes);
  }

  /**
   * Sends one plaintext datagram to `to` as application data. Returns false when it was dropped
   * (counted): no connected session on a server, a failed handshake, or a full handshake queue.
   * `data` is not kept after the call (sealed at once or copied while a handshake runs).
   * @throws DtlsError ERR_INVALID_PARAMETER for data over 16384 bytes (one record).
   */
  send(now: number, to: DtlsEndpoint, data: Uint8Array): boolean {
    if (data.length > 16384) throw new DtlsError('ERR_INVALID_PARAMETER', `data must be at most 16384 bytes (one DTLS record), got ${data.length}`, { got: data.length, limit: 16384 });
    const server = this.server;
    if (server !== undefined) {
      const s = server.session(to.address, to.port);
      if (s === undefined || !s.isConnected) {
        this.counters.plaintextWithoutSession++;
        return false;
      }
      server.send(now, to, data);
      return true;
    }
    const k = key(to.address, to.port);
    let r = this.#remotes.get(k);
    if (r !== undefined && r.session.state === 'closed') {
      // A cleanly closed association (close_notify either way) may be opened again.
      this.#remotes.delete(k);
      r = undefined;
      this.#last = undefined;
      this.#lastFrom = undefined;
    }
    if (r === undefined) {
      if (this.#remotes.size >= this.#maxRemotes) {
        this.counters.plaintextWithoutSession++;
        return false;
      }
      r = { session: new DtlsSession(this.#clientConfig!, to), pending: [data.slice()] };
      this.#remotes.set(k, r);
      this.counters.handshakesStarted++;
      r.session.connect(now);
      this.#collect(now, r);
      return true;
    }
    const s = r.session;
    if (s.canSend) {
      s.send(now, data);
      this.#ready.add(s);
      return true;
    }
    if (s.state === 'failed') {
      this.counters.plaintextAfterFailure++;
      return false;
    }
    if (r.pending.length >= this.#maxPending) {
      this.counters.plaintextPendingOverflow++;
      return false;
    }
    r.pending.push(data.slice());
    return true;
  }

  /**
   * The hot path of `send`: seals `data` for `to` straight into `out` and returns the datagram's
   * length when `to` has a connected session with nothing queued before it; 0 means "use send".
   */
  sealTo(to: DtlsEndpoint, data: Uint8Array, out: Uint8Array): number {
    let s = this.#last;
    if (s === undefined || s.remote.port !== to.port || s.remote.address !== to.address) {
      s = this.session(to.address, to.port);
      if (s === undefined) return 0;
      this.#last = s;
    }
    return s.sealApplicationData(data, out);
  }

  /** Fires due handshake timers. */
  handleTimeout(now: number): void {
    if (this.server !== undefined) {
      this.server.handleTimeout(now);
      return;
    }
    for (const r of this.#remotes.values()) {
      const t = r.session.pollTimeout();
      if (t !== undefined && t <= now) {
        r.session.handleTimeout(now);
        this.#collect(now, r);
      }
    }
  }

  /** Closes every association (close_notify), e.g. when the host is destroyed. */
  closeAll(now: number): void {
    if (this.server !== undefined) {
      this.server.closeAll(now);
      return;
    }
    for (const r of this.#remotes.values()) {
      r.session.close(now);
      this.#collect(now, r);
    }
  }

  pollTransmit(now: number, out: Uint8Array, to: DtlsEndpoint): number {
    if (this.server !== undefined) return this.server.pollTransmit(now, out, to);
    if (this.#ready.size === 0) return 0;
    for (const s of this.#ready) {
      const n = s.pollTransmit(now, out, to);
      if (!s.hasTransmit) this.#ready.delete(s);
      if (n > 0) return n;
    }
    return 0;
  }

  pollTimeout(): number | undefined {
    if (this.server !== undefined) return this.server.pollTimeout();
    let t: number | undefined;
    for (const r of this.#remotes.values()) {
      const d = r.session.pollTimeout();
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }

  pollEvent(): DtlsTransportEvent | undefined {
    if (this.server !== undefined) return this.server.pollEvent();
    if (this.#eventsHead >= this.#events.length) return undefined;
    const e = this.#events[this.#eventsHead++]!;
    if (this.#eventsHead === this.#events.length) {
      this.#events = [];
      this.#eventsHead = 0;
    }
    return e;
  }

  /**
   * Client: moves a session's events out; once the session may send (connected, or at its False
   * Start point) the held plaintext is sealed in order, after the flight that got it there.
   */
  #collect(now: number, r: ClientRemote): void {
    const s = r.session;
    if (r.pending.length > 0 && s.canSend) {
      for (const p of r.pending) s.send(now, p);
      r.pending = [];
    }
    for (let e = s.pollEvent(); e !== undefined; e = s.pollEvent()) {
      if (e.type === 'error' || e.type === 'closed') r.pending = [];
      if (this.#events.length - this.#eventsHead >= this.#clientConfig!.maxQueuedEvents) {
        this.counters.eventsDropped++;
        continue;
      }
      this.#events.push(withRemote(e, s));
    }
    if (s.hasTransmit) this.#ready.add(s);
  }
}

function intIn(name: string, v: number | undefined, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < lo || v > hi) throw new DtlsError('ERR_INVALID_PARAMETER', `${name} must be an integer ${lo}..${hi}, got ${v}`, { [name]: v });
  return v;
}
