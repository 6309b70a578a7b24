// The signaling protocol package's one error class and its code union (docs/design.md §4).
import { MeshpunchError } from '@meshpunch/base';

/** Every code a ProtocolError can carry; each has a line in docs/errors.md. */
export type ProtocolErrorCode = 'ERR_INVALID_PARAMETER';

/** Error thrown by this package's API; `code` is stable, `message` is for people. */
export class ProtocolError extends MeshpunchError<ProtocolErrorCode> {
  override readonly name: string = 'ProtocolError';
}
