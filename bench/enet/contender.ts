// The shape every ENet implementation in the bench implements (bench/enet/main.ts runs them).

/** Result of moving `packets` reliable packets from a client host to a server host. */
export interface ThroughputResult {
  packets: number;
  seconds: number;
  /**
   * This process's CPU time (user + system) over the same span, for a contender whose hosts both
   * run in it: its packets per CPU second hardly move with other processes' load, wall time does.
   */
  cpuSeconds?: number;
}

/** CPU seconds (user + system) of this process since `since` (a process.cpuUsage() value). */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/** One ENet implementation under test, driving both of its hosts in this process. */
export interface Contender {
  readonly name: string;
  /** Moves `count` reliable packets of `size` bytes with at most `inflight` unreceived. */
  throughput(size: number, count: number, inflight: number): Promise<ThroughputResult>;
  /** `count` sequential round trips of a `size`-byte reliable packet; RTTs in µs. */
  pingPong(count: number, size: number): Promise<number[]>;
  /** ms from creating both hosts to CONNECT on both sides (DTLS handshake included when on), `count` times. */
  connectTimes?(count: number): Promise<number[]>;
}

/** Yields to the event loop so socket callbacks run (dgram delivers in 'message' events). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The q-quantile (0..1) of a list of numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Fails a bench run that runs past this many ms instead of hanging (a broken implementation). */
export const RUN_WALL_LIMIT_MS = 180_000;
