// The cluster store and bus in one process's memory (issue 14): the default for tests of the
// cluster logic and for the simulator, where `now` is virtual, bus delivery is scheduled by the
// test (delay, loss of a node) and a node can be made unreachable. Same semantics as
// redis-store.ts: leases, fenced writes, expiry.
import type { LobbyRecord } from '../core/lobby-record.js';
import type { ClusterBus, ClusterStore, HomeClaim, TokenClaim } from './store.js';
import { SignalingError } from '../errors.js';

interface Expiring<T> {
  value: T;
  until: number;
}

/** The shared state of an in-memory cluster: what Redis holds in the Redis implementation. */
export class MemoryCluster {
  readonly now: () => number;
  /** Runs a bus delivery; default: in a microtask. The simulator delays or drops it. */
  deliver: (from: string, to: string, run: () => void) => void = (_f, _t, run) => queueMicrotask(run);
  /** Runs a node's store call (the round trip to Redis); default: in a microtask. The simulator delays it. */
  storeCall: (node: string, run: () => void) => void = (_n, run) => queueMicrotask(run);
  /** Nodes whose store calls fail (Redis unreachable from there), for failure tests. */
  readonly unreachable = new Set<string>();
  readonly nodes = new Map<string, Expiring<true>>();
  readonly homes = new Map<string, Expiring<string>>();
  readonly records = new Map<string, Expiring<string>>();
  readonly tokens = new Map<string, Expiring<string>>();
  readonly channels = new Map<string, (text: string) => void>();

  constructor(now: () => number) {
    this.now = now;
  }

  get<T>(m: Map<string, Expiring<T>>, key: string): T | undefined {
    const e = m.get(key);
    if (e === undefined) return undefined;
    if (e.until <= this.now()) {
      m.delete(key);
      return undefined;
    }
    return e.value;
  }

  set<T>(m: Map<string, Expiring<T>>, key: string, value: T, ttlMs: number): void {
    m.set(key, { value, until: this.now() + ttlMs });
  }

  alive(node: string): boolean {
    return this.get(this.nodes, node) !== undefined;
  }
}

/** One node's view of a MemoryCluster. */
export class MemoryStore implements ClusterStore {
  readonly nodeId: string;
  readonly #c: MemoryCluster;

  constructor(cluster: MemoryCluster, nodeId: string) {
    this.#c = cluster;
    this.nodeId = nodeId;
  }

  /** Resolves after a microtask, or rejects when this node cannot reach the store. */
  async #op<T>(f: () => T): Promise<T> {
    await new Promise<void>((r) => this.#c.storeCall(this.nodeId, r));
    if (this.#c.unreachable.has(this.nodeId)) throw new SignalingError('SIG_UNAVAILABLE', 'store unreachable');
    return f();
  }

  renewNode(leaseMs: number): Promise<void> {
    return this.#op(() => this.#c.set(this.#c.nodes, this.nodeId, true, leaseMs));
  }

  aliveNodes(nodes: readonly string[]): Promise<Set<string>> {
    return this.#op(() => new Set(nodes.filter((n) => this.#c.alive(n))));
  }

  claimHome(code: string, create: boolean, ttlMs: number): Promise<HomeClaim> {
    return this.#op(() => this.#claim(code, create, ttlMs));
  }

  #claim(code: string, create: boolean, ttlMs: number): HomeClaim {
    const c = this.#c;
    const home = c.get(c.homes, code);
    if (home !== undefined && (home === this.nodeId || c.alive(home))) return { home, record: undefined };
    const text = c.get(c.records, code);
    if (text === undefined && !create) return { home: undefined, record: undefined };
    c.set(c.homes, code, this.nodeId, ttlMs);
    return { home: this.nodeId, record: text === undefined ? undefined : (JSON.parse(text) as LobbyRecord) };
  }

  claimByToken(token: string, ttlMs: number): Promise<TokenClaim> {
    return this.#op(() => {
      const code = this.#c.get(this.#c.tokens, token);
      return code === undefined ? { code, home: undefined, record: undefined } : { code, ...this.#claim(code, false, ttlMs) };
    });
  }

  saveLobby(code: string, record: LobbyRecord | undefined, addTokens: readonly string[], dropTokens: readonly string[], ttlMs: number): Promise<boolean> {
    return this.#op(() => {
      const c = this.#c;
      const home = c.get(c.homes, code);
      if (home !== undefined && home !== this.nodeId && c.alive(home)) return false;
      for (const t of dropTokens) c.tokens.delete(t);
      if (record === undefined) {
        c.records.delete(code);
        c.homes.delete(code);
        return true;
      }
      c.set(c.homes, code, this.nodeId, ttlMs);
      c.set(c.records, code, JSON.stringify(record), ttlMs);
      for (const t of addTokens) c.set(c.tokens, t, code, ttlMs);
      return true;
    });
  }

  touchLobbies(codes: readonly string[], ttlMs: number): Promise<string[]> {
    return this.#op(() => {
      const c = this.#c;
      const lost: string[] = [];
      for (const code of codes) {
        const home = c.get(c.homes, code);
        if (home !== this.nodeId) {
          if (home !== undefined && c.alive(home)) lost.push(code);
          continue;
        }
        c.set(c.homes, code, this.nodeId, ttlMs);
        const text = c.get(c.records, code);
        if (text === undefined) continue;
        c.set(c.records, code, text, ttlMs);
        for (const m of (JSON.parse(text) as LobbyRecord).members) c.set(c.tokens, m.token, code, ttlMs);
      }
      return lost;
    });
  }

  releaseHomes(codes: readonly string[]): Promise<void> {
    return this.#op(() => {
      for (const code of codes) if (this.#c.get(this.#c.homes, code) === this.nodeId) this.#c.homes.delete(code);
    });
  }

  leave(): Promise<void> {
    return this.#op(() => void this.#c.nodes.delete(this.nodeId));
  }

  async close(): Promise<void> {
    // Nothing to release: the cluster's maps belong to the test.
  }
}

/** One node's view of a MemoryCluster's bus. */
export class MemoryBus implements ClusterBus {
  readonly #c: MemoryCluster;
  readonly #node: string;
  #subscribed: string | undefined;

  constructor(cluster: MemoryCluster, node: string) {
    this.#c = cluster;
    this.#node = node;
  }

  async subscribe(node: string, handler: (text: string) => void): Promise<void> {
    this.#c.channels.set(node, handler);
    this.#subscribed = node;
  }

  async publish(node: string, text: string): Promise<void> {
    if (this.#c.unreachable.has(this.#node)) throw new SignalingError('SIG_UNAVAILABLE', 'bus unreachable');
    this.#c.deliver(this.#node, node, () => {
      if (this.#c.unreachable.has(node)) return;
      this.#c.channels.get(node)?.(text);
    });
  }

  async close(): Promise<void> {
    if (this.#subscribed !== undefined && this.#c.channels.get(this.#subscribed) !== undefined) this.#c.channels.delete(this.#subscribed);
  }
}
