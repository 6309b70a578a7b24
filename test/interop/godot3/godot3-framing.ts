// Godot 3.2's NetworkedMultiplayerENet conventions, spelled out for the interop tests: the 8-byte
// header every data packet carries, its ENet channels, and the payloads peer.gd generates.
// Our ENetMultiplayerPeer follows Godot 4 (no header, reliable on ENet channel 0); these helpers
// are what a script using it must add to talk to a Godot 3 game (docs/godot-api-map.md).
import { createHash } from 'node:crypto';
import { TransferMode, type ENetMultiplayerPeer } from '@meshpunch/multiplayer';

/** Godot 3 SYSCH_CONFIG: the server's peer-list messages (ADD_PEER / REMOVE_PEER), reliable. */
export const SYSCH_CONFIG = 0;
/** Godot 3 SYSCH_RELIABLE: TRANSFER_MODE_RELIABLE with transfer_channel −1 (the default). */
export const SYSCH_RELIABLE = 1;
/** Godot 3 SYSCH_UNRELIABLE: both unreliable modes with transfer_channel −1. */
export const SYSCH_UNRELIABLE = 2;
/** Godot 3 SYSMSG_ADD_PEER, the first u32 of a config message. */
export const SYSMSG_ADD_PEER = 0;
/** Godot 3 SYSMSG_REMOVE_PEER. */
export const SYSMSG_REMOVE_PEER = 1;
/** u32 LE source id, i32 LE target (0 all, n one peer, −n all but n), then the payload. */
export const HEADER_BYTES = 8;

/** A Godot 3 data packet: the header's source and target, and the payload after it. */
export interface Godot3Packet {
  source: number;
  target: number;
  payload: Uint8Array;
}

/** Prefixes `payload` with Godot 3's header. */
export function frame(source: number, target: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, source >>> 0, true);
  view.setInt32(4, target | 0, true);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** A config message of Godot 3's server (SYSCH_CONFIG): u32 LE message, u32 LE peer id. */
export function configMessage(message: number, peerId: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, message, true);
  view.setUint32(4, peerId >>> 0, true);
  return out;
}

/** Splits a received Godot 3 data packet; throws on one shorter than the header. */
export function unframe(bytes: Uint8Array): Godot3Packet {
  if (bytes.length < HEADER_BYTES) throw new Error(`a Godot 3 packet has at least ${HEADER_BYTES} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { source: view.getUint32(0, true), target: view.getInt32(4, true), payload: bytes.subarray(HEADER_BYTES) };
}

/**
 * Sends `payload` to `target` the way a Godot 3 peer reads it: framed with our id, on one of
 * Godot 3's data channels. Our reliable default (ENet channel 0) is Godot 3's config channel,
 * so RELIABLE goes out on transfer channel 1 = ENet channel 2; the unreliable modes keep our
 * default, ENet channel 1. Returns the ENet channel used.
 */
export function putGodot3Packet(peer: ENetMultiplayerPeer, target: number, mode: TransferMode, payload: Uint8Array): number {
  const reliable = mode === TransferMode.TRANSFER_MODE_RELIABLE;
  peer.transferMode = mode;
  peer.transferChannel = reliable ? 1 : 0;
  // A client sends everything to the server (1); the header names the final target, which a
  // Godot 3 server relays to.
  peer.setTargetPeer(peer.isServer() ? target : 1);
  peer.putPacket(frame(peer.getUniqueId(), target, payload));
  return reliable ? 2 : 1;
}

/** The bytes peer.gd's `pattern(size, salt)` makes (one formula on both sides). */
export function pattern(size: number, salt: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (salt * 7 + i * 31 + (i >> 8) * 13) & 0xff;
  return b;
}

/** What peer.gd prints for a payload: SHA-256 of its lower-case hex (GDScript 3 has no byte hash). */
export function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')).digest('hex');
}
