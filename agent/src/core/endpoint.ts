// Parsing and printing of "HOST:PORT" endpoints (core, pure): CLI flags, reports, candidates.
import { isIpv4, isIpv6 } from '@meshpunch/base';

/** A transport endpoint: an IPv4/IPv6 literal or a host name, and a UDP/TCP port. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Host names per RFC 1123 §2.1: labels of 1..63 letters, digits and hyphens, total ≤ 253. */
const HOST_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// IP literal rules are defined once, in @meshpunch/base (was a regex here, looser for IPv6).
export { isIpv4, isIpv6 };

/**
 * Parses `HOST:PORT`, `[IPV6]:PORT` or `IPV4:PORT`; the port must be 1..65535.
 * Returns the endpoint, or a one-sentence reason when the text is not valid.
 */
export function parseEndpoint(text: string): Endpoint | string {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return `expected [IPV6]:PORT, got '${text}'`;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!isIpv6(host)) return `'${host}' is not an IPv6 address`;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return `expected HOST:PORT, got '${text}'`;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return `an IPv6 address needs brackets ([IPV6]:PORT), got '${text}'`;
    if (!isIpv4(host) && (!HOST_NAME.test(host) || /^[\d.]+$/.test(host))) return `'${host}' is not a valid host name or IPv4 address`;
  }
  if (!/^\d{1,5}$/.test(portText)) return `port must be an integer 1..65535, got '${portText}'`;
  const port = Number(portText);
  if (port < 1 || port > 65535) return `port must be an integer 1..65535, got ${port}`;
  return { address: host, port };
}

/** Formats an endpoint as `a.b.c.d:port` or `[v6]:port`. */
export function formatEndpoint(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** True when both name the same address and port (addresses compared as given: canonical forms). */
export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.address === b.address;
}
