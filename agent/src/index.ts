// Public surface of this package: re-exports only.
export { AgentError } from './errors.js';
export type { AgentErrorCode } from './errors.js';
