// Public surface of @meshpunch/agent: re-exports only.
export { AgentError } from './errors.js';
export type { AgentErrorCode } from './errors.js';

// Library: join a lobby and get a mesh.
export { joinMesh } from './adapter/join-mesh.js';
export { MeshSession } from './adapter/mesh-session.js';
export type { MeshSessionEvents } from './adapter/mesh-session.js';
export { resolveJoinMeshOptions } from './adapter/options.js';
export type { JoinMeshOptions, JoinMeshConfig } from './adapter/options.js';
export { startEmbeddedSignaling } from './adapter/embedded-signaling.js';
export type { EmbeddedSignaling } from './adapter/embedded-signaling.js';
export { runNetcheck } from './adapter/netcheck.js';

// Core: the per-link state machine, the mesh view and report, netcheck types.
export { LinkMachine, DEFAULT_LINK_TIMEOUTS, LINK_FAILURE_REASONS, MAX_REMOTE_CANDIDATES } from './core/link-machine.js';
export type { LinkAction, LinkFailureReason, LinkOutcome, LinkPhase, LinkRole, LinkStart, LinkTimeouts, PathKind } from './core/link-machine.js';
export { MeshView } from './core/mesh-view.js';
export type { MeshReport, MeshReportPeer, MeshReportFailure, LinkSummary } from './core/mesh-view.js';
export type { MeshEvent } from './core/mesh-events.js';
export { netcheckVerdict } from './core/netcheck-verdict.js';
export { addressClass } from './core/address-class.js';
export type { AddressClass } from './core/address-class.js';
export type { NatBehavior, NetcheckReport, PortAllocation, UpnpReport } from './core/netcheck-verdict.js';
export { parseEndpoint, formatEndpoint } from './core/endpoint.js';
export type { Endpoint } from './core/endpoint.js';

// CLI, for embedding and tests.
export { runCli, EXIT_OK, EXIT_FAILED, EXIT_USAGE } from './cli/main.js';
export type { CliCommands } from './cli/main.js';
export { parseCommand, CliUsageError } from './cli/flags.js';
export type { Command, JoinFlags, NetcheckFlags } from './cli/flags.js';
