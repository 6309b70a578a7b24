// Public surface of @meshpunch/protocol: re-exports only.
export { ProtocolError } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
export { PROTOCOL_VERSION, PROTOCOL_REVISION, SUPPORTED_VERSIONS, CAPABILITIES, negotiateVersion, negotiateCapabilities } from './version.js';
export type { Capability } from './version.js';
export { CloseCode, CLOSE_CODES } from './close-codes.js';
export type { CloseCodeName } from './close-codes.js';
export { WIRE_ERRORS, WIRE_ERROR_CODES, isWireErrorCode } from './wire-errors.js';
export type { WireErrorCode } from './wire-errors.js';
export {
  encodeLobbyCode, normalizeLobbyCode, isValidLobbyName, lobbyRefProblem, LOBBY_CODE_CHARS, LOBBY_CODE_EXAMPLE, LOBBY_CODE_RANDOM_BYTES,
  LOBBY_NAME_PATTERN, LOBBY_NAME_RULE,
} from './lobby-code.js';
export { CANDIDATE_KINDS, MAX_CANDIDATES_PER_PAIR, checkCandidate, isIPv4, isIPv6 } from './candidate.js';
export type { Candidate, CandidateKind } from './candidate.js';
export * from './messages.js';
export { decodeClientMessage, decodeClientValue } from './decode-client.js';
export type { DecodeResult } from './decode-client.js';
export { decodePairCandidatesBytes } from './decode-pair-candidates.js';
export type { CandidatesSpan } from './decode-pair-candidates.js';
export { decodeServerMessage } from './decode-server.js';
export { FieldReader } from './field-reader.js';
export { readNatHint, readRelayServers } from './relay-fields.js';
export { readFingerprint, FINGERPRINT_LENGTH } from './link-fields.js';
export {
  readProbeReport, PROBE_KINDS, PROBE_OUTCOMES, MAX_PROBE_CHECKS, MAX_PROBE_MS, MAX_PROBES_SENT, MAX_PROBES_OMITTED,
} from './probe-fields.js';
export type { ProbeCheck, ProbeKind, ProbeOutcome, ProbeReport } from './probe-fields.js';
