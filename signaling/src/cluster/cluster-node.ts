// One node of a signaling cluster (issue 14). Every lobby has one home node whose SignalingCore
// runs it, unchanged; the home is claimed in the shared store under a lease (store.ts). A
// client may connect to any node (its gateway): until it enters a lobby its connection lives in
// the gateway's core (hello, heartbeats); the message that enters a lobby (lobby.create with a
// name, lobby.join, lobby.restore, resume) is routed to the lobby's home, and from then on the
// gateway relays the connection's frames to the home node over the bus and the home's answers
// back. The home writes a lobby's record to the store after every change, so another node can
// take it over when the home dies (lease expired) or stops (homes released); the members'
// clients reconnect and resume there with their tokens. What a change's drain sends (the
// lobby.joined that hands out an id and a token, the peer.joined others see) is held until that
// write is acknowledged: nobody learns of state a takeover would not find (write-through; the
// writes themselves are pipelined, one per change, never waiting for each other).
//
// Gateway route of a connection: local --enter lobby homed elsewhere--> remote(home)
//                                  local --routing lookup--> pending (frames queue) --> local | remote
import type { CoreOutput, SignalingCore } from '../core/signaling-core.js';
import type { LobbyRecord } from '../core/lobby-record.js';
import { registryKey } from '../core/lobby.js';
import { CloseCode, normalizeLobbyCode } from '@meshpunch/protocol';
import type { ClusterBus, ClusterStore, HomeClaim } from './store.js';
import { ClusterMetrics } from './cluster-metrics.js';

/** What the node needs from the process around it (the WebSocket server, or a simulator). */
export interface ClusterTransport {
  /** Sends a text frame to a client connected to this node. */
  send(conn: number, text: string): void;
  /** Closes a client connected to this node. */
  close(conn: number, code: number, reason: string): void;
  /** Carries out the core's outputs (the adapter's drain: beginDrain first, then hold / output for each send and close). */
  drain(): void;
  /** Service clock (ms, monotonic), the core's `now`. */
  now(): number;
}

export interface ClusterNodeOptions {
  readonly core: SignalingCore;
  readonly store: ClusterStore;
  readonly bus: ClusterBus;
  readonly transport: ClusterTransport;
  /** Node lease (ms): a node silent for this long is dead and its lobbies are taken over. Default 6000. */
  readonly leaseMs?: number;
  /**
   * Lobbies (codes) this node became the home of, and those it no longer is: a --workers
   * primary routes their members' connections here (worker-directory.ts).
   */
  readonly onHomes?: (add: string[], drop: string[]) => void;
  /**
   * A connection whose lobby is homed on node `home` (not this one) after its upgrade: true
   * when the process around this node handed the connection itself to `home` (a --workers
   * sibling on this machine: the socket goes to it with `move`, and its node goes on with
   * adoptMoved), so the connection leaves this node; false to relay it over the bus.
   */
  readonly moveTo?: (conn: number, home: string, move: MovedConnection) => boolean;
  /** Where warnings go. */
  readonly log?: (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, string | number | boolean>) => void;
}

/** What a connection that moves to its lobby's home process carries besides its socket. */
export interface MovedConnection {
  /** The client's IP, as the gateway saw it. */
  readonly ip: string;
  /** The client's accepted hello (its welcome went out already), or '' when none came. */
  readonly hello: string;
  /** Frames read after it, in order, from the lobby-entering one on. */
  readonly frames: readonly string[];
}

/** Core connection ids of connections relayed from other nodes start here (local ids are small). */
export const REMOTE_CONN_BASE = 2 ** 40;
/** Frames one connection may queue while its route is looked up. */
const MAX_PENDING_FRAMES = 32;
/** A home claimed for a lobby that never came to exist here is given back after this long. */
const UNUSED_CLAIM_MS = 10_000;
/** Lobby-entering message types: these are routed to the lobby's home. */
const ENTERING = /"(?:lobby\.create|lobby\.join|lobby\.restore|resume)"/;

/** A client connected to this node. */
interface Route {
  /** Node the connection is relayed to; undefined while it lives in this node's core. */
  home: string | undefined;
  /** Frames waiting for a routing lookup (undefined: none running). */
  pending: string[] | undefined;
  /** The client's accepted `hello`, replayed to the home node when the connection moves. */
  hello: string | undefined;
  ip: string;
}

/** A connection relayed to this node (its home) from a gateway. */
interface Remote {
  readonly node: string;
  readonly conn: number;
  /** The replayed hello's welcome is not sent again (the client has one). */
  dropWelcome: boolean;
}

/**
 * The outputs of one drain whose lobbies changed: held until every write of those changes is
 * acknowledged (or failed: then they go anyway, see #write).
 */
export interface DrainGate {
  open: boolean;
  /** Writes not answered yet. */
  pending: number;
  /** Connections with outputs held behind this gate. */
  readonly conns: Set<number>;
}

/** Gate of outputs queued behind held ones in a drain that changed nothing. */
const OPEN_GATE: DrainGate = { open: true, pending: 0, conns: new Set() };

type HeldOutput = Extract<CoreOutput, { kind: 'send' | 'close' }>;

/** One bus entry; see #onBus for the kinds. */
type Entry = [kind: string, conn: number, a?: string | number, b?: string | number];

export class ClusterNode {
  readonly metrics = new ClusterMetrics();
  readonly #core: SignalingCore;
  readonly #store: ClusterStore;
  readonly #bus: ClusterBus;
  readonly #t: ClusterTransport;
  readonly #leaseMs: number;
  readonly #log: NonNullable<ClusterNodeOptions['log']>;
  readonly #routes = new Map<number, Route>();
  readonly #remotes = new Map<number, Remote>();
  readonly #remoteIds = new Map<string, number>();
  #nextRemote = REMOTE_CONN_BASE;
  /** Bus entries per destination node, sent at the end of the turn. */
  readonly #outgoing = new Map<string, Entry[]>();
  #flushQueued = false;
  /** Per lobby: the tokens of the last record sent to the store (writes are pipelined, in order). */
  readonly #sent = new Map<string, Set<string>>();
  /** Writes sent and not answered. */
  #writing = 0;
  /** Per connection: outputs held behind unacknowledged writes, in order. */
  readonly #held = new Map<number, Array<{ gate: DrainGate; o: HeldOutput }>>();
  /** Homes claimed for lobbies not (yet) in the core, and when. */
  readonly #claims = new Map<string, number>();
  /** Lobbies reported to onHomes as homed here (by registry key). */
  readonly #homed = new Set<string>();
  readonly #onHomes: ClusterNodeOptions['onHomes'];
  readonly #moveTo: ClusterNodeOptions['moveTo'];
  /** Connections moved here whose replayed hello's welcome is not sent again (the client has one). */
  readonly #quiet = new Set<number>();
  #homeReport: { add: Set<string>; drop: Set<string> } | undefined;
  #healthy = false;
  /** Set once the bus subscription is confirmed; until then the node is not healthy (tick retries it). */
  #subscribed = false;
  /** The bus handler, one function for every subscribe attempt (a client may confirm a late one too). */
  readonly #onBusText = (text: string): void => this.#onBus(text);
  #stopped = false;

  constructor(o: ClusterNodeOptions) {
    this.#core = o.core;
    this.#store = o.store;
    this.#bus = o.bus;
    this.#t = o.transport;
    this.#leaseMs = o.leaseMs ?? 6000;
    this.#log = o.log ?? (() => undefined);
    this.#onHomes = o.onHomes;
    this.#moveTo = o.moveTo;
    this.#core.watchChanges();
  }

  get nodeId(): string {
    return this.#store.nodeId;
  }

  /** True while the store answers: the node admits new lobbies, joins and resumes. */
  get healthy(): boolean {
    return this.#healthy && !this.#stopped;
  }

  get leaseMs(): number {
    return this.#leaseMs;
  }

  /** Store expiry of lobby records, homes and tokens: a grace period past the last touch. */
  get #ttlMs(): number {
    return this.#core.config.graceMs + 2 * this.#leaseMs + 5000;
  }

  /**
   * Subscribes to this node's channel and takes the first lease (the first tick), unhealthy until
   * both worked. Resolves within the store's and the bus's own timeouts, also while Redis is
   * down or not answering: the node starts (and listens) and its ticks retry. Before, the start
   * waited for the subscription without a bound (a node never listened while Redis stalled) and
   * a refused subscription ended the process.
   */
  async start(): Promise<void> {
    await this.tick();
  }

  // ------------------------------------------------------------------ from the adapter

  /** A frame from a client of this node (instead of core.handleMessage). */
  handleMessage(now: number, conn: number, text: string | null, byteLength: number): void {
    let r = this.#routes.get(conn);
    if (r === undefined) {
      r = { home: undefined, pending: undefined, hello: undefined, ip: '' };
      this.#routes.set(conn, r);
    }
    if (r.home !== undefined) {
      // Binary or oversized frames are the home core's to refuse; they travel as text markers.
      this.#queue(r.home, ['m', conn, text ?? '', text === null ? -byteLength : byteLength]);
      return;
    }
    if (r.pending !== undefined) {
      if (text === null || r.pending.length >= MAX_PENDING_FRAMES) return;
      r.pending.push(text);
      return;
    }
    if (text !== null && r.hello === undefined && text.includes('hello')) {
      if (parseType(text)?.type === 'hello') r.hello = text;
    }
    if (text !== null && byteLength <= this.#core.config.maxMessageBytes && ENTERING.test(text) && this.#core.lobbyOf(conn) === undefined) {
      const msg = parseType(text);
      if (msg !== undefined && (msg.type === 'lobby.create' || msg.type === 'lobby.join' || msg.type === 'lobby.restore' || msg.type === 'resume')) {
        if (!this.healthy) {
          this.#refuse(conn, msg.rid);
          return;
        }
        if ((msg.type !== 'lobby.create' || typeof msg.name === 'string') && !this.#homedHere(msg)) {
          r.pending = [text];
          void this.#route(conn, r, msg);
          return;
        }
      }
    }
    this.#core.handleMessage(now, conn, text, byteLength);
  }

  /** The WebSocket of a client of this node closed (instead of core.handleClose). */
  handleClose(now: number, conn: number, code: number): void {
    const r = this.#routes.get(conn);
    this.#routes.delete(conn);
    this.#quiet.delete(conn);
    if (r?.home !== undefined) this.#queue(r.home, ['c', conn, code]);
    else this.#core.handleClose(now, conn, code);
  }

  /** The client's IP (the core keeps it too; a relayed connection needs it at its home). */
  handleOpen(conn: number, ip: string): void {
    this.#routes.set(conn, { home: undefined, pending: undefined, hello: undefined, ip });
  }

  /**
   * A connection another process of this machine moved here after its upgrade (moveTo there),
   * opened already (handleOpen, core.handleOpen): its hello is replayed with the welcome
   * dropped, then its frames go the way a client's own frames go.
   */
  adoptMoved(now: number, conn: number, move: MovedConnection): void {
    const r = this.#routes.get(conn);
    if (r === undefined) return;
    if (move.hello !== '') {
      r.hello = move.hello;
      this.#quiet.add(conn);
      this.#core.handleMessage(now, conn, move.hello, Buffer.byteLength(move.hello));
    }
    for (const f of move.frames) this.handleMessage(now, conn, f, Buffer.byteLength(f));
  }

  /** True for the welcome answering a moved connection's replayed hello: not sent (the drain skips it). */
  swallow(o: CoreOutput): boolean {
    if (this.#quiet.size === 0 || o.kind !== 'send' || !this.#quiet.has(o.conn)) return false;
    this.#quiet.delete(o.conn);
    return o.text.startsWith('{"type":"welcome"');
  }

  /** True when `conn` is a connection relayed from another node (its output goes to `output`). */
  isRemote(conn: number): boolean {
    return conn >= REMOTE_CONN_BASE;
  }

  /** A core output for a relayed connection: it travels to the gateway node. */
  output(o: CoreOutput): void {
    if (o.kind !== 'send' && o.kind !== 'close') return;
    const rem = this.#remotes.get(o.conn);
    if (rem === undefined) return;
    if (o.kind === 'send') {
      if (rem.dropWelcome && o.text.startsWith('{"type":"welcome"')) {
        rem.dropWelcome = false;
        return;
      }
      this.#queue(rem.node, ['s', rem.conn, o.text]);
    } else {
      this.#dropRemote(o.conn, rem);
      this.#queue(rem.node, ['x', rem.conn, o.code, o.reason]);
    }
  }

  /**
   * Before a drain carries out the core's outputs: the lobbies the core changed since the last
   * drain are written to the store. Returns the gate the drain's sends and closes go through
   * (hold), or undefined when nothing changed.
   */
  beginDrain(): DrainGate | undefined {
    const changed = this.#core.takeChanged();
    if (changed.length === 0) return undefined;
    const gate: DrainGate = { open: false, pending: changed.length, conns: new Set() };
    for (const { code, record } of changed) {
      this.#homeChanged(code, record !== undefined);
      void this.#write(code, record).finally(() => {
        if (--gate.pending === 0) this.#openGate(gate);
      });
    }
    return gate;
  }

  /**
   * A send or close of the current drain (`gate` from beginDrain): true when it is held, to be
   * carried out by this node once the drain's writes are acknowledged — and, for a connection
   * with outputs held already, after those (order per connection is kept).
   */
  hold(gate: DrainGate | undefined, o: HeldOutput): boolean {
    const q = this.#held.get(o.conn);
    if (gate === undefined && q === undefined) return false;
    const g = gate ?? OPEN_GATE;
    if (q === undefined) this.#held.set(o.conn, [{ gate: g, o }]);
    else q.push({ gate: g, o });
    if (g !== OPEN_GATE) g.conns.add(o.conn);
    return true;
  }

  /** Outputs held now (all connections), for tests and metrics. */
  get heldOutputs(): number {
    let n = 0;
    for (const q of this.#held.values()) n += q.length;
    return n;
  }

  #openGate(gate: DrainGate): void {
    gate.open = true;
    for (const conn of gate.conns) {
      const q = this.#held.get(conn);
      if (q === undefined) continue;
      let i = 0;
      while (i < q.length && q[i]!.gate.open) i++;
      const out = q.splice(0, i);
      if (q.length === 0) this.#held.delete(conn);
      for (const { o } of out) {
        if (this.isRemote(o.conn)) this.output(o);
        else if (o.kind === 'send') this.#t.send(o.conn, o.text);
        else this.#t.close(o.conn, o.code, o.reason);
      }
    }
  }

  /** Reports a lobby homed here or no longer (onHomes), by its code (a claim is not part of the route). */
  #homeChanged(key: string, here: boolean): void {
    if (this.#onHomes === undefined || this.#homed.has(key) === here) return;
    if (here) this.#homed.add(key);
    else this.#homed.delete(key);
    const code = key.split('\n')[0]!;
    // One report per turn (an IPC message each for a --workers primary); a lobby homed and
    // gone within the turn was never reported, so it is not reported at all.
    if (this.#homeReport === undefined) {
      const report = { add: new Set<string>(), drop: new Set<string>() };
      this.#homeReport = report;
      queueMicrotask(() => {
        this.#homeReport = undefined;
        if (report.add.size + report.drop.size > 0) this.#onHomes?.([...report.add], [...report.drop]);
      });
    }
    const r = this.#homeReport;
    if (here) {
      if (!r.drop.delete(code)) r.add.add(code);
    } else if (!r.add.delete(code)) r.drop.add(code);
  }

  /**
   * Renews this node's lease and its lobbies' expiry, and drops connections relayed to or from
   * nodes that died. The adapter calls it every leaseMs / 3.
   */
  async tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      if (!this.#subscribed) {
        await this.#bus.subscribe(this.nodeId, this.#onBusText);
        this.#subscribed = true;
      }
      const t0 = performance.now();
      await this.#store.renewNode(this.#leaseMs);
      this.metrics.observeRtt(performance.now() - t0);
      if (!this.#healthy) {
        this.#healthy = true;
        this.#log('info', 'cluster.ready', { node: this.nodeId });
        // Writes failed meanwhile, or the store lost its data (Redis restarted): write all again.
        for (const code of this.#core.lobbyCodes()) void this.#write(code, this.#core.lobbyRecord(code));
      }
      // A lobby whose home is now another node: this node stalled past its lease (its node key
      // expired; no store call failed, so it stayed healthy) and that node took the lobby over.
      // Let it go now, not at its next write, which an idle lobby may never make.
      for (const code of await this.#store.touchLobbies(this.#core.lobbyCodes(), this.#ttlMs)) this.#lobbyLost(code);
      const peers = new Set<string>();
      for (const r of this.#routes.values()) if (r.home !== undefined) peers.add(r.home);
      for (const r of this.#remotes.values()) peers.add(r.node);
      if (peers.size > 0) {
        const alive = await this.#store.aliveNodes([...peers]);
        for (const n of peers) if (!alive.has(n)) this.#nodeLost(n);
      }
      const now = this.#t.now();
      const unused: string[] = [];
      for (const [code, at] of this.#claims) {
        if (this.#core.hasLobby(code)) this.#claims.delete(code);
        else if (now - at >= UNUSED_CLAIM_MS) {
          this.#claims.delete(code);
          unused.push(code);
        }
      }
      if (unused.length > 0) await this.#store.releaseHomes(unused);
    } catch (err) {
      this.#storeError('tick', err);
    }
  }

  /**
   * Graceful stop: relayed connections are dropped (their clients resume elsewhere), this
   * node's homes and lease are given up so other nodes take its lobbies at once. The records
   * stay. Call before the core's shutdown.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    const codes = this.#core.lobbyCodes();
    // Last writes first, so the records are current.
    this.beginDrain();
    await this.#settleWrites();
    this.#stopped = true;
    for (const [conn, r] of this.#routes) {
      if (r.home === undefined) continue;
      this.#queue(r.home, ['c', conn, CloseCode.GoingAway]);
      this.#t.close(conn, CloseCode.GoingAway, 'node stopping');
    }
    this.#flush();
    try {
      await this.#store.releaseHomes(codes);
      await this.#store.leave();
    } catch (err) {
      this.#storeError('stop', err);
    }
    await this.#bus.close();
    await this.#store.close();
  }

  // ------------------------------------------------------------------ routing

  async #route(conn: number, r: Route, msg: Parsed): Promise<void> {
    let home: string | undefined;
    try {
      const t0 = performance.now();
      // The lobby's key as its home's core files it (lobby.ts registryKey: name + claim).
      const claim = typeof msg.claim === 'string' ? msg.claim : undefined;
      let key: string | undefined;
      let create = false;
      if (msg.type === 'resume') {
        if (typeof msg.token === 'string') {
          const c = await this.#store.claimByToken(msg.token, this.#ttlMs);
          if (c.code !== undefined) home = this.#claimed(c.code, c);
        }
      } else if (msg.type === 'lobby.create') {
        key = registryKey(msg.name as string, claim);
        create = true;
      } else if (typeof msg.lobby === 'string') {
        key = registryKey(msg.lobby, claim);
        create = msg.type === 'lobby.restore' || msg.createIfMissing === true;
      }
      if (key !== undefined) {
        home = await this.#claim(key, create);
        if (home === undefined && msg.type === 'lobby.join' && claim === undefined) {
          const norm = normalizeLobbyCode(msg.lobby as string);
          if (norm !== undefined && norm !== key) home = await this.#claim(norm, false);
        }
      }
      this.metrics.observeRtt(performance.now() - t0);
    } catch (err) {
      this.#storeError('route', err);
      if (this.#routes.get(conn) !== r) return;
      r.pending = undefined;
      this.#refuse(conn, msg.rid);
      this.#t.drain();
      return;
    }
    if (this.#routes.get(conn) !== r) return;
    const frames = r.pending ?? [];
    r.pending = undefined;
    const now = this.#t.now();
    if (home === undefined || home === this.nodeId || this.#stopped) {
      for (const f of frames) this.#core.handleMessage(now, conn, f, Buffer.byteLength(f));
      this.#t.drain();
      return;
    }
    // The connection moves: the gateway's core forgets it (it is in no lobby: no message), the
    // home's core gets it with the hello replayed — the socket itself when the home is a
    // process of this machine, else its frames over the bus.
    if (this.#moveTo?.(conn, home, { ip: r.ip, hello: r.hello ?? '', frames }) === true) {
      this.#routes.delete(conn);
      this.metrics.moved++;
      this.#core.handleClose(now, conn, CloseCode.Normal);
      this.#t.drain();
      return;
    }
    this.#core.handleClose(now, conn, CloseCode.Normal);
    r.home = home;
    this.#queue(home, ['o', conn, r.ip, r.hello ?? '']);
    for (const f of frames) this.#queue(home, ['m', conn, f, Buffer.byteLength(f)]);
    this.#t.drain();
  }

  /**
   * True when the lobby `msg` names (not a resume: its lobby is known from the token only) is in
   * this node's core: this node is its home, so the message goes straight to the core with no
   * store round trip before it (half the joins of a 2-node cluster, every join of one node with
   * Redis; issue 14's "Redis adds ≤ 1 ms to join p50"). Should this node have lost the home (cut
   * off past its lease), the lobby's next write is fenced and evicts it, as for its members.
   */
  #homedHere(msg: Parsed): boolean {
    // A resume whose token a member here holds: this node is its lobby's home (the store's
    // token index says the same; no round trip to ask it).
    if (msg.type === 'resume') return typeof msg.token === 'string' && this.#core.hasToken(msg.token);
    const claim = typeof msg.claim === 'string' ? msg.claim : undefined;
    const ref = msg.type === 'lobby.create' ? msg.name : msg.lobby;
    if (typeof ref !== 'string') return false;
    if (this.#core.hasLobby(registryKey(ref, claim))) return true;
    if (msg.type !== 'lobby.join' || claim !== undefined) return false;
    const code = normalizeLobbyCode(ref);
    return code !== undefined && this.#core.hasLobby(code);
  }

  /** The home of `code`; imports its record when this node just took it over. */
  async #claim(code: string, create: boolean): Promise<string | undefined> {
    return this.#claimed(code, await this.#store.claimHome(code, create, this.#ttlMs));
  }

  /** What a claim of `code` found: its home, with the record imported when this node just took it over. */
  #claimed(code: string, c: HomeClaim): string | undefined {
    if (c.home === this.nodeId) {
      if (c.record !== undefined && !this.#core.hasLobby(code)) {
        this.#core.importLobby(this.#t.now(), c.record);
        this.#homeChanged(code, true);
        this.#sent.set(code, new Set(c.record.members.map((m) => m.token)));
        this.metrics.takeovers++;
        this.#log('info', 'lobby.takeover', { lobby: code, members: c.record.members.length });
      } else if (!this.#core.hasLobby(code)) {
        this.#claims.set(code, this.#t.now());
      }
    }
    return c.home;
  }

  #refuse(conn: number, rid: unknown): void {
    this.#core.metrics.errors.SIG_UNAVAILABLE++;
    this.#t.send(conn, JSON.stringify({
      type: 'error', rid: typeof rid === 'number' ? rid : null, code: 'SIG_UNAVAILABLE',
      message: 'the service cannot reach its lobby store; retry later',
    }));
  }

  // ------------------------------------------------------------------ store writes

  /**
   * Writes lobby `code`'s record (undefined: the lobby ended) with its token index changes since
   * the last record sent. Writes are not coalesced: each goes out at once, after the ones before
   * it on the same connection, so Redis applies them in order and a change waits for its own
   * write only (one round trip), never for another in flight.
   */
  async #write(code: string, record: LobbyRecord | undefined): Promise<void> {
    const before = this.#sent.get(code);
    const now = new Set(record?.members.map((m) => m.token) ?? []);
    const add = before === undefined ? [...now] : [...now].filter((t) => !before.has(t));
    const drop = before === undefined ? [] : [...before].filter((t) => !now.has(t));
    if (record === undefined) this.#sent.delete(code);
    else this.#sent.set(code, now);
    this.#writing++;
    try {
      const t0 = performance.now();
      const ok = await this.#store.saveLobby(code, record, add, drop, this.#ttlMs);
      this.metrics.observeRtt(performance.now() - t0);
      this.metrics.writes++;
      if (!ok) {
        this.#lobbyLost(code);
      }
    } catch (err) {
      // Not written: the store is unreachable (or slow past the command timeout). The held
      // answers go anyway (members keep being served, as with Redis down) and are counted;
      // every lobby is written again, every token with it, once the store answers (tick).
      this.#sent.delete(code);
      this.metrics.unsavedWrites++;
      this.#storeError('save', err);
    } finally {
      this.#writing--;
    }
  }

  /**
   * Another node holds lobby `code` now (this node was cut off or stalled past its lease): its
   * members belong there; they reconnect and resume.
   */
  #lobbyLost(code: string): void {
    this.#sent.delete(code);
    if (!this.#core.hasLobby(code)) return;
    this.metrics.lobbiesLost++;
    this.#log('warn', 'lobby.lost', { lobby: code });
    this.#core.evictLobby(this.#t.now(), code, CloseCode.GoingAway, 'the lobby moved to another node');
    this.#homeChanged(code, false);
    this.#t.drain();
  }

  async #settleWrites(): Promise<void> {
    for (let i = 0; i < 100 && this.#writing > 0; i++) await new Promise((r) => setTimeout(r, 5));
  }

  #storeError(op: string, err: unknown): void {
    this.metrics.storeErrors++;
    if (this.#healthy) this.#log('warn', 'cluster.unavailable', { node: this.nodeId, op, message: String((err as Error)?.message ?? err).slice(0, 200) });
    this.#healthy = false;
  }

  // ------------------------------------------------------------------ bus

  #queue(node: string, e: Entry): void {
    let list = this.#outgoing.get(node);
    if (list === undefined) {
      list = [];
      this.#outgoing.set(node, list);
    }
    list.push(e);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushQueued = false;
    for (const [node, entries] of this.#outgoing) {
      this.metrics.busOut += entries.length;
      this.#bus.publish(node, JSON.stringify({ f: this.nodeId, e: entries })).catch((err: unknown) => this.#storeError('publish', err));
    }
    this.#outgoing.clear();
  }

  /**
   * A batch from another node. Kinds: to a home — o (open: ip, hello), m (frame: text, bytes;
   * negative bytes = binary), c (client closed: code); to a gateway — s (send: text),
   * x (close: code, reason).
   */
  #onBus(text: string): void {
    if (this.#stopped) return;
    let batch: { f: string; e: Entry[] };
    try {
      batch = JSON.parse(text) as { f: string; e: Entry[] };
    } catch {
      return;
    }
    if (typeof batch?.f !== 'string' || !Array.isArray(batch.e)) return;
    const now = this.#t.now();
    const from = batch.f;
    this.metrics.busIn += batch.e.length;
    for (const e of batch.e) {
      if (!Array.isArray(e) || typeof e[1] !== 'number') continue;
      const [kind, conn, a, b] = e;
      if (kind === 's' || kind === 'x') {
        const r = this.#routes.get(conn);
        if (r === undefined || r.home !== from) continue;
        if (kind === 's') this.#t.send(conn, String(a));
        else {
          this.#routes.delete(conn);
          this.#t.close(conn, Number(a), String(b ?? ''));
        }
        continue;
      }
      const key = `${from}|${conn}`;
      if (kind === 'o') {
        if (this.#remoteIds.has(key)) continue;
        const id = this.#nextRemote++;
        this.#remoteIds.set(key, id);
        this.#remotes.set(id, { node: from, conn, dropWelcome: true });
        this.#core.handleOpen(now, id, String(a));
        const hello = String(b ?? '');
        if (hello !== '') this.#core.handleMessage(now, id, hello, Buffer.byteLength(hello));
        continue;
      }
      const id = this.#remoteIds.get(key);
      if (id === undefined) continue;
      if (kind === 'm') {
        const n = Number(b);
        if (n < 0) this.#core.handleMessage(now, id, null, -n);
        else this.#core.handleMessage(now, id, String(a), n);
      } else if (kind === 'c') {
        this.#dropRemote(id, this.#remotes.get(id)!);
        this.#core.handleClose(now, id, Number(a));
      }
    }
    this.#t.drain();
  }

  #dropRemote(id: number, rem: Remote): void {
    this.#remotes.delete(id);
    this.#remoteIds.delete(`${rem.node}|${rem.conn}`);
  }

  /** Node `n` died: clients relayed to it reconnect (and resume elsewhere); its relayed clients here are gone. */
  #nodeLost(n: string): void {
    this.metrics.nodesLost++;
    this.#log('warn', 'cluster.node.lost', { node: n });
    const now = this.#t.now();
    for (const [conn, r] of this.#routes) {
      if (r.home !== n) continue;
      this.#routes.delete(conn);
      this.#t.close(conn, CloseCode.GoingAway, 'the lobby\'s node is gone; resume');
    }
    for (const [id, rem] of this.#remotes) {
      if (rem.node !== n) continue;
      this.#dropRemote(id, rem);
      this.#core.handleClose(now, id, 1006);
    }
    this.#t.drain();
  }
}

/** A lobby-entering message's routing fields. */
interface Parsed {
  type: string;
  rid?: unknown;
  name?: unknown;
  lobby?: unknown;
  token?: unknown;
  createIfMissing?: unknown;
  claim?: unknown;
}

function parseType(text: string): Parsed | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && typeof (v as Parsed).type === 'string' ? (v as Parsed) : undefined;
  } catch {
    return undefined;
  }
}
