// Makes the ENetConnection an ENetMultiplayerPeer uses for createServer/createClient (adapter).
import { MultiplayerError } from '../errors.js';
import type { HostShape } from '../enet-shapes.js';

/** Default factory: a fresh, not yet created ENetConnection of @meshpunch/enet. */
export function defaultConnectionFactory(): HostShape {
  throw new MultiplayerError('ERR_UNCONFIGURED', '@meshpunch/enet is not available yet');
}
