// The `@meshpunch/signaling/client` entry: re-exports only. The client alone (ws and the
// protocol), without the server, its core and the STUN responder the main entry also loads: a
// CLI that starts per run (meshpunch join) saves that module-loading time. Also in the main entry.
export { SignalingError } from './errors.js';
export type { SignalingErrorCode } from './errors.js';
export { SignalingClient } from './adapter/signaling-client.js';
export type {
  SignalingClientOptions, SignalingClientEvents, CandidatesEvent, CreateLobbyOptions, JoinLobbyOptions, JoinedLobby, PairStart, PairResult, RelayCredentials,
} from './adapter/signaling-client.js';
