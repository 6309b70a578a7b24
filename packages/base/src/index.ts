// Public surface of @meshpunch/base: re-exports only.
export { MeshpunchError } from './core/meshpunch-error.js';
export { CliUsageError } from './core/cli-usage-error.js';
export { crc32, crc32Update, crc32Final } from './core/crc32.js';
export { setAt, viewOf } from './core/typed-array.js';
export { TokenBucket } from './core/token-bucket.js';
export { PATH_KINDS } from './core/path-kind.js';
export type { PathKind } from './core/path-kind.js';
export type { Candidate, CandidateKind } from './core/candidate.js';
export { monotonicNow, monotonicFromWallClock } from './adapter/clock.js';
export { CoreRunner } from './adapter/core-runner.js';
export { DeadlineTimer } from './adapter/deadline-timer.js';
export type { DeadlineTimerOptions } from './adapter/deadline-timer.js';
export type { CoreRunnerOptions } from './adapter/core-runner.js';
export type { Endpoint, MutableEndpoint, SansIoCore } from './core/sans-io-core.js';
export { ipFamily, isIpv4, isIpv6, normalizeIp, unmappedIp, parseIpv4Into, parseIpv6Into, formatIpv4, formatIpv6 } from './core/ip-address.js';
