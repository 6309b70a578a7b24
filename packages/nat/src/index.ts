// Public surface of this package: re-exports only.
export { NatError } from './errors.js';
export type { NatErrorCode } from './errors.js';
