// The error codes the service puts in `error` messages, with their one-line meaning (core).

/**
 * Every `code` an `error` message can carry, with the sentence docs/protocol.md shows for it.
 * A fixed set: metrics keep one series per code, never one per junk input.
 */
export const WIRE_ERRORS = Object.freeze({
  SIG_BAD_MESSAGE: 'The message is not a JSON object of the documented shape (the message names the field).',
  SIG_UNKNOWN_TYPE: 'The `type` is not a client message type of the negotiated version.',
  SIG_HELLO_REQUIRED: 'The first message of a connection must be `hello`.',
  SIG_ALREADY_HELLO: '`hello` was already accepted on this connection.',
  SIG_UNSUPPORTED_VERSION: '`hello.versions` shares no version with the service (the connection is then closed with 4002).',
  SIG_RATE_LIMITED: 'Too many messages per second on this connection, or connections per second from this address.',
  SIG_SERVER_FULL: 'The service is at its connection cap.',
  SIG_BUSY: 'The service has too many password checks waiting (or this connection or address already has its share running); retry later.',
  SIG_TOO_MANY_LOBBIES: 'The service is at its lobby cap.',
  SIG_NOT_IN_LOBBY: 'The request needs lobby membership and this connection is in no lobby.',
  SIG_ALREADY_IN_LOBBY: 'This connection is already in a lobby; leave it first.',
  SIG_LOBBY_NOT_FOUND: 'No lobby has that code or name.',
  SIG_LOBBY_EXISTS: 'A lobby with the requested name already exists.',
  SIG_LOBBY_FULL: 'The lobby has reached its maxPeers.',
  SIG_LOBBY_SEALED: 'The lobby owner sealed the lobby; it admits nobody new.',
  SIG_LOBBY_EXHAUSTED: 'The lobby has used up its peer-id budget (ids are never reused inside a lobby).',
  SIG_BAD_PASSWORD: 'The lobby has a password and the one given is missing or wrong.',
  SIG_TOO_MANY_ATTEMPTS: 'Too many wrong passwords from this address, or for this lobby, in a short time; retry later (details.retryMs).',
  SIG_NOT_OWNER: 'Only the lobby owner may do this.',
  SIG_UNKNOWN_PAIR: 'No current pair with that id includes this peer (it never existed, ended or was replaced).',
  SIG_BAD_CANDIDATE: 'The pair would get more than 16 candidates from this side, or a candidate address is multicast, broadcast, reserved or unspecified (a malformed candidate is SIG_BAD_MESSAGE).',
  SIG_RESUME_REJECTED: 'The resume token is unknown or its grace period is over.',
  SIG_RESTORE_REJECTED: 'lobby.restore was refused: the lobby exists with another key, or the id is held by a connected member.',
  SIG_RELAY_UNAVAILABLE: 'The service offers no relay (started with --no-relay), or its relay is at capacity; link directly or retry later.',
  SIG_SHUTTING_DOWN: 'The service is shutting down and accepts no new work.',
  SIG_UNAVAILABLE: 'The service cannot reach its shared lobby store (Redis) right now, so it admits no new lobby, join, resume or restore; retry later (connected members keep their lobby).',
} as const);

/** One wire error code. */
export type WireErrorCode = keyof typeof WIRE_ERRORS;

/** All wire error codes, in documentation order. */
export const WIRE_ERROR_CODES: readonly WireErrorCode[] = Object.freeze(Object.keys(WIRE_ERRORS) as WireErrorCode[]);

/** True when `code` is one of WIRE_ERROR_CODES. */
export function isWireErrorCode(code: string): code is WireErrorCode {
  return Object.prototype.hasOwnProperty.call(WIRE_ERRORS, code);
}
