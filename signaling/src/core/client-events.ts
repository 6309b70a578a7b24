// What SignalingClient reports and resolves to (core): the payloads of its events, defined next to
// the sans-IO ClientSession that produces them; the adapter re-exports them unchanged.
import type {
  Candidate, FailureReason, LeaveReason, LinkView, LobbyView, MemberView, NatHint, PairRole, PathKind, ProbeReport, RelayServer,
} from '@meshpunch/protocol';
import type { SignalingError } from '../errors.js';

/** Result of creating, joining or resuming a lobby. */
export interface JoinedLobby {
  /** Our peer id: 1 for the creator, else 2..2³¹−1. */
  you: number;
  lobby: LobbyView;
  /** The lobby's live view (`http(s)://…/ui/lobby#…`) when the service serves one (`--ui`). */
  viewUrl?: string;
}

/** A pair to punch, with its start time on both clocks. */
export interface PairStart {
  pair: number;
  remote: number;
  role: PairRole;
  /** Punch time on the service clock (ms). */
  at: number;
  /** Punch time on this client's clock (`options.now`, ms). */
  startAt: number;
  /** 16 bytes shared with the remote only, for authenticating punch probes. */
  secret: Uint8Array;
  /** The pair this one replaces (after a resume), if any. */
  replaces?: number;
}

/** (1.2) What `relayCredentials()` resolves to: TURN REST credentials for this member. */
export interface RelayCredentials {
  /** `<expiry unix s>:<lobbyTag>.<peerId>`. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  password: string;
  /** Seconds the credential is valid for at Allocate. */
  ttlS: number;
  realm: string;
  /** Where they are valid (a server without `host` is on the signaling URL's host). */
  servers: RelayServer[];
}

/** What a client reports about a pair. */
export type PairResult =
  | { outcome: 'connected'; path: PathKind; rttMs?: number }
  | { outcome: 'failed'; reason: FailureReason; probes?: ProbeReport };

/** Candidates the other side of a pair sent (the `candidates` event). */
export interface CandidatesEvent { pair: number; from: number; candidates: Candidate[]; done: boolean; nat?: NatHint; fingerprint?: string }

/** Events of SignalingClient and their payloads. */
export interface SignalingClientEvents {
  peerJoined: MemberView;
  peerLeft: { id: number; reason: LeaveReason };
  peerAway: { id: number; graceMs: number };
  peerBack: { id: number };
  ownerChanged: { owner: number };
  sealed: Record<string, never>;
  pairStart: PairStart;
  /** `nat` (1.2): the other side's NAT hint, `fingerprint` (1.5) its DTLS certificate's, when it sent them. */
  candidates: CandidatesEvent;
  linkUpdated: LinkView;
  /** The WebSocket dropped; `willResume` says whether the client is trying to resume. */
  disconnected: { code: number; reason: string; willResume: boolean };
  /**
   * Back after a drop: same id, the lobby as it is now, the URL now used; `restored` when the
   * service had lost the lobby and it was re-registered with `lobby.restore`.
   */
  resumed: JoinedLobby & { restored: boolean; url: string };
  /** An attempt to get back failed; the next one starts in `inMs` (at `url`). */
  retrying: { attempt: number; error: SignalingError; url: string; inMs: number };
  /** The service announced shutdown. */
  shutdown: { reason: string };
  /** The client is finished (close(), a failed resume, or a drop outside a lobby). */
  closed: { code: number; reason: string; error?: SignalingError };
  /** An unsolicited error from the service, or a message that failed validation. */
  error: SignalingError;
}

/** The name of a SignalingClient event. */
export type SignalingClientEventName = keyof SignalingClientEvents;
