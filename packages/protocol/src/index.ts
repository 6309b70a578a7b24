// Public surface of this package: re-exports only.
export { ProtocolError } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
