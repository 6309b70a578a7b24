// The signaling package's one error class and its code union (docs/design.md §4).
import { MeshpunchError } from '@meshpunch/base';
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
export class SignalingError extends MeshpunchError<SignalingErrorCode> {
  override readonly name: string = 'SignalingError';
}
