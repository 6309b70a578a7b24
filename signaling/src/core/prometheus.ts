// Renders the core's counters as Prometheus text exposition format 0.0.4 (core).
import { CLOSE_CODES } from '@meshpunch/protocol';
import type { TurnServerCounters } from '@meshpunch/nat';
import type { SignalingMetrics } from './metrics.js';
import { PENDING_DROP_REASONS } from './pending-connections.js';
import type { PendingDropReason } from './pending-connections.js';

/** Gauges the adapter reads from the core and the process. */
export interface Gauges {
  connections: number;
  lobbies: number;
  members: number;
  residentBytes: number;
  heapUsedBytes: number;
}

/** Counters of the STUN responder (adapter), rendered beside the core's. */
export interface StunCounters {
  requests: number;
  /** Binding requests answered with a success response. */
  answered: number;
  /** Binding requests answered with an error response (400/420: bad or unknown attribute). */
  rejected: number;
  /** STUN-looking datagrams that do not decode (dropped). */
  malformed: number;
  /** Non-STUN datagrams, STUN that is not a Binding request, oversized datagrams (dropped). */
  ignored: number;
  /** Requests not answered because their source IP was over its answer rate. */
  limited: number;
}

/** The embedded relay's counters and gauges (relay.md §4), read from @meshpunch/nat's TurnRelayServer. */
export interface RelayGauges {
  counters: TurnServerCounters;
  allocations: number;
  portsFree: number;
}

/** Counters of the adapter's HTTP admission (pending-connections.ts). */
export interface HttpCounters {
  /** TCP connections whose HTTP request is not in yet. */
  pending: number;
  /** Pending connections cut, by reason. */
  dropped: Readonly<Record<PendingDropReason, number>>;
}

const CLOSE_NUMBER = new Map<string, number>(CLOSE_CODES.map(([n, c]) => [n, c]));

/** Builds the /metrics body. Every label value comes from a fixed set. */
export function renderPrometheus(m: SignalingMetrics, g: Gauges, stun: StunCounters | undefined, http?: HttpCounters, relay?: RelayGauges): string {
  const out: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, rows: Array<[string, number]>): void => {
    out.push(`# HELP meshpunch_signal_${name} ${help}`, `# TYPE meshpunch_signal_${name} ${type}`);
    for (const [labels, v] of rows) out.push(`meshpunch_signal_${name}${labels} ${v}`);
  };
  metric('connections', 'gauge', 'Open WebSocket connections.', [['', g.connections]]);
  metric('lobbies', 'gauge', 'Lobbies that exist.', [['', g.lobbies]]);
  metric('members', 'gauge', 'Lobby members, including those in their resume grace period.', [['', g.members]]);
  metric('resident_memory_bytes', 'gauge', 'Resident set size in bytes.', [['', g.residentBytes]]);
  metric('heap_used_bytes', 'gauge', 'V8 heap in use.', [['', g.heapUsedBytes]]);
  metric('connections_opened_total', 'counter', 'WebSocket connections accepted.', [['', m.connectionsOpened]]);
  metric('messages_in_total', 'counter', 'Client messages by type (invalid: no valid type; binary: binary frames).',
    Object.entries(m.messagesIn).map(([k, v]) => [`{type="${k}"}`, v]));
  metric('messages_out_total', 'counter', 'Messages sent to clients.', [['', m.messagesOut]]);
  metric('bytes_in_total', 'counter', 'Bytes of client messages.', [['', m.bytesIn]]);
  metric('errors_total', 'counter', 'Error answers and error closes by code.', Object.entries(m.errors).map(([k, v]) => [`{code="${k}"}`, v]));
  metric('closes_total', 'counter', 'Connections the service closed, by close code.',
    Object.entries(m.closes).map(([k, v]) => [`{code="${CLOSE_NUMBER.get(k) ?? 0}",name="${k}"}`, v]));
  metric('members_left_total', 'counter', 'Members that left a lobby, by reason.', Object.entries(m.membersLeft).map(([k, v]) => [`{reason="${k}"}`, v]));
  metric('pair_results_total', 'counter', 'Pair results reported by clients, by outcome and path or reason.',
    Object.entries(m.pairResults).map(([k, v]) => {
      const [outcome, what] = k.split('/');
      return [outcome === 'connected' ? `{outcome="connected",path="${what}"}` : `{outcome="failed",reason="${what}"}`, v];
    }));
  metric('probe_reports_total', 'counter', 'Per-candidate probe records of pair.result (1.6): kept for the live view, or rejected (malformed or out of bounds: the result is refused).',
    [['{result="kept"}', m.probeReportsKept], ['{result="rejected"}', m.probeReportsRejected]]);
  metric('lobbies_created_total', 'counter', 'Lobbies created.', [['', m.lobbiesCreated]]);
  metric('lobbies_removed_total', 'counter', 'Lobbies removed after their last member left.', [['', m.lobbiesRemoved]]);
  metric('pairs_started_total', 'counter', 'pair.start pairs scheduled.', [['', m.pairsStarted]]);
  metric('candidates_relayed_total', 'counter', 'Candidates relayed between pair sides.', [['', m.candidatesRelayed]]);
  metric('resumes_total', 'counter', 'Sessions resumed with a token.', [['', m.resumes]]);
  metric('restores_total', 'counter', 'Members back with lobby.restore (lobby key).', [['', m.restores]]);
  metric('lobbies_restored_total', 'counter', 'Lobbies re-created by lobby.restore.', [['', m.lobbiesRestored]]);
  metric('grace_evictions_total', 'counter', 'Members in their grace period removed early to make room for a newcomer in a full lobby.', [['', m.graceEvictions]]);
  metric('relay_credentials_total', 'counter', 'relay.credentials requests, by result (relay.md §4).',
    [['{result="minted"}', m.relayCredentials.minted], ['{result="refused"}', m.relayCredentials.refused]]);
  metric('path_changes_total', 'counter', 'Links reported connected again over another path, by the new path (relay ↔ direct).',
    Object.entries(m.pathChanges).map(([k, v]) => [`{to="${k}"}`, v]));
  if (relay !== undefined) renderRelay(metric, relay);
  metric('dropped_while_away_total', 'counter', 'Messages not delivered because the member was in its grace period.', [['', m.droppedWhileAway]]);
  if (http !== undefined) {
    metric('http_pending', 'gauge', 'TCP connections whose HTTP request (upgrade, /healthz, /metrics) is not in yet.', [['', http.pending]]);
    metric('http_pending_dropped_total', 'counter', 'Pending TCP connections cut: timeout (headersTimeoutMs), per_ip (maxPendingHttpPerIp), total (maxPendingHttp).',
      PENDING_DROP_REASONS.map((r) => [`{reason="${r}"}`, http.dropped[r]]));
  }
  if (stun !== undefined) {
    metric('stun_requests_total', 'counter', 'STUN datagrams received by the embedded responder, by result.', [
      ['{result="answered"}', stun.answered], ['{result="rejected"}', stun.rejected], ['{result="malformed"}', stun.malformed], ['{result="ignored"}', stun.ignored],
      ['{result="limited"}', stun.limited],
    ]);
  }
  return `${out.join('\n')}\n`;
}

type MetricFn = (name: string, type: 'gauge' | 'counter', help: string, rows: Array<[string, number]>) => void;

/** The embedded relay's series (relay.md §4); label sets are the counters' fixed keys. */
function renderRelay(metric: MetricFn, r: RelayGauges): void {
  const c = r.counters;
  const rows = (o: Readonly<Record<string, number>>, label: string): Array<[string, number]> => Object.entries(o).map(([k, v]) => [`{${label}="${k}"}`, v]);
  metric('relay_allocations', 'gauge', 'Live allocations of the embedded relay (port binds in progress included).', [['', r.allocations]]);
  metric('relay_ports_free', 'gauge', 'Relayed ports of --relay-ports not in use.', [['', r.portsFree]]);
  metric('relay_allocations_total', 'counter', 'Allocate outcomes: created, auth (401 after the challenge), quota (486), capacity (508), membership (not a lobby member).',
    rows(c.allocationsTotal, 'result'));
  metric('relay_allocations_ended_total', 'counter', 'Allocations ended, by reason.', rows(c.allocationsEnded, 'reason'));
  metric('relay_bytes_total', 'counter', 'Relayed payload bytes, by direction.', rows(c.bytes, 'direction'));
  metric('relay_datagrams_total', 'counter', 'Relayed datagrams, by direction.', rows(c.datagrams, 'direction'));
  metric('relay_dropped_total', 'counter', 'Datagrams the relay dropped, by reason.', rows(c.dropped, 'reason'));
  const req: Array<[string, number]> = [];
  for (const [method, codes] of Object.entries(c.requests)) for (const [code, v] of Object.entries(codes)) req.push([`{method="${method}",code="${code}"}`, v]);
  metric('relay_requests_total', 'counter', 'TURN requests answered, by method and code (every allocation starts with one 401 challenge).', req);
  metric('relay_unauthenticated_dropped_total', 'counter', 'Answers to unauthenticated or failed requests not sent: over the per-IP or total budget.', [['', c.unauthenticatedDropped]]);
}
