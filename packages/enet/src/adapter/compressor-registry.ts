// Adapter: the compressors behind Godot's `compress(mode)` (docs/specs/godot-enet.md §5.6), one
// registry for every ENetConnection of the process.
import type { Compressor } from '../core/config.js';
import { RangeCoder } from '../core/range-coder.js';
import { ENetError } from '../errors.js';
import { CompressionMode, type CompressionModeValue } from './enums.js';

/** Factories behind `compress(mode)`: RANGE_CODER is libenet's range coder (range-coder.ts). */
const compressorFactories = new Map<number, () => Compressor>([[CompressionMode.RANGE_CODER, () => new RangeCoder()]]);

/** Registers (or replaces) the compressor `compress(mode)` installs for `mode`, e.g. a FASTLZ port. */
export function registerCompressor(mode: CompressionModeValue, factory: () => Compressor): void {
  compressorFactories.set(mode, factory);
}

/**
 * A fresh compressor for `mode` (not NONE).
 * @throws ENetError ERR_UNAVAILABLE for a mode nothing is registered for.
 */
export function compressorFor(mode: CompressionModeValue): Compressor {
  const factory = compressorFactories.get(mode);
  if (factory === undefined) {
    // FASTLZ, ZLIB and ZSTD are Godot-only callbacks (godot-enet.md §5.6), not libenet; meshpunch
    // does not implement them, so refuse rather than fail to talk to the remote later.
    const name = ['NONE', 'RANGE_CODER', 'FASTLZ', 'ZLIB', 'ZSTD'][mode] ?? String(mode);
    throw new ENetError('ERR_UNAVAILABLE', `compression mode ${name} (${String(mode)}) is not implemented by meshpunch; use NONE or RANGE_CODER on both ends`, { mode });
  }
  return factory();
}
