// The ENet package's one error class and its code union (docs/design.md §4).
import { MeshpunchError } from '@meshpunch/base';

/** Every code a ENetError can carry; each has a line in docs/errors.md. */
export type ENetErrorCode =
  | 'ERR_CANT_CREATE' | 'ERR_INVALID_PARAMETER' | 'ERR_UNCONFIGURED' | 'ERR_ALREADY_IN_USE' | 'ERR_UNAVAILABLE' | 'ERR_CANT_RESOLVE'
  /** The host's UDP socket failed or closed underneath; carried by an EventType.ERROR event. */
  | 'ENET_SOCKET_ERROR';

/** Error thrown or rejected by this package; `code` is stable, `message` is for people. */
export class ENetError extends MeshpunchError<ENetErrorCode> {
  override readonly name: string = 'ENetError';
}
