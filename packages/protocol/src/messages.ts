// Every signaling message of protocol v1, as TypeScript types (core). docs/protocol.md mirrors it.
import type { Candidate } from './candidate.js';
import type { ProbeReport } from './probe-fields.js';
import type { WireErrorCode } from './wire-errors.js';

/** `mesh`: every member pairs with every other. `server`: members pair with the owner only. */
export type LobbyMode = 'mesh' | 'server';
/** Which side dials: `listen` waits for the ENet connect, `connect` calls connectToHost. */
export type PairRole = 'connect' | 'listen';
/** How a pair ended up linked (docs/design.md step 5); defined once in @meshpunch/base. */
import type { PathKind } from '@meshpunch/base';
export type { PathKind };
/** What a client reports about a pair. */
export type PairOutcome = 'connected' | 'failed';
/** Why a pair failed; a fixed set so metrics stay bounded. */
export type FailureReason = 'timeout' | 'no-candidates' | 'unreachable' | 'refused' | 'cancelled' | 'error';
/** Why a member is no longer in the lobby. */
export type LeaveReason = 'left' | 'timeout' | 'closed';
/** The state of a link in the lobby view. */
export type LinkState = 'pending' | 'connected' | 'failed';
/** NAT mapping behaviour in a `pair.candidates` hint (RFC 4787 §4.1; 'none' = no NAT). (1.2) */
export type NatMappingHint = 'none' | 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'unknown';
/** NAT filtering behaviour in a `pair.candidates` hint (RFC 4787 §5). (1.2) */
export type NatFilteringHint = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'unknown';

export const LOBBY_MODES: readonly LobbyMode[] = Object.freeze(['mesh', 'server']);
export const PAIR_ROLES: readonly PairRole[] = Object.freeze(['connect', 'listen']);
export { PATH_KINDS } from '@meshpunch/base';
export const PAIR_OUTCOMES: readonly PairOutcome[] = Object.freeze(['connected', 'failed']);
export const FAILURE_REASONS: readonly FailureReason[] = Object.freeze(['timeout', 'no-candidates', 'unreachable', 'refused', 'cancelled', 'error']);
export const LEAVE_REASONS: readonly LeaveReason[] = Object.freeze(['left', 'timeout', 'closed']);
export const LINK_STATES: readonly LinkState[] = Object.freeze(['pending', 'connected', 'failed']);
export const NAT_MAPPING_HINTS: readonly NatMappingHint[] = Object.freeze(['none', 'endpoint-independent', 'address-dependent', 'address-and-port-dependent', 'unknown']);
export const NAT_FILTERING_HINTS: readonly NatFilteringHint[] = Object.freeze(['endpoint-independent', 'address-dependent', 'address-and-port-dependent', 'unknown']);
/** Relay transports a `welcome.relay` server may name (relay.md §4: UDP only). */
export const RELAY_TRANSPORTS = Object.freeze(['udp'] as const);
/** Most relay servers a `welcome` / `relay.credentials` lists. */
export const MAX_RELAY_SERVERS = 8;
/** Longest relay host text (a DNS name is at most 253 characters). */
export const MAX_RELAY_HOST_LENGTH = 253;
/** Longest TURN REST username / password / realm the service hands out (RFC 8489 §14.3: < 513 bytes). */
export const MAX_RELAY_USERNAME_LENGTH = 512;
export const MAX_RELAY_PASSWORD_LENGTH = 128;
export const MAX_RELAY_REALM_LENGTH = 127;

/** Longest display name, in UTF-16 code units. */
export const MAX_PEER_NAME_LENGTH = 32;
/** Longest lobby password, in UTF-16 code units. */
export const MAX_PASSWORD_LENGTH = 128;
/** Longest resume token text (base64url of 18 bytes is 24; room for future formats). */
export const MAX_TOKEN_LENGTH = 64;
/** Lobby restore key text: base64url of 16 bytes is 22 characters; room for future formats. */
export const MAX_LOBBY_KEY_LENGTH = 64;
/**
 * Lobby claim text (1.3): 16..64 characters. SignalingClient sends base64url(HMAC-SHA256) of the
 * group's claim secret and the lobby name (43 characters), so the service never sees the secret.
 */
export const MIN_LOBBY_CLAIM_LENGTH = 16;
export const MAX_LOBBY_CLAIM_LENGTH = 64;
/** Longest `view` link (1.4): a path, the lobby's code (≤ 64 characters, percent-encoded) and a token. */
export const MAX_VIEW_LENGTH = 512;
/** Most ids a `lobby.restore` may list in `members` / `linked` (the largest maxPeersCap). */
export const MAX_RESTORE_IDS = 4096;
/** Largest request id: uint32, so any client can keep a counter without bigints. */
export const MAX_RID = 0xffffffff;
/** Peer ids: 1 for the lobby creator, else 2..2³¹−1 (Godot's range, nat-traversal.md §1.9). */
export const MAX_PEER_ID = 0x7fffffff;

// ---------------------------------------------------------------- client → service

/** First message of every connection: version and capability negotiation. */
export interface HelloMessage { type: 'hello'; rid: number; versions: number[]; caps?: string[]; name?: string }
/**
 * Take over a session that lost its WebSocket, within the grace period. `linked` (1.1): the ids
 * the sender has a live link with; those pairs count as connected (their results may have been
 * lost with the connection), so the resume does not restart them.
 */
export interface ResumeMessage { type: 'resume'; rid: number; token: string; linked?: number[] }
/**
 * Create a lobby (server-generated code, or the requested `name` when free) and join it as id 1.
 * `claim` (1.3, needs `name`): the lobby is created among the lobbies of that claim only, so a
 * lobby of the same name made without it (or with another) is a different lobby.
 */
export interface LobbyCreateMessage { type: 'lobby.create'; rid: number; name?: string; password?: string; maxPeers?: number; mode?: LobbyMode; claim?: string }
/**
 * Join a lobby by code or name. With `createIfMissing` a lobby that does not exist yet is
 * created under that name (mode mesh, `maxPeers` or the default, `password` as its password)
 * and the sender becomes peer 1: everyone may run the same command, in any order. With `claim`
 * (1.3) only the lobby of that name and claim is found or created: a name pre-created by someone
 * without the group's claim secret is another lobby (name squatting, issue #13 item 8).
 */
export interface LobbyJoinMessage { type: 'lobby.join'; rid: number; lobby: string; password?: string; createIfMissing?: boolean; maxPeers?: number; claim?: string }
/**
 * Re-register a lobby the service no longer knows (it restarted), or rejoin one that another
 * member already restored, under the id the sender holds. `key` is the lobby key every member got
 * in `lobby.joined`; the first restorer sets it, later ones must give the same. `members` are the
 * ids the sender knows (reserved: never drawn for a newcomer); `linked` the ids it has a live link
 * with (a pair both sides list stays connected, without a new `pair.start`). `claim` (1.3): the
 * claim the lobby was created with, so it is restored among that claim's lobbies.
 */
export interface LobbyRestoreMessage {
  type: 'lobby.restore'; rid: number; lobby: string; key: string; you: number; members: number[]; linked: number[];
  mode?: LobbyMode; maxPeers?: number; password?: string; sealed?: boolean; claim?: string;
}
/** Leave the current lobby (idempotent: answered `ok` when in none). */
export interface LobbyLeaveMessage { type: 'lobby.leave'; rid: number }
/** Owner only: admit nobody new. */
export interface LobbySealMessage { type: 'lobby.seal'; rid: number }
/** Ask for the lobby view (members, links). */
export interface LobbyGetMessage { type: 'lobby.get'; rid: number }
/**
 * What a side knows about its own NAT (1.2, relay.md §3): `mapping` from two STUN destinations
 * (mapped ports that differ → address-dependent or worse), `filtering` when known. The other side
 * uses it to decide whether to allocate a relay at once.
 */
export interface NatHint { mapping: NatMappingHint; filtering: NatFilteringHint }
/** Send candidates for a pair to the other side (trickle: several messages, `done` on the last); `nat` (1.2) is passed on. */
export interface PairCandidatesMessage { type: 'pair.candidates'; rid: number; pair: number; candidates: Candidate[]; done?: boolean; nat?: NatHint; fingerprint?: string }
/** Ask for TURN credentials for the relay servers of `welcome.relay` (1.2, capability `relay`). */
export interface RelayCredentialsRequest { type: 'relay.credentials'; rid: number }
/**
 * Report how a pair ended. `probes` (1.6): what became of this side's checks to each of the
 * other side's addresses, for the live view's per-candidate timeline.
 */
export interface PairResultMessage {
  type: 'pair.result'; rid: number; pair: number; outcome: PairOutcome;
  path?: PathKind; rttMs?: number; reason?: FailureReason; probes?: ProbeReport;
}
/** Answer to `heartbeat`: echoes `n`, gives the client's own monotonic clock in ms. */
export interface HeartbeatAckMessage { type: 'heartbeat.ack'; n: number; local: number }

/** Any message a client may send. */
export type ClientMessage =
  | HelloMessage | ResumeMessage | LobbyCreateMessage | LobbyJoinMessage | LobbyRestoreMessage | LobbyLeaveMessage
  | LobbySealMessage | LobbyGetMessage | PairCandidatesMessage | PairResultMessage | HeartbeatAckMessage | RelayCredentialsRequest;

/** Client message types, in documentation order. */
export const CLIENT_MESSAGE_TYPES = Object.freeze([
  'hello', 'resume', 'lobby.create', 'lobby.join', 'lobby.restore', 'lobby.leave', 'lobby.seal', 'lobby.get',
  'pair.candidates', 'pair.result', 'heartbeat.ack', 'relay.credentials',
] as const);
/** One client message type. */
export type ClientMessageType = ClientMessage['type'];

// ---------------------------------------------------------------- views

/** A lobby member as others see it. */
export interface MemberView { id: number; name?: string; away: boolean }
/** A pair of members and what their reports say. `a` < `b`. */
export interface LinkView { pair: number; a: number; b: number; state: LinkState; path?: PathKind; rttMs?: number; reason?: FailureReason }
/** Everything a member may know about its lobby. */
export interface LobbyView {
  code: string; mode: LobbyMode; maxPeers: number; sealed: boolean; owner: number; hasPassword: boolean;
  /** Every pair of the lobby for a client that offered `link-view`; empty for the others (1.8). */
  members: MemberView[]; links: LinkView[];
}
/** Limits the service enforces, told in `welcome` so clients need not guess. */
export interface ServiceLimits {
  maxMessageBytes: number; maxCandidatesPerPair: number; maxPeersCap: number;
  messagesPerSecond: number; messageBurst: number;
}

/**
 * A TURN server the members may allocate on (1.2, relay.md §4). `host` absent: the signaling
 * URL's host (as for `stunPort`). UDP only.
 */
export interface RelayServer { host?: string; port: number; transport: 'udp' }
/** `welcome.relay`: the relay servers this service offers credentials for. */
export interface RelayInfo { servers: RelayServer[] }

// ---------------------------------------------------------------- service → client

/** Answer to `hello`. `now` is the service clock (ms, monotonic); `graceMs` the resume window. */
export interface WelcomeMessage {
  type: 'welcome'; rid: number; version: number; caps: string[]; now: number; graceMs: number;
  heartbeatMs: number; limits: ServiceLimits; stunPort?: number;
  /**
   * (1.7) The welcome also stands for heartbeat number `n` (sent at `now`): a client that
   * knows the field answers it with `heartbeat.ack`, giving the service its first RTT and
   * clock-offset sample. Before 1.7 a separate `heartbeat` preceded the welcome.
   */
  n?: number;
  /** (1.2) Present when the service offers a relay: the servers `relay.credentials` is valid for. */
  relay?: RelayInfo;
}
/** Success answer with nothing to say. */
export interface OkMessage { type: 'ok'; rid: number }
/** Failure answer; `rid` is null when the request id could not be read. */
export interface ErrorMessage { type: 'error'; rid: number | null; code: WireErrorCode; message: string; details?: Record<string, string | number | boolean> }
/**
 * Answer to `lobby.create` / `lobby.join` / `lobby.restore`: your id, your resume token, the
 * lobby; `key` (with the `restore` capability) is the lobby key for a later `lobby.restore`;
 * `view` (1.4, when the service serves its live view) the lobby view's link relative to the
 * service's HTTP origin (`/ui/lobby#lobby=<code>&token=<view token>`).
 */
export interface LobbyJoinedMessage { type: 'lobby.joined'; rid: number; you: number; token: string; lobby: LobbyView; key?: string; view?: string }
/** Answer to `resume`: same id, a fresh token, the lobby as it is now (and its key and view, see lobby.joined). */
export interface ResumeOkMessage { type: 'resume.ok'; rid: number; you: number; token: string; lobby: LobbyView; key?: string; view?: string }
/** Answer to `lobby.get`. */
export interface LobbyStateMessage { type: 'lobby.state'; rid: number; lobby: LobbyView }
/** Sent by the service every heartbeatMs; answer with `heartbeat.ack`. Carries the latest RTT and clock-offset estimates. */
export interface HeartbeatMessage { type: 'heartbeat'; n: number; now: number; rttMs?: number; offsetMs?: number }
/** A member joined. */
export interface PeerJoinedMessage { type: 'peer.joined'; peer: MemberView }
/** A member left (or its grace ran out). Every pair with it ends. */
export interface PeerLeftMessage { type: 'peer.left'; id: number; reason: LeaveReason }
/** A member lost its WebSocket; it may resume within graceMs. */
export interface PeerAwayMessage { type: 'peer.away'; id: number; graceMs: number }
/** A member resumed. */
export interface PeerBackMessage { type: 'peer.back'; id: number }
/** Lobby ownership passed to `owner` (the lowest remaining id). */
export interface LobbyOwnerMessage { type: 'lobby.owner'; owner: number }
/** The owner sealed the lobby. */
export interface LobbySealedMessage { type: 'lobby.sealed' }
/**
 * Start punching `pair` with `remote` at service time `at` (ms). `offsetMs` is the service's
 * estimate of (client clock − service clock), so the local start is `at + offsetMs`. `secret`
 * is 16 random bytes, base64url, shared by both sides only, for authenticating punch probes.
 */
export interface PairStartMessage {
  type: 'pair.start'; pair: number; remote: number; role: PairRole; at: number; offsetMs: number | null;
  secret: string; replaces?: number;
}
/** Candidates the remote side of `pair` sent; `nat` (1.2) its NAT hint, `fingerprint` (1.5) its DTLS certificate's, when sent. */
export interface PairCandidatesEvent { type: 'pair.candidates'; pair: number; from: number; candidates: Candidate[]; done: boolean; nat?: NatHint; fingerprint?: string }
/**
 * Answer to `relay.credentials` (1.2): TURN REST credentials (relay.md §1) for this member, valid
 * for `ttlS` seconds at Allocate on every server listed. username = `<expiry>:<lobbyTag>.<peerId>`.
 */
export interface RelayCredentialsMessage {
  type: 'relay.credentials'; rid: number; username: string; password: string; ttlS: number; realm: string; servers: RelayServer[];
}
/** A link's state changed after a `pair.result`. */
export interface LinkUpdatedMessage { type: 'link.updated'; link: LinkView }
/** The service is going down; the connection closes with 1001 right after. */
export interface ShutdownMessage { type: 'shutdown'; reason: string }

/** Any message the service may send. */
export type ServerMessage =
  | WelcomeMessage | OkMessage | ErrorMessage | LobbyJoinedMessage | ResumeOkMessage | LobbyStateMessage
  | HeartbeatMessage | PeerJoinedMessage | PeerLeftMessage | PeerAwayMessage | PeerBackMessage
  | LobbyOwnerMessage | LobbySealedMessage | PairStartMessage | PairCandidatesEvent | LinkUpdatedMessage
  | ShutdownMessage | RelayCredentialsMessage;

/** Service message types, in documentation order. */
export const SERVER_MESSAGE_TYPES = Object.freeze([
  'welcome', 'ok', 'error', 'lobby.joined', 'resume.ok', 'lobby.state', 'heartbeat', 'peer.joined',
  'peer.left', 'peer.away', 'peer.back', 'lobby.owner', 'lobby.sealed', 'pair.start', 'pair.candidates',
  'link.updated', 'shutdown', 'relay.credentials',
] as const);
/** One service message type. */
export type ServerMessageType = ServerMessage['type'];
