// Core: the cursor of the datagram transmit.ts is building (one per host, reused).

/** Mutable cursor of the datagram being built. */
export class TxState {
  out: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  pos = 0;
  /** libenet's `host->packetSize` accounting: starts at 4, ignores the checksum (§2.5). */
  packetSize = 0;
  commandCount = 0;
  mtu = 0;
  hasTime = false;
}
