// WebSocket close codes the signaling service uses (RFC 6455 §7.4; 4000–4999 are ours) (core).

/**
 * Close codes sent by the service. 1000–1009 are RFC 6455 §7.4.1 codes (1002/1007/1008/1009 are
 * also what the service's frame reader closes with when it rejects a frame, issue #13 item 9); 4000–4999
 * is the range RFC 6455 §7.4.2 leaves to applications. Every close also carries a short reason text.
 */
export const CloseCode = Object.freeze({
  /** RFC 6455: normal closure. A client closing with 1000 leaves its lobby at once (no grace). */
  Normal: 1000,
  /** RFC 6455: the service is shutting down (after a `shutdown` message). */
  GoingAway: 1001,
  /** RFC 6455: protocol error. Sent by the service's frame reader for a malformed frame (bad opcode, unmasked, RSV bits). */
  BadFrame: 1002,
  /** RFC 6455: a text frame was not valid UTF-8. Sent by the service's frame reader. */
  InvalidPayload: 1007,
  /** RFC 6455: policy violation. Sent by the service's frame reader for a message split into too many fragments. */
  PolicyViolation: 1008,
  /** RFC 6455: a frame exceeded the message size limit (4 KiB by default). */
  MessageTooBig: 1009,
  /** Too many malformed messages in a row; the connection is not worth keeping. */
  ProtocolError: 4000,
  /** No `hello` within the hello timeout (5 s by default). */
  HelloTimeout: 4001,
  /** `hello` offered no protocol version the service speaks. */
  UnsupportedVersion: 4002,
  /** No message (not even `heartbeat.ack`) within the idle timeout. */
  IdleTimeout: 4003,
  /** Another connection resumed this session with its resume token. */
  Replaced: 4004,
  /** The connection kept sending after being told it is rate limited. */
  RateLimited: 4008,
  /** The service is at its connection cap, or this address opens connections too fast. */
  ServerFull: 4009,
  /**
   * Never sent on the wire: the code of SignalingClient's `closed` event when it gave up getting
   * its lobby back (neither `resume` nor `lobby.restore` succeeded within its reconnect window).
   */
  ResumeFailed: 4010,
} as const);

/** Name of one close code. */
export type CloseCodeName = keyof typeof CloseCode;

/** Every close code number with its name, for docs and tests. */
export const CLOSE_CODES: ReadonlyArray<readonly [CloseCodeName, number]> = Object.freeze(
  (Object.keys(CloseCode) as CloseCodeName[]).map((k) => Object.freeze([k, CloseCode[k]] as const)),
);
