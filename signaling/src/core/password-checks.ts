// Admission and scheduling of lobby password checks (core). The hash itself (scrypt) is slow on
// purpose, so the core never computes it: it hands a `hash` output to the adapter, which runs it
// off the event loop and gives the result back with SignalingCore.handleHashed (issue #13 item 1:
// a synchronous scrypt per wrong-password join blocked the service ≈ 6.7 s for 1 000 joins).
//
// A check is: refused (busy / too many failures) --or--> waiting --(a slot frees)--> running
// --handleHashed--> done. At most `passwordChecksInFlight` run at once; at most
// `passwordQueueLength` wait; one per connection; `passwordChecksPerIp` per address.
// Wrong passwords are charged to a token bucket of the source address and one of the lobby
// (coturn and nginx answer brute force the same way: per-source and per-target budgets).
import type { SignalingCoreConfig } from './config.js';
import type { Lobby } from './lobby.js';
import { TokenBucket } from '@meshpunch/base';

/** Why a check could not be queued. */
export type CheckRefusal =
  | { code: 'SIG_BUSY'; message: string }
  | { code: 'SIG_TOO_MANY_ATTEMPTS'; message: string; retryMs: number };

/** One queued or running check; `work` is whatever the core needs to finish the request. */
export interface PasswordJob<W> {
  readonly id: number;
  readonly conn: number;
  readonly ip: string;
  /** The lobby whose password is checked; undefined for a lobby being created. */
  readonly lobby: Lobby | undefined;
  readonly secret: string;
  readonly salt: Uint8Array;
  readonly work: W;
}

/** What a queue change asks of the core: hashes to start, and waiting checks refused after all. */
export interface CheckSteps<W> {
  readonly start: Array<PasswordJob<W>>;
  /** Checks whose address or lobby ran out of wrong-password budget while they waited: no hash. */
  readonly refused: Array<{ job: PasswordJob<W>; refusal: CheckRefusal }>;
}

/** Bounded queue of password checks with per-connection, per-address and per-lobby limits. */
export class PasswordChecks<W> {
  readonly #config: SignalingCoreConfig;
  readonly #waiting: Array<PasswordJob<W>> = [];
  readonly #running = new Map<number, PasswordJob<W>>();
  /** Connections with a check waiting or running. */
  readonly #conns = new Set<number>();
  /** Checks waiting or running per source address (entries removed at 0, so bounded by the jobs). */
  readonly #perIp = new Map<string, number>();
  /** Wrong-password budget per source address; the oldest address is forgotten past maxTrackedIps. */
  readonly #ipFailures = new Map<string, TokenBucket>();
  /** Wrong-password budget per lobby (dies with the lobby). */
  readonly #lobbyFailures = new WeakMap<Lobby, TokenBucket>();
  #nextId = 1;
  /** Address of the check that finished last: the next free slot prefers another one. */
  #lastIp: string | undefined = undefined;

  constructor(config: SignalingCoreConfig) {
    this.#config = config;
  }

  /** Checks running (handed to the adapter, no result yet). */
  get runningCount(): number {
    return this.#running.size;
  }

  /** Checks waiting for a free slot. */
  get waitingCount(): number {
    return this.#waiting.length;
  }

  /** True while `conn` has a check waiting or running. */
  isChecking(conn: number): boolean {
    return this.#conns.has(conn);
  }

  /**
   * Whether a check for `lobby` (undefined: a lobby being created) from `ip` on `conn` may be
   * queued now; undefined when it may. Takes nothing.
   */
  refusal(now: number, conn: number, ip: string, lobby: Lobby | undefined): CheckRefusal | undefined {
    const cfg = this.#config;
    if (this.#conns.has(conn)) return { code: 'SIG_BUSY', message: 'a password check of this connection is still running' };
    const spent = this.#budgetRefusal(now, ip, lobby);
    if (spent !== undefined) return spent;
    if ((this.#perIp.get(ip) ?? 0) >= cfg.passwordChecksPerIp) {
      return { code: 'SIG_BUSY', message: `this address already has ${cfg.passwordChecksPerIp} password checks running or waiting` };
    }
    if (this.#running.size >= cfg.passwordChecksInFlight && this.#waiting.length >= cfg.passwordQueueLength) {
      return { code: 'SIG_BUSY', message: `the service has ${cfg.passwordQueueLength} password checks waiting` };
    }
    return undefined;
  }

  /** SIG_TOO_MANY_ATTEMPTS when `ip` or `lobby` has no wrong-password budget left at `now`. */
  #budgetRefusal(now: number, ip: string, lobby: Lobby | undefined): CheckRefusal | undefined {
    const cfg = this.#config;
    const ipWait = this.#ipBucket(ip, undefined)?.msUntilToken(now, cfg.passwordFailuresPerMinutePerIp / 60, cfg.passwordFailureBurstPerIp) ?? 0;
    if (ipWait > 0) {
      return { code: 'SIG_TOO_MANY_ATTEMPTS', message: `more than ${cfg.passwordFailuresPerMinutePerIp} wrong passwords per minute from this address`, retryMs: ipWait };
    }
    if (lobby !== undefined) {
      const lobbyWait = this.#lobbyFailures.get(lobby)?.msUntilToken(now, cfg.passwordFailuresPerMinutePerLobby / 60, cfg.passwordFailureBurstPerLobby) ?? 0;
      if (lobbyWait > 0) {
        return { code: 'SIG_TOO_MANY_ATTEMPTS', message: `lobby ${lobby.code} had more than ${cfg.passwordFailuresPerMinutePerLobby} wrong passwords per minute`, retryMs: lobbyWait };
      }
    }
    return undefined;
  }

  /**
   * Queues a check (call refusal() first). Returns the jobs to hand to the adapter now (this
   * one when a slot is free).
   */
  enqueue(now: number, conn: number, ip: string, lobby: Lobby | undefined, secret: string, salt: Uint8Array, work: W): CheckSteps<W> {
    const job: PasswordJob<W> = { id: this.#nextId++, conn, ip, lobby, secret, salt, work };
    this.#conns.add(conn);
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    this.#waiting.push(job);
    return this.#start(now);
  }

  /**
   * Takes the finished job `id` out (undefined for an unknown id: a spurious result). Call
   * startWaiting() after charging its outcome, so the next checks see the updated budgets.
   */
  finish(id: number): PasswordJob<W> | undefined {
    const job = this.#running.get(id);
    if (job === undefined) return undefined;
    this.#running.delete(id);
    this.#release(job);
    this.#lastIp = job.ip;
    return job;
  }

  /** Fills the free slots from the waiting checks (see #start). */
  startWaiting(now: number): CheckSteps<W> {
    return this.#start(now);
  }

  /** Forgets a closed connection's waiting check (a running one finishes and is dropped then). */
  dropConnection(conn: number): void {
    if (!this.#conns.has(conn)) return;
    const i = this.#waiting.findIndex((j) => j.conn === conn);
    if (i >= 0) this.#release(this.#waiting.splice(i, 1)[0]!);
  }

  /** Charges one wrong password to `ip` and to `lobby`. */
  chargeFailure(now: number, ip: string, lobby: Lobby): void {
    const cfg = this.#config;
    this.#ipBucket(ip, now)!.take(now, cfg.passwordFailuresPerMinutePerIp / 60, cfg.passwordFailureBurstPerIp);
    let lb = this.#lobbyFailures.get(lobby);
    if (lb === undefined) {
      lb = new TokenBucket(cfg.passwordFailureBurstPerLobby, now);
      this.#lobbyFailures.set(lobby, lb);
    }
    lb.take(now, cfg.passwordFailuresPerMinutePerLobby / 60, cfg.passwordFailureBurstPerLobby);
  }

  /** Forgets everything (shutdown). Results still to come are then spurious. */
  clear(): void {
    this.#waiting.length = 0;
    this.#running.clear();
    this.#conns.clear();
    this.#perIp.clear();
    this.#ipFailures.clear();
    this.#lastIp = undefined;
  }

  /**
   * Fills free slots. Fair between addresses: the oldest waiting check of an address with no
   * check running and that did not just finish one goes first, then the oldest of an address
   * with none running, then the oldest; so one address's backlog does not hold up the others. A check
   * whose address or lobby spent its budget while it waited is refused instead of hashed.
   * O(waiting) per slot; waiting ≤ passwordQueueLength.
   */
  #start(now: number): CheckSteps<W> {
    const steps: CheckSteps<W> = { start: [], refused: [] };
    while (this.#running.size < this.#config.passwordChecksInFlight && this.#waiting.length > 0) {
      let pick = -1;
      let idle = -1;
      for (let i = 0; i < this.#waiting.length && pick < 0; i++) {
        const ip = this.#waiting[i]!.ip;
        if (this.#isRunningFor(ip)) continue;
        if (idle < 0) idle = i;
        if (ip !== this.#lastIp) pick = i;
      }
      if (pick < 0) pick = idle < 0 ? 0 : idle;
      const job = this.#waiting.splice(pick, 1)[0]!;
      const spent = job.lobby === undefined ? undefined : this.#budgetRefusal(now, job.ip, job.lobby);
      if (spent !== undefined) {
        this.#release(job);
        steps.refused.push({ job, refusal: spent });
        continue;
      }
      this.#running.set(job.id, job);
      steps.start.push(job);
    }
    return steps;
  }

  #isRunningFor(ip: string): boolean {
    for (const j of this.#running.values()) if (j.ip === ip) return true;
    return false;
  }

  #release(job: PasswordJob<W>): void {
    this.#conns.delete(job.conn);
    const n = (this.#perIp.get(job.ip) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(job.ip);
    else this.#perIp.set(job.ip, n);
  }

  /** The address's failure bucket; created (full, at `createAt`) when missing and createAt is given. */
  #ipBucket(ip: string, createAt: number | undefined): TokenBucket | undefined {
    let b = this.#ipFailures.get(ip);
    if (b === undefined && createAt !== undefined) {
      if (this.#ipFailures.size >= this.#config.maxTrackedIps) this.#ipFailures.delete(this.#ipFailures.keys().next().value as string);
      b = new TokenBucket(this.#config.passwordFailureBurstPerIp, createAt);
      this.#ipFailures.set(ip, b);
    }
    return b;
  }
}
