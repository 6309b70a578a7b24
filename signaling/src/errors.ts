// The signaling service package's one error class and its code union (STYLE.md §4).

/** Every code a SignalingError can carry; each has a line in docs/errors.md. */
export type SignalingErrorCode = 'ERR_INVALID_PARAMETER' | 'SIG_LISTEN_FAILED';

/** Error thrown or rejected by this package; `code` is stable, `message` is for people. */
export class SignalingError extends Error {
  override readonly name = 'SignalingError';
  readonly code: SignalingErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: SignalingErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}
