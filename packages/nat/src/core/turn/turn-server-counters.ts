// The TURN server core's counters (core), named after relay.md §4's `/metrics`, and the labels a
// request is counted under.
import { TurnMethod } from './constants.js';
import type { TurnAllocationEndReason } from './turn-server-events.js';

/** Request methods as the `/metrics` `method` label names them (relay.md §4). */
export type TurnRequestMethodLabel = 'allocate' | 'refresh' | 'create_permission' | 'channel_bind';
/** Response codes as the `/metrics` `code` label names them; other 4xx/5xx count as '400'. */
export type TurnRequestCodeLabel = 'ok' | '400' | '401' | '403' | '437' | '438' | '441' | '486' | '508';

/** Counters named after relay.md §4's `/metrics` (label sets fixed). */
export interface TurnServerCounters {
  /** `_relay_allocations_total{result}`. */
  readonly allocationsTotal: { created: number; auth: number; quota: number; capacity: number; membership: number };
  /** `_relay_allocations_ended_total{reason}`. */
  readonly allocationsEnded: Record<TurnAllocationEndReason, number>;
  /** `_relay_bytes_total{direction}` (payload bytes). */
  readonly bytes: { to_peer: number; to_client: number };
  /** `_relay_datagrams_total{direction}`. */
  readonly datagrams: { to_peer: number; to_client: number };
  /** `_relay_dropped_total{reason}`. */
  readonly dropped: { no_permission: number; forbidden_peer: number; over_rate: number; unbound_channel: number; malformed: number };
  /** `_relay_requests_total{method,code}`. */
  readonly requests: Record<TurnRequestMethodLabel, Record<TurnRequestCodeLabel, number>>;
  /** Unauthenticated answers not sent: over `unauthenticatedPerSecond`. */
  unauthenticatedDropped: number;
  /** Transmits dropped on a full queue. */
  transmitsDropped: number;
  eventsDropped: number;
}

/** Every counter at zero. */
export function newTurnServerCounters(): TurnServerCounters {
  return {
    allocationsTotal: { created: 0, auth: 0, quota: 0, capacity: 0, membership: 0 },
    allocationsEnded: { expired: 0, deleted: 0, member_left: 0, shutdown: 0 },
    bytes: { to_peer: 0, to_client: 0 },
    datagrams: { to_peer: 0, to_client: 0 },
    dropped: { no_permission: 0, forbidden_peer: 0, over_rate: 0, unbound_channel: 0, malformed: 0 },
    requests: { allocate: zeroCodes(), refresh: zeroCodes(), create_permission: zeroCodes(), channel_bind: zeroCodes() },
    unauthenticatedDropped: 0,
    transmitsDropped: 0,
    eventsDropped: 0,
  };
}

/** The `code` label of a response code. */
export function codeLabel(code: number): TurnRequestCodeLabel {
  switch (code) {
    case 401: return '401';
    case 403: return '403';
    case 437: return '437';
    case 438: return '438';
    case 441: return '441';
    case 486: return '486';
    case 508: return '508';
    default: return '400';
  }
}

/** The `method` label of a TURN request method. */
export function methodLabel(method: number): TurnRequestMethodLabel {
  return method === TurnMethod.Allocate ? 'allocate'
    : method === TurnMethod.Refresh ? 'refresh'
    : method === TurnMethod.CreatePermission ? 'create_permission'
    : 'channel_bind';
}

function zeroCodes(): Record<TurnRequestCodeLabel, number> {
  return { ok: 0, '400': 0, '401': 0, '403': 0, '437': 0, '438': 0, '441': 0, '486': 0, '508': 0 };
}
