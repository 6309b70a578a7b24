// Public surface of this package: re-exports only.
export { ENetError } from './errors.js';
export type { ENetErrorCode } from './errors.js';
export { RangeCoder } from './core/range-coder.js';
export type { Compressor } from './core/range-coder.js';
export { crc32, crc32Update, crc32Final, enetCrc32 } from './core/crc32.js';
export type { ChecksumFunction } from './core/crc32.js';
