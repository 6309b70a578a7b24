// Core: per-channel sequencing state of a peer (enet-protocol.md §4, §8).
import { PEER_RELIABLE_WINDOWS } from './constants.js';
import type { IncomingCommand } from './commands.js';

/** One ENet channel of one peer (libenet ENetChannel). */
export class Channel {
  outgoingReliableSequenceNumber = 0;
  outgoingUnreliableSequenceNumber = 0;
  /** §8.1 sender guard: bit w set while window w has unacknowledged first transmissions. */
  usedReliableWindows = 0;
  /** §8.1: unacknowledged first transmissions per window. */
  readonly reliableWindows = new Uint16Array(PEER_RELIABLE_WINDOWS);
  /** §8: last reliable seq delivered in order (`r`) and last unreliable seq delivered (`u`). */
  incomingReliableSequenceNumber = 0;
  incomingUnreliableSequenceNumber = 0;
  /** Reliable commands received ahead of `r`, sorted by seqKey. */
  incomingReliableCommands: IncomingCommand[] = [];
  /** Unreliable and unsequenced commands awaiting delivery, in §8.3 order. */
  incomingUnreliableCommands: IncomingCommand[] = [];
}
