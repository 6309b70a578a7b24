// Validation of ENetMultiplayerPeer.setBindIp (adapter: uses node:net). Source: godot-enet.md §2.10.
import { isIP } from 'node:net';

/** True for an IPv4/IPv6 literal or Godot's wildcard `"*"` (set_bind_ip, §2.10). */
export function isBindIp(ip: unknown): ip is string {
  return typeof ip === 'string' && (ip === '*' || isIP(ip) !== 0);
}
