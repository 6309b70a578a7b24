// Validation of ENetMultiplayerPeer.setBindIp. Source: godot-enet.md §2.10. The IP rule is
// @meshpunch/base's, the one ENetConnection.createHostBound applies to the same address.
import { ipFamily } from '@meshpunch/base';

/** True for an IPv4/IPv6 literal or Godot's wildcard `"*"` (set_bind_ip, §2.10). */
export function isBindIp(ip: unknown): ip is string {
  return typeof ip === 'string' && (ip === '*' || ipFamily(ip) !== 0);
}
