// Host-name resolution for createClient (adapter: uses node:dns). Godot resolves inside
// ENetConnection.connect_to_host; failures become ERR_CANT_CREATE (godot-enet.md §2.4 step 4).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Returns `address` unchanged if it is an IP literal, else the first address the system
 * resolver gives for it (IPv4 or IPv6).
 * @throws Error from node:dns when the name cannot be resolved.
 */
export async function resolveAddress(address: string): Promise<string> {
  if (isIP(address) !== 0) return address;
  const r = await lookup(address);
  return r.address;
}

/** True for an IPv4/IPv6 literal or Godot's wildcard `"*"` (set_bind_ip, §2.10). */
export function isBindIp(ip: unknown): ip is string {
  return typeof ip === 'string' && (ip === '*' || isIP(ip) !== 0);
}
