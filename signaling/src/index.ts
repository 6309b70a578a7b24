// Public surface of @meshpunch/signaling: re-exports only.
export { SignalingError } from './errors.js';
export type { SignalingErrorCode } from './errors.js';
export { SignalingCore } from './core/signaling-core.js';
export type { CoreOutput, CoreSnapshot } from './core/signaling-core.js';
export { resolveSignalingCoreOptions, LOG_LEVELS } from './core/config.js';
export type { SignalingCoreOptions, SignalingCoreConfig, LogLevel } from './core/config.js';
export { LIMIT_SPECS, defaultLimits } from './core/limits.js';
export type { SignalingLimits, LimitSpec } from './core/limits.js';
export { SignalingMetrics, PAIR_RESULT_KEYS } from './core/metrics.js';
export { SignalingServer } from './adapter/signaling-server.js';
// What meshpunch-signal does to its own process's V8 heap (a process that embeds SignalingServer may do the same).
export { capYoungGeneration, SERVICE_SEMI_SPACE_MIB } from './adapter/young-generation.js';
export type { SignalingServerOptions, RelayServiceOptions, StunStarter } from './adapter/signaling-server.js';
export type { StunServiceOptions, StunHandle } from './adapter/stun-responder.js';
export { RelayAccess } from './core/relay-access.js';
export type { RelayCredentialOptions, RelayCredentialConfig } from './core/relay-access.js';
export { ClientSession } from './core/client-session.js';
export type { ClientSessionConfig, ClientSessionEvent, ClientPhase, RequestKind, ServiceAddress } from './core/client-session.js';
export { SignalingClient, lobbyViewUrl } from './adapter/signaling-client.js';
export type {
  SignalingClientOptions, SignalingClientEvents, CandidatesEvent, CreateLobbyOptions, JoinLobbyOptions, JoinedLobby, PairStart, PairResult, RelayCredentials,
} from './adapter/signaling-client.js';
export { createJsonLog } from './adapter/json-log.js';
export type { LogSink } from './adapter/json-log.js';
export { renderPrometheus } from './core/prometheus.js';
export { startStunResponder } from './adapter/stun-responder.js';
export { runCli } from './cli/main.js';
export { UiServer, LOBBY_VIEW_PATH, OPERATOR_VIEW_PATH } from './adapter/ui-server.js';
export type { UiOptions } from './adapter/ui-server.js';
export type { LiveLobby, LiveLink, LiveMember, LiveEvent, LiveOperator, LiveHealth, LiveLobbyRow, LiveServerMessage, LiveHello } from './core/live-view.js';
export { parseCli, helpText } from './cli/flags.js';
