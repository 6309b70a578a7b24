// Core: host counters — Godot's four HostStatistic values plus one counter per reason a
// datagram or command was dropped (docs/design.md §5 rule 8: statistics are counters).

/** Counters of one host. All are plain numbers that only grow (the adapter pops Godot's four). */
export class HostStatistics {
  /** Bytes / datagrams sent and received (Godot HOST_TOTAL_*). */
  totalSentData = 0;
  totalSentPackets = 0;
  totalReceivedData = 0;
  totalReceivedPackets = 0;
  /** Datagrams dropped, all reasons together. */
  droppedDatagrams = 0;
  /** Shorter than its header, longer than 4096 bytes, or an unknown command layout. */
  droppedMalformed = 0;
  /** Peer id out of range or addressing a disconnected / zombie slot. */
  droppedUnknownPeer = 0;
  /** Source address differs from the addressed peer's. */
  droppedWrongAddress = 0;
  /** Session bits differ from the peer's incoming session (§2.4 step 4). */
  droppedWrongSession = 0;
  /** Checksum mismatch (§2.2). */
  droppedBadChecksum = 0;
  /** COMPRESSED without a compressor, or decompression failed (§2.3). */
  droppedDecompress = 0;
  /** A command was malformed or its handler failed: the rest of that datagram was ignored (§2.4 step 8). */
  commandFailures = 0;
  /** CONNECTs ignored: no free slot, too many from one address, or refusing connections. */
  refusedConnects = 0;
  /** CONNECTs ignored because their source already has maxHalfOpenPerAddress handshakes open (also in refusedConnects). */
  halfOpenRefusals = 0;
  /** Received CONNECTs whose VERIFY_CONNECT went unacknowledged for halfOpenTimeout: slot reset. */
  halfOpenTimeouts = 0;
  /** Half-open slots given to a new CONNECT because every slot was taken (config.evictHalfOpen). */
  halfOpenEvictions = 0;
  /** CONNECTs ignored because the connect filter (setConnectFilter) rejected their source (also in refusedConnects). */
  filteredConnects = 0;
  /** Data commands refused because the peer's (or the host's) waiting data hit its cap (§8.2). */
  waitingDataOverflows = 0;
  /** ACKs not queued because the peer's ACK queue was full. */
  acknowledgementOverflows = 0;
  /** Sends refused because the peer's outgoing queue was full. */
  outgoingOverflows = 0;
  /** Unreliable packets dropped by the sender's packet throttle (§9.1), as libenet does. */
  throttledPackets = 0;
  /** Urgent (disconnect_now) datagrams dropped because their queue was full. */
  urgentOverflows = 0;
}
