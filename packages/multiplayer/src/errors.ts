// The multiplayer package's one error class and its code union (docs/design.md §4).
import { MeshpunchError } from '@meshpunch/base';

/**
 * Every code a MultiplayerError can carry; each has a line in docs/errors.md. They are Godot's
 * `Error` names, used exactly where Godot's ENetMultiplayerPeer returns them (godot-enet.md §2).
 */
export type MultiplayerErrorCode =
  | 'ERR_ALREADY_IN_USE'
  | 'ERR_BUG'
  | 'ERR_CANT_CREATE'
  | 'ERR_INVALID_PARAMETER'
  | 'ERR_UNAVAILABLE'
  | 'ERR_UNCONFIGURED';

/** Error thrown or rejected by this package; `code` is stable, `message` is for people. */
export class MultiplayerError extends MeshpunchError<MultiplayerErrorCode> {
  override readonly name: string = 'MultiplayerError';
}
