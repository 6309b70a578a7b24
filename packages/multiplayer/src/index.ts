// Public surface of this package: re-exports only.
export { MultiplayerError } from './errors.js';
export type { MultiplayerErrorCode } from './errors.js';
export { ConnectionStatus, TransferMode, TARGET_PEER_BROADCAST, TARGET_PEER_SERVER } from './core/constants.js';
export { MultiplayerPeer } from './multiplayer-peer.js';
export type { MultiplayerPeerEvents, MultiplayerPeerOptions } from './multiplayer-peer.js';
export { ENetMultiplayerPeer } from './enet-multiplayer-peer.js';
export type { ENetMultiplayerPeerOptions, ENetMultiplayerPeerStats } from './enet-multiplayer-peer.js';
