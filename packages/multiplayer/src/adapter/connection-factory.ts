// Makes the ENetConnection an ENetMultiplayerPeer uses for createServer/createClient (adapter).
import { ENetConnection } from '@meshpunch/enet';
import type { HostShape } from '../enet-shapes.js';

/** Default factory: a fresh, not yet created ENetConnection of @meshpunch/enet. */
export function defaultConnectionFactory(): HostShape {
  return new ENetConnection();
}
