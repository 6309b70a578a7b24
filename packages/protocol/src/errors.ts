// The signaling protocol package's one error class and its code union (docs/design.md §4).

/** Every code a ProtocolError can carry; each has a line in docs/errors.md. */
export type ProtocolErrorCode = 'ERR_INVALID_PARAMETER';

/** Error thrown by this package's API; `code` is stable, `message` is for people. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ProtocolErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}
