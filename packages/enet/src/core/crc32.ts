// ENet's datagram checksum (libenet `enet_crc32`) over the one CRC-32 of @meshpunch/base.
// Core layer: pure, no I/O. Spec: docs/specs/enet-protocol.md §2.2 and §12.
import { crc32Final, crc32Update } from '@meshpunch/base';

export { crc32, crc32Final, crc32Update } from '@meshpunch/base';

/**
 * The checksum callback shape the ENet core accepts (libenet `ENetChecksumCallback`): the CRC
 * over the concatenation of `buffers`, uint32. A host with this option on checks every
 * datagram; both ends must agree out of band (spec §2.2).
 */
export type ChecksumFunction = (buffers: readonly Uint8Array[]) => number;

/** libenet's `enet_crc32` as a {@link ChecksumFunction}: CRC-32 over all buffers in order. */
export const enetCrc32: ChecksumFunction = (buffers) => {
  let c = 0xffffffff;
  for (let i = 0; i < buffers.length; i++) c = crc32Update(c, buffers[i]!);
  return crc32Final(c);
};
