// The signaling package's one error class and its code union (docs/design.md §4).
import type { WireErrorCode } from '@meshpunch/protocol';

/**
 * Every code a SignalingError can carry; each has a line in docs/errors.md. Errors the service
 * answered with keep the service's SIG_* code; the client adds the SIG_CLIENT_* ones.
 */
export type SignalingErrorCode =
  | 'ERR_INVALID_PARAMETER'
  | 'ERR_UNCONFIGURED'
  | 'SIG_LISTEN_FAILED'
  | 'SIG_CLIENT_TIMEOUT'
  | 'SIG_CLIENT_CLOSED'
  | 'SIG_CLIENT_CONNECTION_LOST'
  | 'SIG_CLIENT_CONNECT_FAILED'
  | 'SIG_CLIENT_PROTOCOL'
  | WireErrorCode;

/** Error thrown or rejected by this package; `code` is stable, `message` is for people. */
export class SignalingError extends Error {
  override readonly name: string = 'SignalingError';
  readonly code: SignalingErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: SignalingErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}
