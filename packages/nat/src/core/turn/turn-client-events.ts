// What the TURN client core reports (core): where its allocation stands, the events its driver
// polls, why a request failed or the allocation ended, and its counters (turn-client.ts).
import type { StunAddress } from '../stun/attributes.js';
import type { TransportAddress } from '../stun/binding.js';

/** Where the allocation is in its life (see the transitions above). */
export type TurnClientState = 'idle' | 'allocating' | 'allocated' | 'closing' | 'closed' | 'failed';

/** Why an Allocate (or another request) failed. */
export type TurnFailureReason = 'timeout' | 'unauthorized' | 'error-response' | 'bad-response';

/** Why an allocation ended. */
export type TurnCloseReason = 'deleted' | 'expired' | 'refresh-failed';

/** What the client reports through `pollEvent()`. */
export type TurnClientEvent =
  | {
      readonly type: 'allocated';
      /** XOR-RELAYED-ADDRESS: where peers send to reach this client. */
      readonly relayed: StunAddress;
      /** XOR-MAPPED-ADDRESS: this socket as the server saw it (a free srflx candidate), if sent. */
      readonly mapped: StunAddress | undefined;
      readonly lifetimeS: number;
    }
  | { readonly type: 'refreshed'; readonly lifetimeS: number }
  | { readonly type: 'permissionCreated'; readonly peerAddress: string }
  | { readonly type: 'permissionFailed'; readonly peerAddress: string; readonly reason: TurnFailureReason; readonly code: number | undefined }
  | { readonly type: 'channelBound'; readonly peer: TransportAddress; readonly channel: number }
  | {
      readonly type: 'channelBindFailed';
      readonly peer: TransportAddress;
      readonly channel: number;
      readonly reason: TurnFailureReason;
      readonly code: number | undefined;
    }
  | {
      readonly type: 'data';
      /** The peer the relay received this from (XOR-PEER-ADDRESS, or the channel's peer). */
      readonly peer: TransportAddress;
      /** A view into the received datagram (no copy): copy it to keep it past the handler. */
      readonly payload: Uint8Array;
      /** The channel it came on, or 0 for a Data indication. */
      readonly channel: number;
    }
  | { readonly type: 'failed'; readonly reason: TurnFailureReason; readonly code: number | undefined }
  | { readonly type: 'closed'; readonly reason: TurnCloseReason };

/** Counters (docs/design.md §5.8). */
export interface TurnClientCounters {
  requestsSent: number;
  retransmits: number;
  responses: number;
  /** 401 answers that taught realm and nonce. */
  challenges: number;
  staleNonces: number;
  /** Datagrams to the server carrying peer data: Send indications and ChannelData. */
  indicationsSent: number;
  channelDataSent: number;
  /** Peer datagrams received (Data indications and ChannelData) and their payload bytes. */
  dataReceived: number;
  bytesReceived: number;
  bytesSent: number;
  /** From S but neither STUN nor well-formed ChannelData; or a STUN message that failed to decode. */
  malformed: number;
  /** ChannelData from S on a channel not bound here. */
  unboundChannel: number;
  /** Responses with no live transaction (late, duplicated, foreign). */
  unmatched: number;
  /** Success responses without a valid MESSAGE-INTEGRITY (RFC 8489 §9.2.5), or a bad FINGERPRINT. */
  badIntegrity: number;
  /** `send` calls dropped: queue full or no allocation. */
  sendDropped: number;
  /** Events dropped because nobody polled them. */
  eventsDropped: number;
  /** Binding indications sent to keep the NAT mapping toward the server open. */
  keepalivesSent: number;
}
