// Public surface of this package: re-exports only.
export { SignalingError } from './errors.js';
export type { SignalingErrorCode } from './errors.js';
