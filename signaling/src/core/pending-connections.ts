// TCP connections that have not finished their HTTP request yet (core): the slowloris guard
// (issue #13 item 4). Holds any handle type; the adapter destroys what this returns.
//
// A connection is pending from accept until its request is in (an upgrade, /healthz, /metrics).
// Caps: `perIp` pending per source address and `total` overall; past a cap the *oldest* pending
// connection (of that address, or overall) is dropped, not the new one: an honest request
// completes within a round trip, so a wall of silent sockets cannot keep it out, while the
// silent ones are the ones that go. A pending connection older than `timeoutMs` is dropped too
// (nginx client_header_timeout; Node's own headersTimeout is only checked every 30 s).

/** Why a pending connection was dropped; a fixed set (metrics labels). */
export type PendingDropReason = 'timeout' | 'per_ip' | 'total';
export const PENDING_DROP_REASONS: readonly PendingDropReason[] = Object.freeze(['timeout', 'per_ip', 'total']);

interface Entry {
  readonly ip: string;
  readonly at: number;
}

/** Pending connections by insertion (= accept) order, per address and overall. */
export class PendingConnections<T> {
  readonly #all = new Map<T, Entry>();
  readonly #byIp = new Map<string, Set<T>>();
  readonly #perIp: number;
  readonly #total: number;
  readonly #timeoutMs: number;
  /** Connections dropped, by reason. */
  readonly dropped: Record<PendingDropReason, number> = { timeout: 0, per_ip: 0, total: 0 };

  /**
   * @param perIp pending connections one address may hold (≥ 1)
   * @param total pending connections overall (≥ 1)
   * @param timeoutMs ms a connection may stay pending
   */
  constructor(perIp: number, total: number, timeoutMs: number) {
    this.#perIp = perIp;
    this.#total = total;
    this.#timeoutMs = timeoutMs;
  }

  /** Connections pending now. */
  get size(): number {
    return this.#all.size;
  }

  /** Pending connections of `ip` now. */
  countOf(ip: string): number {
    return this.#byIp.get(ip)?.size ?? 0;
  }

  /**
   * A connection was accepted from `ip` at `now` (ms). Returns the connections to drop to stay
   * within the caps (the oldest of this address, then the oldest overall); never `conn` itself.
   */
  add(now: number, conn: T, ip: string): T[] {
    const out: T[] = [];
    const mine = this.#byIp.get(ip);
    if (mine !== undefined && mine.size >= this.#perIp) {
      const oldest = mine.values().next().value as T;
      this.#remove(oldest);
      this.dropped.per_ip++;
      out.push(oldest);
    }
    if (this.#all.size >= this.#total) {
      const oldest = this.#all.keys().next().value as T;
      this.#remove(oldest);
      this.dropped.total++;
      out.push(oldest);
    }
    this.#all.set(conn, { ip, at: now });
    let set = this.#byIp.get(ip);
    if (set === undefined) {
      set = new Set();
      this.#byIp.set(ip, set);
    }
    set.add(conn);
    return out;
  }

  /** The connection's request is in, or it closed: it is no longer pending. Idempotent. */
  settle(conn: T): void {
    this.#remove(conn);
  }

  /** Removes and returns every connection pending for timeoutMs or more at `now`. */
  expire(now: number): T[] {
    const out: T[] = [];
    for (const [conn, e] of this.#all) {
      // Insertion order is accept order and `now` never goes back: the first young one ends it.
      if (now - e.at < this.#timeoutMs) break;
      out.push(conn);
    }
    for (const conn of out) this.#remove(conn);
    this.dropped.timeout += out.length;
    return out;
  }

  /** The next time expire() has work (ms), or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    const first = this.#all.values().next();
    return first.done === true ? undefined : first.value.at + this.#timeoutMs;
  }

  #remove(conn: T): void {
    const e = this.#all.get(conn);
    if (e === undefined) return;
    this.#all.delete(conn);
    const set = this.#byIp.get(e.ip)!;
    set.delete(conn);
    if (set.size === 0) this.#byIp.delete(e.ip);
  }
}
