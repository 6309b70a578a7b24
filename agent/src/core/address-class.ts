// Which kind of IP address a STUN-mapped address or a link endpoint is (core, pure): loopback,
// private (not routed on the internet) or public. Netcheck's verdict and the link path use it.

import { parseIpv4Into, parseIpv6Into } from '@meshpunch/base';

/** `loopback`: this machine; `private`: a local network, not routed on the internet; `public`: the rest. */
export type AddressClass = 'loopback' | 'private' | 'public';

function ipv4Octets(ip: string): number[] | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const o = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return o.every((x) => x >= 0 && x <= 255) ? o : undefined;
}

/**
 * Classifies an IPv4 or IPv6 literal. Private: RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598
 * shared space (100.64/10, carrier-grade NAT), link-local (169.254/16, fe80::/10) and IPv6
 * unique-local (fc00::/7); loopback: 127/8 and ::1; IPv4-mapped IPv6 as its IPv4. Anything
 * else, unparsable text included, is `public` (this only labels, it filters nothing).
 */
export function addressClass(ip: string): AddressClass {
  const text = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const v4 = ipv4Octets(mapped === null ? text : mapped[1]!);
  if (v4 !== undefined) {
    const [a, b] = [v4[0]!, v4[1]!];
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)) return 'private';
    return 'public';
  }
  if (text === '::1') return 'loopback';
  if (/^f[cd][0-9a-f]{0,2}:/.test(text) || /^fe[89ab][0-9a-f]?:/.test(text)) return 'private';
  return 'public';
}

/** The address part of `ip:port` or `[ipv6]:port`. */
export function hostOf(endpoint: string): string {
  if (endpoint.startsWith('[')) return endpoint.slice(1, endpoint.indexOf(']'));
  const colon = endpoint.lastIndexOf(':');
  return colon < 0 ? endpoint : endpoint.slice(0, colon);
}

/** Scratch for onePrivateNetwork: two addresses' bytes (IPv6 size; IPv4 uses the first 4). */
const pairBytes = new Uint8Array(32);

/**
 * True when `a` and `b` are private addresses of one family that share their network prefix as a
 * home or LAN-party network draws it: the first 24 bits for IPv4 (a /24), the first 64 for IPv6 (a
 * /64). A guess — the netmask is not on the wire — whose only use is "may the peer reach our
 * private address": two NATed homes that both number their LAN the same /24 look alike, which costs them the
 * relay's early start, not the link.
 */
export function onePrivateNetwork(a: string, b: string): boolean {
  if (addressClass(a) !== 'private' || addressClass(b) !== 'private') return false;
  if (parseIpv4Into(a, pairBytes, 0) && parseIpv4Into(b, pairBytes, 16)) return prefixEqual(3);
  if (parseIpv6Into(a, pairBytes, 0) && parseIpv6Into(b, pairBytes, 16)) return prefixEqual(8);
  return false;
}

function prefixEqual(bytes: number): boolean {
  for (let i = 0; i < bytes; i++) if (pairBytes[i] !== pairBytes[16 + i]) return false;
  return true;
}
