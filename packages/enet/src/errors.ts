// The ENet package's one error class and its code union (docs/design.md §4).

/** Every code a ENetError can carry; each has a line in docs/errors.md. */
export type ENetErrorCode =
  | 'ERR_CANT_CREATE' | 'ERR_INVALID_PARAMETER' | 'ERR_UNCONFIGURED' | 'ERR_ALREADY_IN_USE' | 'ERR_UNAVAILABLE' | 'ERR_CANT_RESOLVE'
  /** The host's UDP socket failed or closed underneath; carried by an EventType.ERROR event. */
  | 'ENET_SOCKET_ERROR';

/** Error thrown or rejected by this package; `code` is stable, `message` is for people. */
export class ENetError extends Error {
  override readonly name = 'ENetError';
  readonly code: ENetErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ENetErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}
