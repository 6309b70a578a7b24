// Public surface of this package: re-exports only.
export { MultiplayerError } from './errors.js';
export type { MultiplayerErrorCode } from './errors.js';
