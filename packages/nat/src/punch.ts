// The `@meshpunch/nat/punch` entry: re-exports only. Just what one punched link needs (candidate
// gathering over an existing socket, the intercept transport, the punch session), without the
// UPnP/XML, NAT-PMP and discovery code the main entry also loads: a CLI that starts per run
// (meshpunch join) saves that module-loading time. Everything here is also in the main entry.
export { candidatePriority, validateCandidate, sortCandidates, pathKindOf } from './core/candidates.js';
export { normalizeIp } from '@meshpunch/base';
export type { Candidate, CandidateKind, RankedCandidate, PathKind } from './core/candidates.js';
export { gatherCandidates } from './adapter/gather-candidates.js';
export type { GatherOptions, GatherResult } from './adapter/gather-candidates.js';
export { createInterceptTransport } from './adapter/intercept-transport.js';
export type { InterceptTransport } from './adapter/intercept-transport.js';
export { PunchSession } from './adapter/punch-session.js';
export { remoteCandidateRejection, sourceRejection } from './core/candidate-policy.js';
export type { CandidateRejection, RejectedCandidate } from './core/candidate-policy.js';
export type { PunchSessionOptions } from './adapter/punch-session.js';
export type { PunchEvent } from './core/punch/punch-machine.js';
// The relay decision of a link (agent: predicted-hard pairs allocate at once, relay.md §3).
export { canHolePunch, isEndpointDependentMapping } from './core/nat-behavior.js';
export type { NatProfile } from './core/nat-behavior.js';
