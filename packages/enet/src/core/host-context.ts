// Core: what the passes over a host's datagrams — receive.ts, delivery.ts, transmit.ts and
// throttle.ts — see of their host: its shared state and the few operations they call back.
// They depend on this interface only, never on host.ts (no import cycle), and HostCore keeps the
// state private (host-state.ts is the one implementation).
import type { OutgoingCommand } from './commands.js';
import type { ChecksumFunction, Compressor, HostCoreConfig } from './config.js';
import type { SendPacer } from './pacing.js';
import type { Peer } from './peer.js';
import type { HostStatistics } from './statistics.js';
import type { TxState } from './tx-state.js';

/** A UDP endpoint as the core sees it: literal IP text (v4 dotted quad or v6) and port. */
export interface CoreEndpoint {
  address: string;
  port: number;
}

export interface HostContext {
  readonly config: HostCoreConfig;
  readonly peers: readonly Peer[];
  readonly stats: HostStatistics;

  // Settings the passes read (changed only through HostCore's commands).
  readonly mtu: number;
  readonly channelLimit: number;
  /** Bytes/s (0 = unlimited), §9.3. */
  readonly incomingBandwidth: number;
  readonly outgoingBandwidth: number;
  /** While true, incoming CONNECTs are ignored. */
  readonly refusing: boolean;
  /** While set, a CONNECT is accepted only from a source it returns true for (HostCore.setConnectFilter). */
  readonly connectFilter: ((from: CoreEndpoint) => boolean) | null;
  /** Active checksum (§2.2) and compressor (§2.3). */
  readonly checksum: ChecksumFunction | null;
  readonly compressor: Compressor | null;
  /** Latest `now` seen (ms, the caller's monotonic clock). */
  readonly serviceTime: number;

  // Bookkeeping the passes keep.
  /** When the bandwidth throttle last ran (§9.3). */
  bandwidthThrottleEpoch: number;
  /** Set when peers' bandwidth limits must be sent again at the next throttle pass. */
  recalculateBandwidthLimits: boolean;
  readonly connectedPeers: number;
  /** Connected peers with an incoming bandwidth limit. */
  bandwidthLimitedPeers: number;
  /** Undelivered received bytes of all peers together (§8.2). */
  waitingData: number;

  // Scratch the passes share (one of each per host).
  /** For decompression, checksum verification. */
  readonly scratch: Uint8Array;
  /** For compression output. */
  readonly compressScratch: Uint8Array;
  /** One-element buffer list reused for checksum calls. */
  readonly checksumBuffers: Uint8Array[];
  /** Cursor of the datagram being built. */
  readonly tx: TxState;
  /** Send pacing for a host with outgoingBandwidth set (pacing.ts). */
  readonly pacer: SendPacer;

  // Operations the passes call back.
  freeCommand(cmd: OutgoingCommand): void;
  /** Queues a control command (channel 0xFF) with a pre-encoded body. */
  queueControl(peer: Peer, commandByte: number, body: Uint8Array | null): void;
  /** Queues a PING; only while connected. */
  ping(peer: Peer): void;
  /** §5.4 graceful disconnect with `data` (uint32). */
  disconnect(peer: Peer, data: number): void;
  /** §5.3 silent local reset. */
  resetPeer(peer: Peer): void;
  /** Drops the peer's queues (§5.4) and invalidates its undelivered receive events. */
  resetPeerQueues(peer: Peer): void;
  /** State change with connected-peer bookkeeping. */
  changeState(peer: Peer, state: number): void;
  /** Peer became connected: CONNECT event with `data`. */
  notifyConnect(peer: Peer, data: number): void;
  /** Moves a peer to Zombie and queues its DISCONNECT event (data = peer.eventData). */
  dispatchDisconnect(peer: Peer): void;
  /** Timeout or failed handshake. */
  notifyDisconnect(peer: Peer): void;
  /** Queues a received packet for delivery (counted in waiting data until polled). */
  deliver(peer: Peer, channelID: number, packet: Uint8Array, flags: number, cost: number): void;
}
