// Public surface of this package: re-exports only.
export { ENetError } from './errors.js';
export type { ENetErrorCode } from './errors.js';
