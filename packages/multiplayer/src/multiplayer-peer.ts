// Godot 4's abstract `MultiplayerPeer` (godot-enet.md §3): enums, target peer, transfer
// mode/channel, the received-packet queue and the peerConnected/peerDisconnected/packet events.
import { EventEmitter } from 'node:events';
import { generateUniqueId } from './adapter/unique-id.js';
import { isTransferMode } from './core/channel-map.js';
import {
  ConnectionStatus,
  MAX_PACKET_SIZE,
  MAX_TRANSFER_CHANNEL,
  TARGET_PEER_BROADCAST,
  TARGET_PEER_SERVER,
  TransferMode,
} from './core/constants.js';
import { PacketQueue, type QueuedPacket } from './core/packet-queue.js';
import { isTargetPeer } from './core/peer-id.js';
import { MultiplayerError } from './errors.js';

/** Events of a MultiplayerPeer; Godot's signals `peer_connected`/`peer_disconnected` plus `packet`. */
export interface MultiplayerPeerEvents {
  /** A remote peer joined (server: a client; client: the server, id 1; mesh: `addMeshPeer`). */
  peerConnected: [id: number];
  /** A remote peer left or timed out. Not emitted by `close()` or `disconnectPeer(id, true)`. */
  peerDisconnected: [id: number];
  /**
   * A packet arrived. Emitted only while at least one `packet` listener is attached; packets are
   * then NOT queued for `getPacket` (see {@link MultiplayerPeer.getPacket}).
   */
  packet: [data: Uint8Array, from: number, channel: number, mode: TransferMode];
}

/** Construction options shared by every MultiplayerPeer. All optional. */
export interface MultiplayerPeerOptions {
  /** Cap on queued received packets; extra packets are dropped and counted. Default 65536. */
  maxQueuedPackets?: number;
  /**
   * Interval of {@link MultiplayerPeer.autoPoll}, in ms, 1..1000. Default 5; ENetMultiplayerPeer
   * defaults to 50 because its hosts deliver events as they arrive and the timer is a fallback.
   */
  autoPollIntervalMs?: number;
}

/** Default cap on queued packets: generous for a frame-driven game, bounded for a stuck one. */
const DEFAULT_MAX_QUEUED_PACKETS = 65536;
/** Default autoPoll period: well under ENet's 500 ms ping interval and a 60 Hz frame (16 ms). */
const DEFAULT_AUTO_POLL_MS = 5;

/**
 * Godot 4 `MultiplayerPeer` (godot-enet.md §3). Subclasses implement the transport; this class
 * holds the transfer settings, the target peer, the incoming packet queue and the events.
 *
 * Frame-driven code calls {@link poll} every frame and drains {@link getPacket}, as in Godot.
 * Event-driven code sets {@link autoPoll} and listens to `peerConnected`, `peerDisconnected`
 * and `packet`.
 */
export abstract class MultiplayerPeer extends EventEmitter<MultiplayerPeerEvents> {
  /** Godot `ConnectionStatus` enum, also reachable as `MultiplayerPeer.ConnectionStatus`. */
  static readonly ConnectionStatus = ConnectionStatus;
  /** Godot `TransferMode` enum, also reachable as `MultiplayerPeer.TransferMode`. */
  static readonly TransferMode = TransferMode;
  /** `setTargetPeer` value for "every peer". */
  static readonly TARGET_PEER_BROADCAST = TARGET_PEER_BROADCAST;
  /** `setTargetPeer` value for "the server". */
  static readonly TARGET_PEER_SERVER = TARGET_PEER_SERVER;

  /** Received packets waiting for `getPacket`. */
  protected readonly queue: PacketQueue;
  /** Target of the next `putPacket` (0 all, > 0 one peer, < 0 all but one). */
  protected targetPeer: number;
  /** Whether new connections are refused (server). */
  protected refusing: boolean;
  private mode: TransferMode;
  private channel: number;
  private autoPollOn: boolean;
  private autoPollTimer: NodeJS.Timeout | undefined;
  private readonly autoPollMs: number;

  constructor(options: MultiplayerPeerOptions = {}) {
    super();
    const maxQueued = options.maxQueuedPackets ?? DEFAULT_MAX_QUEUED_PACKETS;
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `maxQueuedPackets must be an integer ≥ 1, got ${maxQueued}`, { got: maxQueued });
    }
    const pollMs = options.autoPollIntervalMs ?? DEFAULT_AUTO_POLL_MS;
    if (!Number.isInteger(pollMs) || pollMs < 1 || pollMs > 1000) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `autoPollIntervalMs must be an integer 1..1000, got ${pollMs}`, { got: pollMs });
    }
    this.queue = new PacketQueue(maxQueued);
    this.targetPeer = TARGET_PEER_BROADCAST;
    this.refusing = false;
    this.mode = TransferMode.TRANSFER_MODE_RELIABLE;
    this.channel = 0;
    this.autoPollOn = false;
    this.autoPollTimer = undefined;
    this.autoPollMs = pollMs;
  }

  // ---- transfer settings (Godot properties transfer_mode, transfer_channel) ----

  /**
   * Transfer mode of the next `putPacket`. Default RELIABLE.
   * @throws MultiplayerError ERR_INVALID_PARAMETER if not a TransferMode value.
   */
  get transferMode(): TransferMode {
    return this.mode;
  }
  set transferMode(mode: TransferMode) {
    if (!isTransferMode(mode)) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `transferMode must be 0, 1 or 2 (TransferMode), got ${String(mode)}`, { got: mode });
    }
    this.mode = mode;
  }
  /** Godot `set_transfer_mode`. @throws MultiplayerError ERR_INVALID_PARAMETER */
  setTransferMode(mode: TransferMode): void {
    this.transferMode = mode;
  }
  /** Godot `get_transfer_mode`. */
  getTransferMode(): TransferMode {
    return this.mode;
  }

  /**
   * Transfer channel of the next `putPacket`: 0 = the mode's default channel, k ≥ 1 = ENet
   * channel k + 1. Range 0..254 (Godot does not check; ENet channel 256 cannot exist).
   * @throws MultiplayerError ERR_INVALID_PARAMETER outside 0..254.
   */
  get transferChannel(): number {
    return this.channel;
  }
  set transferChannel(channel: number) {
    if (!Number.isInteger(channel) || channel < 0 || channel > MAX_TRANSFER_CHANNEL) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `transferChannel must be an integer 0..${MAX_TRANSFER_CHANNEL}, got ${channel}`, {
        got: channel,
        limit: MAX_TRANSFER_CHANNEL,
      });
    }
    this.channel = channel;
  }
  /** Godot `set_transfer_channel`. @throws MultiplayerError ERR_INVALID_PARAMETER */
  setTransferChannel(channel: number): void {
    this.transferChannel = channel;
  }
  /** Godot `get_transfer_channel`. */
  getTransferChannel(): number {
    return this.channel;
  }

  /**
   * Sets the target of the next `putPacket`: 0 every peer, 1 the server, n > 0 peer n, n < 0
   * every peer but −n. Checked against the connected peers only when sending, as in Godot.
   * @throws MultiplayerError ERR_INVALID_PARAMETER if not an integer with |id| ≤ 2^31−1.
   */
  setTargetPeer(id: number): void {
    if (!isTargetPeer(id)) {
      throw new MultiplayerError('ERR_INVALID_PARAMETER', `target peer must be an integer with |id| ≤ 2147483647, got ${id}`, { got: id });
    }
    this.targetPeer = id;
  }

  /** Whether new connections are refused (Godot property `refuse_new_connections`). */
  get refuseNewConnections(): boolean {
    return this.refusing;
  }
  set refuseNewConnections(refuse: boolean) {
    this.refusing = refuse === true;
    this.onRefuseChanged(this.refusing);
  }
  /** Godot `set_refuse_new_connections`. */
  setRefuseNewConnections(refuse: boolean): void {
    this.refuseNewConnections = refuse;
  }
  /** Godot `is_refusing_new_connections`. */
  isRefusingNewConnections(): boolean {
    return this.refusing;
  }
  /** Hook for transports that forward the refusal to their hosts. */
  protected onRefuseChanged(_refuse: boolean): void {}

  // ---- receiving ----

  /** Number of received packets waiting for `getPacket`. */
  getAvailablePacketCount(): number {
    return this.queue.length;
  }

  /** Largest payload `putPacket` accepts: 2^24 bytes, as Godot. */
  getMaxPacketSize(): number {
    return MAX_PACKET_SIZE;
  }

  /**
   * Removes and returns the oldest received packet's payload. The returned bytes belong to the
   * caller (Godot's "valid until the next get_packet" limit does not apply).
   * @throws MultiplayerError ERR_UNAVAILABLE if no packet is queued.
   */
  getPacket(): Uint8Array {
    const p = this.queue.shift();
    if (p === undefined) throw new MultiplayerError('ERR_UNAVAILABLE', 'no packet is available; check getAvailablePacketCount() first');
    return p.data;
  }

  /**
   * Unique id of the sender of the next packet.
   * @throws MultiplayerError ERR_UNCONFIGURED if inactive, ERR_UNAVAILABLE if no packet is queued.
   */
  getPacketPeer(): number {
    return this.nextPacket('getPacketPeer').from;
  }

  /**
   * Transfer channel the next packet arrived on (ENet channel c ≥ 2 → c − 1, else 0).
   * @throws MultiplayerError ERR_UNCONFIGURED if inactive, ERR_UNAVAILABLE if no packet is queued.
   */
  getPacketChannel(): number {
    return this.nextPacket('getPacketChannel').channel;
  }

  /**
   * Transfer mode of the next packet, from its ENet flags (a fragmented UNRELIABLE packet reports
   * UNRELIABLE_ORDERED, as in Godot).
   * @throws MultiplayerError ERR_UNCONFIGURED if inactive, ERR_UNAVAILABLE if no packet is queued.
   */
  getPacketMode(): TransferMode {
    return this.nextPacket('getPacketMode').mode as TransferMode;
  }

  /** Packets dropped because the receive queue was full (see `maxQueuedPackets`). */
  get droppedPackets(): number {
    return this.queue.dropped;
  }

  private nextPacket(what: string): QueuedPacket {
    if (!this.isActive()) throw new MultiplayerError('ERR_UNCONFIGURED', `${what}: the peer is not active`);
    const p = this.queue.peek();
    if (p === undefined) throw new MultiplayerError('ERR_UNAVAILABLE', `${what}: no packet is available`);
    return p;
  }

  /**
   * Hands a received packet to the user: the `packet` event if anyone listens, else the queue
   * (bounded; overflow is dropped and counted in {@link droppedPackets}).
   */
  protected deliverPacket(data: Uint8Array, from: number, channel: number, mode: TransferMode): void {
    if (this.listenerCount('packet') > 0) {
      this.emit('packet', data, from, channel, mode);
      return;
    }
    this.queue.push({ data, from, channel, mode });
  }

  // ---- auto poll (Node-style use) ----

  /**
   * When true, {@link poll} runs by itself every `autoPollIntervalMs` while the peer is active
   * (and transports that can, like ENetMultiplayerPeer, also handle events as they arrive),
   * so Node code only listens to events. Default false (frame-driven, as in Godot).
   */
  get autoPoll(): boolean {
    return this.autoPollOn;
  }
  set autoPoll(on: boolean) {
    this.autoPollOn = on === true;
    this.syncAutoPoll();
  }

  /** Starts or stops the autoPoll timer to match `autoPoll && isActive()`. */
  protected syncAutoPoll(): void {
    const want = this.autoPollOn && this.isActive();
    if (want && this.autoPollTimer === undefined) {
      this.autoPollTimer = setInterval(() => this.poll(), this.autoPollMs);
      // The hosts' sockets keep the process alive while needed; the timer alone must not.
      this.autoPollTimer.unref();
      this.onAutoPollChanged(true);
    } else if (!want && this.autoPollTimer !== undefined) {
      clearInterval(this.autoPollTimer);
      this.autoPollTimer = undefined;
      this.onAutoPollChanged(false);
    }
  }

  /** Hook for transports that can deliver events as they arrive while autoPoll runs. */
  protected onAutoPollChanged(_on: boolean): void {}

  // ---- identity ----

  /** A random id in 2..2^31−1 from node:crypto (Godot uses a non-cryptographic hash, §3.4). */
  generateUniqueId(): number {
    return generateUniqueId();
  }

  /** Whether the higher-level API should relay between clients. Base: false. */
  isServerRelaySupported(): boolean {
    return false;
  }

  /** Whether this peer is a server (Godot's C++-only `is_server`). Base: false. */
  isServer(): boolean {
    return false;
  }

  // ---- transport, implemented by subclasses ----

  /** True while the peer has been created and not closed. */
  protected abstract isActive(): boolean;
  /** Sends `data` to the target peer with the current transfer mode and channel. */
  abstract putPacket(data: Uint8Array): void;
  /** Processes network events; emits `peerConnected`/`peerDisconnected`, queues packets. */
  abstract poll(): void;
  /** Drops every connection at once without emitting `peerDisconnected`. */
  abstract close(): void;
  /** Disconnects one peer; with `force`, at once and without `peerDisconnected`. */
  abstract disconnectPeer(id: number, force?: boolean): void;
  /** Current connection status. */
  abstract getConnectionStatus(): ConnectionStatus;
  /** This peer's unique id (server 1). */
  abstract getUniqueId(): number;
}
