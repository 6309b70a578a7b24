// What a cluster of signaling nodes shares (issue 14): the store (which node is each lobby's
// home, the lobby records, the resume-token index, node leases) and the bus (messages between
// nodes, one channel per node). Two implementations each: in memory (memory-store.ts: one
// process, the simulator) and Redis (redis-store.ts).
import type { LobbyRecord } from '../core/lobby-record.js';

/** What claimHome found. */
export interface HomeClaim {
  /** The node that is the lobby's home now, or undefined when nobody is (no such lobby, not creating). */
  readonly home: string | undefined;
  /**
   * Set when this node just became the home of a lobby that has a stored record (its previous
   * home died, restarted or gave it up): the caller imports it into its core.
   */
  readonly record: LobbyRecord | undefined;
}

/** What claimByToken found. */
export interface TokenClaim extends HomeClaim {
  /** The lobby (registry key) the token is in, or undefined when the token is unknown. */
  readonly code: string | undefined;
}

/** The lobby directory and state every node shares. Every method rejects when the store is unreachable. */
export interface ClusterStore {
  /** This node's id (random per process start). */
  readonly nodeId: string;
  /** Sets or renews this node's lease for `leaseMs`; other nodes count it dead once it expires. */
  renewNode(leaseMs: number): Promise<void>;
  /** The nodes of `nodes` whose lease is still valid. */
  aliveNodes(nodes: readonly string[]): Promise<Set<string>>;
  /**
   * The home of lobby `code`. When no live node holds it, this node takes it when a record is
   * stored (takeover: the record comes back) or when `create` is true (a new lobby).
   * Atomic: two nodes racing get the same answer.
   */
  claimHome(code: string, create: boolean, ttlMs: number): Promise<HomeClaim>;
  /**
   * The lobby resume token `token` belongs to (code undefined: none) and its home, claimed as
   * claimHome(code, false) does — in one round trip, the only one before a resume is served.
   */
  claimByToken(token: string, ttlMs: number): Promise<TokenClaim>;
  /**
   * Writes (or, for record undefined, deletes) lobby `code` and its token index, fenced: false
   * when another live node is its home (this node lost the lobby). Keys expire after `ttlMs`.
   */
  saveLobby(code: string, record: LobbyRecord | undefined, addTokens: readonly string[], dropTokens: readonly string[], ttlMs: number): Promise<boolean>;
  /**
   * Extends the expiry of this node's lobbies (records, homes, tokens) by `ttlMs`.
   * @returns the codes among `codes` whose home is now another node (this node stalled past its
   *   lease and that node took them over): this node must let them go.
   */
  touchLobbies(codes: readonly string[], ttlMs: number): Promise<string[]>;
  /** Gives up the home of `codes` (only where this node is home), so other nodes take them at once. */
  releaseHomes(codes: readonly string[]): Promise<void>;
  /** Ends this node's lease now (graceful stop). */
  leave(): Promise<void>;
  close(): Promise<void>;
}

/** Messages between nodes: one channel per node. */
export interface ClusterBus {
  /**
   * Delivers every message published to `node`'s channel to `handler`. Rejects when the bus is
   * unreachable or does not confirm within its command timeout; the caller may call again with
   * the same handler (it is registered once).
   */
  subscribe(node: string, handler: (text: string) => void): Promise<void>;
  /** Sends `text` to `node`'s channel (dropped when nobody listens: the node is gone). */
  publish(node: string, text: string): Promise<void>;
  close(): Promise<void>;
}
