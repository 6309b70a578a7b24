// Which peer IPs a relay allocation may be permitted toward (relay.md §2(b) security rule 3(a),
// 3(b)) — core, no I/O. Membership-based rules (3(c)) are the caller's callback.
import { addressScope } from '../candidates.js';
import { normalizeIp, parseIpv4Into } from '@meshpunch/base';

/** What the address-class rules allow besides public unicast IPv4. */
export interface PeerAddressRules {
  /** RFC 1918, 100.64/10 (and ULA) peers (`--relay-allow-private`). */
  readonly allowPrivate: boolean;
  /**
   * 127/8 peers, the server's own loopback address included (so two allocations on one loopback
   * relay reach each other): only for loopback interop tests, like coturn's `allow-loopback-peers`.
   */
  readonly allowLoopback: boolean;
  /** The server's own addresses (normalised): never a peer, or the relay could loop into itself. */
  readonly ownAddresses: ReadonlySet<string>;
}

/** Why a peer IP is refused. */
export type PeerAddressVerdict = 'ok' | 'forbidden' | 'family';

const b4 = new Uint8Array(4);

/**
 * Classifies `ip` for a permission: 'family' for IPv6 (the relay is IPv4-only: 443), 'forbidden'
 * for unspecified (0/8), loopback, link-local, multicast (224/4), 240/4 incl. broadcast, the
 * server's own addresses, and private ranges unless allowed; else 'ok'. The lab's 203.0.113.0/24
 * and 198.51.100.0/24 are public here (relay.md §2(b)).
 */
export function classifyPeerAddress(ip: string, rules: PeerAddressRules): PeerAddressVerdict {
  const norm = normalizeIp(ip);
  if (norm === undefined) return 'forbidden';
  if (norm.includes(':')) {
    const mapped = norm.startsWith('::ffff:') && parseIpv4Into(norm.slice(7), b4, 0);
    if (!mapped) return 'family';
    return classifyPeerAddress(norm.slice(7), rules);
  }
  parseIpv4Into(norm, b4, 0);
  if (rules.ownAddresses.has(norm) && !(rules.allowLoopback && b4[0] === 127)) return 'forbidden';
  if (b4[0]! >= 224) return 'forbidden';
  const scope = addressScope(norm);
  if (scope === 'public') return 'ok';
  if (scope === 'private') return rules.allowPrivate ? 'ok' : 'forbidden';
  if (scope === 'loopback') return rules.allowLoopback ? 'ok' : 'forbidden';
  return 'forbidden';
}
