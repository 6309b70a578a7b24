// Godot 4's mapping between (transfer mode, transfer channel) and (ENet channel, ENet flags),
// both ways (core, no I/O). Source: godot-enet.md §2.7.
import {
  ENET_FLAG_RELIABLE,
  ENET_FLAG_UNRELIABLE_FRAGMENT,
  ENET_FLAG_UNSEQUENCED,
  SYSCH_RELIABLE,
  SYSCH_UNRELIABLE,
  TransferMode,
} from './constants.js';

/**
 * ENet channel a packet is sent on: transfer channel 0 uses the mode's system channel
 * (0 reliable, 1 unreliable and unreliable-ordered); transfer channel k > 0 uses k + 1 (§2.7).
 */
export function enetChannelFor(mode: TransferMode, transferChannel: number): number {
  if (transferChannel > 0) return transferChannel + 1;
  return mode === TransferMode.TRANSFER_MODE_RELIABLE ? SYSCH_RELIABLE : SYSCH_UNRELIABLE;
}

/**
 * ENet flags for a transfer mode, the same on every channel (§2.7): RELIABLE → 1,
 * UNRELIABLE_ORDERED → 8, UNRELIABLE → 2|8.
 */
export function enetFlagsFor(mode: TransferMode): number {
  switch (mode) {
    case TransferMode.TRANSFER_MODE_RELIABLE:
      return ENET_FLAG_RELIABLE;
    case TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED:
      return ENET_FLAG_UNRELIABLE_FRAGMENT;
    default:
      return ENET_FLAG_UNSEQUENCED | ENET_FLAG_UNRELIABLE_FRAGMENT;
  }
}

/** Transfer channel of a received packet: ENet channel c ≥ 2 → c − 1, else 0 (§2.7). */
export function transferChannelFromEnet(enetChannel: number): number {
  return enetChannel >= 2 ? enetChannel - 1 : 0;
}

/**
 * Transfer mode of a received packet from the flags ENet sets on it (§2.7): the reliable bit
 * wins, then unsequenced; anything else (plain unreliable, unreliable fragment) is
 * UNRELIABLE_ORDERED — so a fragmented UNRELIABLE packet reports UNRELIABLE_ORDERED, as in Godot.
 */
export function transferModeFromFlags(flags: number): TransferMode {
  if ((flags & ENET_FLAG_RELIABLE) !== 0) return TransferMode.TRANSFER_MODE_RELIABLE;
  if ((flags & ENET_FLAG_UNSEQUENCED) !== 0) return TransferMode.TRANSFER_MODE_UNRELIABLE;
  return TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED;
}

/** True if `mode` is one of Godot's three TransferMode values. */
export function isTransferMode(mode: unknown): mode is TransferMode {
  return mode === 0 || mode === 1 || mode === 2;
}
