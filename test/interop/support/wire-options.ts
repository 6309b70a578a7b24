// The two optional wire transforms both ends must agree on (enet-protocol.md §2.2–2.3), as the
// interop tests switch them on for our hosts.
import { CompressionMode, enetCrc32, type ENetConnection } from '@meshpunch/enet';

/** Optional datagram transforms of one session. */
export interface WireOptions {
  /** ENet range coder (Godot COMPRESS_RANGE_CODER, libenet enet_host_compress_with_range_coder). */
  compress?: boolean;
  /** CRC-32 checksum (libenet host->checksum = enet_crc32). */
  checksum?: boolean;
}

/** Switches the chosen transforms on for one of our hosts (after createHost*). */
export function enableOptions(host: ENetConnection, o: WireOptions): void {
  if (o.compress) host.compress(CompressionMode.RANGE_CODER);
  if (o.checksum) host.setChecksum(enetCrc32);
}
