// What the TURN server core hands its driver (core): where each queued datagram goes, and the
// events that ask for a relayed port or report an allocation's life (turn-server-core.ts).
import type { TransportAddress } from '../stun/binding.js';

/** The `to` record `pollTransmit` fills: destination, and the relayed port to send from (0 = control socket). */
export interface TurnTransmitTarget {
  address: string;
  port: number;
  relayPort: number;
}

/**
 * The `to` record `pollTransmitParts` fills: `pollTransmit`'s, plus the ChannelData channel of
 * the datagram (0: none, the body is the whole datagram).
 */
export interface TurnTransmitParts extends TurnTransmitTarget {
  channel: number;
}

/** Why an allocation ended (the `_relay_allocations_ended_total{reason}` labels, relay.md §4). */
export type TurnAllocationEndReason = 'expired' | 'deleted' | 'member_left' | 'shutdown';

/** What the server core reports. */
export type TurnServerEvent =
  | {
      /** Bind a UDP socket for allocation `allocation`, then call `portBound` or `portBindFailed`. */
      readonly type: 'bindPort';
      readonly allocation: number;
      /** The client sent EVEN-PORT (RFC 8656 §14.6): bind an even port. */
      readonly evenPort: boolean;
    }
  | { /** Close the relayed socket on `port`. */ readonly type: 'freePort'; readonly port: number }
  | {
      readonly type: 'allocationCreated';
      readonly allocation: number;
      readonly member: string;
      readonly client: TransportAddress;
      readonly relayedPort: number;
      readonly lifetimeS: number;
    }
  | {
      readonly type: 'allocationEnded';
      readonly allocation: number;
      readonly member: string;
      readonly relayedPort: number;
      readonly reason: TurnAllocationEndReason;
    };
