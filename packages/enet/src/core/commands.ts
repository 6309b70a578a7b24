// Core: queued command records — outgoing (awaiting send / ACK) and incoming (awaiting
// ordering or reassembly). Monomorphic classes; outgoing ones are pooled by the host.
import { CONTROL_CHANNEL } from './constants.js';
import type { Slab } from './payload-slab.js';
import { COMMAND_FLAG_ACKNOWLEDGE } from './protocol.js';

/** One command queued for sending or awaiting its ACK (libenet ENetOutgoingCommand). */
export class OutgoingCommand {
  /** Full command byte (number | ACK | UNSEQUENCED flags). */
  command = 0;
  channelID = 0;
  reliableSequenceNumber = 0;
  /** SEND_UNRELIABLE: unreliable seq; SEND_UNSEQUENCED: group; fragments: start sequence. */
  unreliableSequenceNumber = 0;
  /** Service time (ms, host clock) of the last transmission. */
  sentTime = 0;
  /** §7.2 retransmission timeout (ms) and its give-up limit. */
  roundTripTimeout = 0;
  roundTripTimeoutLimit = 0;
  sendAttempts = 0;
  fragmentOffset = 0;
  fragmentLength = 0;
  fragmentCount = 0;
  fragmentNumber = 0;
  /** Message bytes this command carries a slice of (whole message for fragments). */
  data: Uint8Array | null = null;
  /** The payload slab `data` lies in (retained while this command is queued), or null. */
  slab: Slab | null = null;
  /** Pre-encoded fixed fields after the 4-byte header, for control commands (CONNECT, ...). */
  body: Uint8Array | null = null;
  /** Delivery flags the receiver will see (RELIABLE / UNSEQUENCED / UNRELIABLE_FRAGMENT). */
  packetFlags = 0;

  reset(): void {
    this.command = 0;
    this.channelID = 0;
    this.reliableSequenceNumber = 0;
    this.unreliableSequenceNumber = 0;
    this.sentTime = 0;
    this.roundTripTimeout = 0;
    this.roundTripTimeoutLimit = 0;
    this.sendAttempts = 0;
    this.fragmentOffset = 0;
    this.fragmentLength = 0;
    this.fragmentCount = 0;
    this.fragmentNumber = 0;
    this.data = null;
    this.slab = null;
    this.body = null;
    this.packetFlags = 0;
  }
}

/** One received data command awaiting ordering or reassembly (libenet ENetIncomingCommand). */
export class IncomingCommand {
  reliableSequenceNumber: number;
  unreliableSequenceNumber: number;
  /** Command number (low 4 bits). */
  commandNumber: number;
  fragmentCount: number;
  fragmentsRemaining: number;
  /** One bit per fragment received; null for whole packets. */
  fragments: Uint32Array | null;
  /** The (reassembling) message; handed to the user on delivery. */
  packet: Uint8Array;
  /** Fragment groups: the announced totalLength (`packet` stays empty until complete when chunked). */
  totalLength: number;
  /**
   * Fragment groups larger than REASSEMBLY_CHUNK_SIZE: the chunks allocated so far (null = none
   * received there yet), joined into `packet` when the last fragment lands; null otherwise.
   */
  chunks: (Uint8Array | null)[] | null;
  /** Delivery flags. */
  flags: number;
  /** Bytes counted against the peer's waiting-data budget while this is held. */
  cost: number;

  constructor(reliable: number, unreliable: number, commandNumber: number, packet: Uint8Array, flags: number, cost: number) {
    this.reliableSequenceNumber = reliable;
    this.unreliableSequenceNumber = unreliable;
    this.commandNumber = commandNumber;
    this.fragmentCount = 0;
    this.fragmentsRemaining = 0;
    this.fragments = null;
    this.packet = packet;
    this.totalLength = packet.length;
    this.chunks = null;
    this.flags = flags;
    this.cost = cost;
  }
}

/** Reliable data commands are the only ones the reliable windows can hold back (§8.1, §9.2). */
export function isHoldable(cmd: OutgoingCommand): boolean {
  return (cmd.command & COMMAND_FLAG_ACKNOWLEDGE) !== 0 && cmd.channelID !== CONTROL_CHANNEL;
}
