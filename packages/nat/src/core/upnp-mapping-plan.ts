// Decisions of the UPnP port-mapping procedure (core, sans-IO): which lease to ask for, what to
// do after each UPnP error, when to refresh. The adapter (adapter/upnp-mapping.ts) performs them.
import { UpnpErrorCode } from './upnp-soap.js';
import { NatError } from '../errors.js';

/** IGDv2 caps leases at one week (WANIPConnection:2 §2.3.17: 1..604800 s; 0 is not allowed). */
export const IGD2_MAX_LEASE_S = 604_800;
/** Shortest lease we ask for; shorter ones make refresh traffic pointless. */
export const MIN_LEASE_S = 60;
/** Default lease: 20 min, refreshed at half-time; a dead client's mapping is gone within 20 min. */
export const DEFAULT_LEASE_S = 1200;
/** Attempts at a random external port after conflicts before giving up. */
export const MAX_PORT_ATTEMPTS = 8;

/** The next step after a failed AddPortMapping / AddAnyPortMapping. */
export type MappingRetry =
  /** Someone else holds the port: try another (random) external port. */
  | { readonly kind: 'other-port' }
  /** The router wants external = internal port (724). */
  | { readonly kind: 'same-port' }
  /** The router only takes permanent leases (725): retry with lease 0 and delete on close. */
  | { readonly kind: 'permanent-lease' }
  /** AddAnyPortMapping is not there after all: fall back to AddPortMapping. */
  | { readonly kind: 'plain-add' }
  | { readonly kind: 'fail' };

/** State of one mapping attempt sequence, as far as the decision needs it. */
export interface MappingAttemptState {
  readonly usedAnyPort: boolean;
  readonly leaseS: number;
  readonly externalPort: number;
  readonly internalPort: number;
  /** Attempts made so far, including the failed one. */
  readonly attempts: number;
}

/**
 * What to do after the router answered UPnP error `code` (WANIPConnection:2 §2.4.16 errors;
 * field quirks in docs/specs/nat-traversal.md §4 row 5). Bounded: after MAX_PORT_ATTEMPTS, 'fail'.
 */
export function retryAfterFault(code: number, s: MappingAttemptState): MappingRetry {
  if (s.attempts >= MAX_PORT_ATTEMPTS) return { kind: 'fail' };
  switch (code) {
    case UpnpErrorCode.InvalidAction:
    case UpnpErrorCode.OptionalActionNotImplemented:
      return s.usedAnyPort ? { kind: 'plain-add' } : { kind: 'fail' };
    case UpnpErrorCode.ConflictInMappingEntry:
    case UpnpErrorCode.ConflictWithOtherMechanisms:
      return { kind: 'other-port' };
    case UpnpErrorCode.SamePortValuesRequired:
      return s.externalPort !== s.internalPort ? { kind: 'same-port' } : { kind: 'fail' };
    case UpnpErrorCode.OnlyPermanentLeasesSupported:
      return s.leaseS !== 0 ? { kind: 'permanent-lease' } : { kind: 'fail' };
    default:
      return { kind: 'fail' };
  }
}

/**
 * The lease to request: `requested` clamped to MIN_LEASE_S..IGD2_MAX_LEASE_S (IGDv2 refuses 0 and
 * anything above a week; v1 would accept 0 = permanent, which leaks when the client dies).
 * @throws RangeError when requested is not a positive integer.
 */
export function clampLease(requested: number): number {
  if (!Number.isInteger(requested) || requested <= 0) throw new NatError('ERR_INVALID_PARAMETER', `leaseS must be a positive integer, got ${requested}`);
  return Math.min(IGD2_MAX_LEASE_S, Math.max(MIN_LEASE_S, requested));
}

/**
 * Delay until the next refresh in ms: half the granted lease (libp2p refreshes 60 s before
 * expiry; half-time leaves room for a retry after a lost request). Permanent leases (0) are
 * not refreshed: undefined.
 */
export function refreshDelayMs(leaseS: number): number | undefined {
  if (leaseS <= 0) return undefined;
  return Math.max(1000, Math.floor((leaseS * 1000) / 2));
}

/** Whether a reported external address can be advertised: a unicast IPv4 outside 0/8, loopback and multicast. */
export function isUsableExternalAddress(ip: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return false;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return false;
  return o[0] !== 0 && o[0] !== 127 && o[0]! < 224;
}

/** Whether an IPv4 address is private (RFC 1918) or shared (RFC 6598): a mapping there means double NAT. */
export function isPrivateIpv4(ip: string): boolean {
  const o = ip.split('.').map(Number);
  return o[0] === 10 || (o[0] === 172 && o[1]! >= 16 && o[1]! <= 31) || (o[0] === 192 && o[1] === 168) || (o[0] === 100 && o[1]! >= 64 && o[1]! <= 127);
}
