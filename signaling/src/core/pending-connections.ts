// TCP connections that have not finished their HTTP request yet (core): the slowloris guard
// (issue #13 item 4). Holds any handle type; the adapter destroys what this returns.
//
// A connection is pending from accept until its request is in (an upgrade, /healthz, /metrics).
// Caps: `perIp` pending per source address and `total` overall; past a cap the *oldest* pending
// connection is dropped, not the new one: an honest request completes within a round trip, so a
// wall of silent sockets cannot keep it out, while the silent ones are the ones that go. A
// pending connection older than `timeoutMs` is dropped too (nginx client_header_timeout; Node's
// own headersTimeout is only checked every 30 s).
//
// The per-address cap spares connections younger than `youngMs` (issue 19): the server accepts
// a whole backlog in one event-loop turn before it reads any request, so 64 clients behind one
// address opening at once were 64 pending connections for a moment, and the cap of 32 cut the
// oldest 32 of them although their requests were already in the socket buffers (half of the
// shared kit's meshpunch clients failed that way). Silence is only proven by age: past the cap,
// an address loses its connections as soon as they are youngMs old (at its next accept or at
// the sweep that nextDeadline() asks for). Young ones are still bounded by `total`, whose
// eviction takes from the address holding the most, so one address's burst never cuts
// another's requests while it holds more than they do.

/** Why a pending connection was dropped; a fixed set (metrics labels). */
export type PendingDropReason = 'timeout' | 'per_ip' | 'total';
export const PENDING_DROP_REASONS: readonly PendingDropReason[] = Object.freeze(['timeout', 'per_ip', 'total']);

/**
 * ms a pending connection is exempt from the per-address cap: far above the time between an
 * accept and the read of a request already sent (one event-loop turn, tens of ms when busy),
 * far below the header timeout.
 */
export const PENDING_YOUNG_MS = 1000;

interface Entry {
  readonly ip: string;
  readonly at: number;
}

/** Pending connections by insertion (= accept) order, per address and overall. */
export class PendingConnections<T> {
  readonly #all = new Map<T, Entry>();
  readonly #byIp = new Map<string, Map<T, number>>();
  /** Addresses holding more than perIp pending connections (young ones spared the cap). */
  readonly #overCap = new Set<string>();
  readonly #perIp: number;
  readonly #total: number;
  readonly #timeoutMs: number;
  readonly #youngMs: number;
  /** Connections dropped, by reason. */
  readonly dropped: Record<PendingDropReason, number> = { timeout: 0, per_ip: 0, total: 0 };

  /**
   * @param perIp pending connections one address may hold (≥ 1)
   * @param total pending connections overall (≥ 1)
   * @param timeoutMs ms a connection may stay pending
   * @param youngMs ms a connection is spared the per-address cap (default PENDING_YOUNG_MS, at most timeoutMs)
   */
  constructor(perIp: number, total: number, timeoutMs: number, youngMs = PENDING_YOUNG_MS) {
    this.#perIp = perIp;
    this.#total = total;
    this.#timeoutMs = timeoutMs;
    this.#youngMs = Math.min(youngMs, timeoutMs);
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
   * within the caps (this address's oldest past the cap, then one from the address holding the
   * most when the total is reached); never `conn` itself.
   */
  add(now: number, conn: T, ip: string): T[] {
    const out: T[] = [];
    let mine = this.#byIp.get(ip);
    if (mine !== undefined && mine.size >= this.#perIp) this.#trim(now, mine, this.#perIp - 1, out);
    if (this.#all.size >= this.#total) {
      const victim = this.#largestHoldersOldest();
      this.#remove(victim);
      this.dropped.total++;
      out.push(victim);
    }
    this.#all.set(conn, { ip, at: now });
    if (mine === undefined || mine.size === 0) {
      mine = new Map();
      this.#byIp.set(ip, mine);
    }
    mine.set(conn, now);
    if (mine.size > this.#perIp) this.#overCap.add(ip);
    return out;
  }

  /** The connection's request is in, or it closed: it is no longer pending. Idempotent. */
  settle(conn: T): void {
    this.#remove(conn);
  }

  /**
   * Removes and returns every connection pending for timeoutMs or more at `now`, and those of
   * addresses over the per-address cap that are no longer young.
   */
  expire(now: number): T[] {
    const out: T[] = [];
    for (const [conn, e] of this.#all) {
      // Insertion order is accept order and `now` never goes back: the first young one ends it.
      if (now - e.at < this.#timeoutMs) break;
      out.push(conn);
    }
    for (const conn of out) this.#remove(conn);
    this.dropped.timeout += out.length;
    for (const ip of [...this.#overCap]) this.#trim(now, this.#byIp.get(ip)!, this.#perIp, out);
    return out;
  }

  /** The next time expire() has work (ms), or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    const first = this.#all.values().next();
    if (first.done === true) return undefined;
    let at = first.value.at + this.#timeoutMs;
    for (const ip of this.#overCap) {
      // The oldest of an over-cap address is the first to lose its exemption.
      const oldest = this.#byIp.get(ip)!.values().next().value as number;
      at = Math.min(at, oldest + this.#youngMs);
    }
    return at;
  }

  /** Drops `ip`'s oldest connections that are not young until it holds at most `keep`. */
  #trim(now: number, mine: Map<T, number>, keep: number, out: T[]): void {
    for (const [conn, at] of mine) {
      if (mine.size <= keep || now - at < this.#youngMs) break;
      this.#remove(conn);
      this.dropped.per_ip++;
      out.push(conn);
    }
  }

  /** The oldest pending connection of the address holding the most (the oldest overall on a tie). */
  #largestHoldersOldest(): T {
    let best: Map<T, number> | undefined;
    // O(addresses pending), only when the total cap is reached (an attack or a flood).
    for (const mine of this.#byIp.values()) if (best === undefined || mine.size > best.size) best = mine;
    const first = this.#all.keys().next().value as T;
    if (best === undefined || best.size === this.#byIp.get(this.#all.get(first)!.ip)!.size) return first;
    return best.keys().next().value as T;
  }

  #remove(conn: T): void {
    const e = this.#all.get(conn);
    if (e === undefined) return;
    this.#all.delete(conn);
    const mine = this.#byIp.get(e.ip)!;
    mine.delete(conn);
    if (mine.size <= this.#perIp) this.#overCap.delete(e.ip);
    if (mine.size === 0) this.#byIp.delete(e.ip);
  }
}
