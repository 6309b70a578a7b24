// Counters of one cluster node (issue 14), rendered after the core's in /metrics: store round
// trips (histogram), bus entries in and out, takeovers, store errors. Fixed label sets.

/** Upper bounds (ms) of the store round-trip histogram buckets. */
export const STORE_RTT_BUCKETS_MS: readonly number[] = Object.freeze([0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000]);

export class ClusterMetrics {
  /** Bus entries (frames, opens, closes) sent to and received from other nodes. */
  busOut = 0;
  busIn = 0;
  /** Lobbies this node took over from a dead or stopped home. */
  takeovers = 0;
  /** Lobbies this node lost to another node (it was cut off past its lease). */
  lobbiesLost = 0;
  /** Nodes seen dead while connections were relayed to or from them. */
  nodesLost = 0;
  /** Lobby records written. */
  writes = 0;
  /** Lobby writes that failed: their held answers went out without the write (durability lost until the next write). */
  unsavedWrites = 0;
  /** Store or bus calls that failed. */
  storeErrors = 0;
  /** Connections handed, after their upgrade, to their lobby's home process on this machine (ClusterNodeOptions.moveTo). */
  moved = 0;
  /** Under --workers: connections this worker accepted and served, and those it sent on to another worker (worker-front.ts). */
  routed: { readonly here: number; readonly forwarded: number } | undefined;
  /** Under --workers: how many other workers this one knows the node of (it can move connections to those). */
  siblings: (() => number) | undefined;
  /** Store round trips per bucket (cumulative counts are built when rendering), and their sum. */
  readonly rttCounts: number[] = STORE_RTT_BUCKETS_MS.map(() => 0);
  rttOver = 0;
  rttSumMs = 0;

  observeRtt(ms: number): void {
    this.rttSumMs += ms;
    const i = STORE_RTT_BUCKETS_MS.findIndex((b) => ms <= b);
    if (i < 0) this.rttOver++;
    else this.rttCounts[i]!++;
  }

  /** Prometheus text of these counters (`ready`: the node reaches its store). */
  render(ready: boolean): string {
    const p = 'meshpunch_signal_cluster';
    const out: string[] = [];
    const one = (name: string, type: string, help: string, v: number): void => {
      out.push(`# HELP ${p}_${name} ${help}`, `# TYPE ${p}_${name} ${type}`, `${p}_${name} ${v}`);
    };
    one('ready', 'gauge', '1 while this node reaches its lobby store (else it refuses new lobbies, joins and resumes with SIG_UNAVAILABLE).', ready ? 1 : 0);
    out.push(`# HELP ${p}_bus_messages_total Bus entries (frames, opens, closes) between nodes, by direction.`, `# TYPE ${p}_bus_messages_total counter`,
      `${p}_bus_messages_total{direction="in"} ${this.busIn}`, `${p}_bus_messages_total{direction="out"} ${this.busOut}`);
    one('takeovers_total', 'counter', 'Lobbies taken over from a dead or stopped home node.', this.takeovers);
    one('lobbies_lost_total', 'counter', 'Lobbies given up because another node holds them (this node was cut off past its lease).', this.lobbiesLost);
    one('nodes_lost_total', 'counter', 'Peer nodes seen dead while connections were relayed through them.', this.nodesLost);
    one('lobby_writes_total', 'counter', 'Lobby records written to the store.', this.writes);
    one('lobby_writes_failed_total', 'counter', 'Lobby writes that failed; the answers held for them were sent anyway (the lobby is written again when the store answers).', this.unsavedWrites);
    if (this.routed !== undefined) {
      out.push(`# HELP ${p}_worker_connections_total Connections this worker accepted, by where they went: served here or sent to the worker that homes their lobby (forwarded); moved: those served here that went to their lobby's worker after their upgrade, at their lobby request.`, `# TYPE ${p}_worker_connections_total counter`,
        `${p}_worker_connections_total{route="here"} ${this.routed.here}`, `${p}_worker_connections_total{route="forwarded"} ${this.routed.forwarded}`,
        `${p}_worker_connections_total{route="moved"} ${this.moved}`);
    }
    if (this.siblings !== undefined) one('worker_siblings', 'gauge', 'Other ready workers whose node this worker knows: a member whose lobby one of them homes moves there.', this.siblings());
    one('store_errors_total', 'counter', 'Store (Redis) or bus calls that failed.', this.storeErrors);
    out.push(`# HELP ${p}_store_rtt_seconds Store (Redis) round trips.`, `# TYPE ${p}_store_rtt_seconds histogram`);
    let cum = 0;
    STORE_RTT_BUCKETS_MS.forEach((b, i) => {
      cum += this.rttCounts[i]!;
      out.push(`${p}_store_rtt_seconds_bucket{le="${b / 1000}"} ${cum}`);
    });
    cum += this.rttOver;
    out.push(`${p}_store_rtt_seconds_bucket{le="+Inf"} ${cum}`, `${p}_store_rtt_seconds_sum ${this.rttSumMs / 1000}`, `${p}_store_rtt_seconds_count ${cum}`);
    return `${out.join('\n')}\n`;
  }
}
