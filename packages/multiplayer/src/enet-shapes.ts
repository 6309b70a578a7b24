// The parts of @meshpunch/enet's ENetConnection / ENetPacketPeer / ENetEvent that
// ENetMultiplayerPeer uses, as structural types, so its logic is testable with in-memory hosts.

/** The subset of `ENetPacketPeer` used here (godot-enet.md §6). */
export interface PeerShape {
  send(channel: number, packet: Uint8Array, flags: number): unknown;
  peerDisconnect(data?: number): void;
  peerDisconnectNow(data?: number): void;
  reset(): void;
  /** ENet PeerState number; 5 = CONNECTED. */
  getState(): number;
  isActive(): boolean;
}

/** The subset of `ENetEvent` used here: type is EventType (−1 error … 3 receive). */
export interface EventShape {
  type: number;
  peer?: PeerShape | undefined;
  data: number;
  channel: number;
  packet?: Uint8Array | undefined;
  /** ENet flags of a received packet (1 reliable, 2 unsequenced, 8 unreliable fragment). */
  flags?: number | undefined;
}

/** The subset of `ENetConnection` used here (godot-enet.md §5). */
export interface HostShape {
  createHost(maxPeers?: number, maxChannels?: number, inBandwidth?: number, outBandwidth?: number): Promise<unknown>;
  createHostBound(
    bindAddress: string,
    bindPort: number,
    maxPeers?: number,
    maxChannels?: number,
    inBandwidth?: number,
    outBandwidth?: number,
  ): Promise<unknown>;
  connectToHost(address: string, port: number, channels?: number, data?: number): PeerShape;
  /** connectToHost after resolving a host name in the socket's family. */
  connectToHostAsync(address: string, port: number, channels?: number, data?: number): Promise<PeerShape>;
  serviceSync(): EventShape;
  /** When true the host emits events instead of queueing them for serviceSync. */
  autoService?: boolean;
  flush(): void;
  getPeers(): readonly PeerShape[];
  destroy(): void;
}

/** ENet `PeerState.STATE_CONNECTED` (godot-enet.md §6.1). */
export const PEER_STATE_CONNECTED = 5;

/** ENet `EventType` values (godot-enet.md §5.1). */
export const EnetEvent = { ERROR: -1, NONE: 0, CONNECT: 1, DISCONNECT: 2, RECEIVE: 3 } as const;
