// Core: events a host core hands out through pollEvent (enet-protocol.md §5.2, §10).
import type { Peer } from './peer.js';

/** Event kinds, as a string union (docs/design.md §3). */
export type CoreEventType = 'connect' | 'disconnect' | 'receive';

/** Delivery flags on received packets (libenet ENetPacketFlag values, Godot's FLAG_*). */
export const PacketFlag = Object.freeze({
  Reliable: 1,
  Unsequenced: 2,
  UnreliableFragment: 8,
});

/**
 * One event. `connect`: `data` = the remote's CONNECT data on the accepting side, 0 on the
 * connecting side. `disconnect`: `data` = the remote's DISCONNECT data, 0 for local disconnects
 * and timeouts. `receive`: `channelID`, `packet` (owned by the receiver) and `flags`.
 */
export class CoreEvent {
  type: CoreEventType;
  peer: Peer;
  data: number;
  channelID: number;
  packet: Uint8Array | null;
  flags: number;
  /** Peer generation/incarnation stamp; stale events are skipped by pollEvent. */
  stamp: number;
  /** Waiting-data bytes released when this event is polled. */
  cost: number;

  constructor(type: CoreEventType, peer: Peer, data: number, channelID: number, packet: Uint8Array | null, flags: number, stamp: number, cost: number) {
    this.type = type;
    this.peer = peer;
    this.data = data;
    this.channelID = channelID;
    this.packet = packet;
    this.flags = flags;
    this.stamp = stamp;
    this.cost = cost;
  }
}
