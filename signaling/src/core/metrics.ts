// Counters of the signaling core; every key set is fixed so /metrics stays bounded (core).
// (docs/benchmarks.md: one server grew a metrics series per junk command, to 235 MB.)
import { CLIENT_MESSAGE_TYPES, CLOSE_CODES, FAILURE_REASONS, LEAVE_REASONS, PATH_KINDS, WIRE_ERROR_CODES } from '@meshpunch/protocol';
import type { ClientMessageType, WireErrorCode } from '@meshpunch/protocol';

/** Message-type buckets: every client type, plus frames that had no valid type. */
export type MessageBucket = ClientMessageType | 'invalid' | 'binary';

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

/** Pair-result buckets: `connected/<path>` and `failed/<reason>`. */
export const PAIR_RESULT_KEYS: readonly string[] = Object.freeze([
  ...PATH_KINDS.map((p) => `connected/${p}`),
  ...FAILURE_REASONS.map((r) => `failed/${r}`),
]);

/** Every counter the core keeps. Gauges (connections, lobbies) are read from the core itself. */
export class SignalingMetrics {
  connectionsOpened = 0;
  messagesOut = 0;
  bytesIn = 0;
  lobbiesCreated = 0;
  lobbiesRemoved = 0;
  pairsStarted = 0;
  candidatesRelayed = 0;
  /** Messages addressed to a member in its grace period, dropped (it gets a snapshot on resume). */
  droppedWhileAway = 0;
  resumes = 0;
  /** Members that came back with lobby.restore, and lobbies a restore re-created (issue #12). */
  restores = 0;
  lobbiesRestored = 0;
  /** Members in their grace period removed early to make room for a newcomer (issue #13 item 8). */
  graceEvictions = 0;
  /** Members admitted to a lobby (create, join, restore): the live view's admissions per second. */
  membersAdmitted = 0;
  readonly messagesIn: Record<MessageBucket, number> = zeros<MessageBucket>([...CLIENT_MESSAGE_TYPES, 'invalid', 'binary']);
  readonly errors: Record<WireErrorCode, number> = zeros(WIRE_ERROR_CODES);
  /** Closes the service initiated, by close-code name. */
  readonly closes: Record<string, number> = zeros(CLOSE_CODES.map(([name]) => name));
  readonly membersLeft: Record<string, number> = zeros(LEAVE_REASONS);
  readonly pairResults: Record<string, number> = zeros(PAIR_RESULT_KEYS);
  /** relay.credentials answered with credentials, or refused (relay.md §4 `_relay_credentials_total`). */
  readonly relayCredentials: Record<'minted' | 'refused', number> = { minted: 0, refused: 0 };
  /** pair.result messages refused for a bad `probes` record (1.6); the result itself is refused with them. */
  probeReportsRejected = 0;
  /** pair.result messages whose `probes` record was kept for the live view (1.6). */
  probeReportsKept = 0;
  /** A side's `connected` report naming another path than its previous one (relay.md §4 `_path_changes_total{to}`). */
  readonly pathChanges: Record<string, number> = zeros(PATH_KINDS);
}
