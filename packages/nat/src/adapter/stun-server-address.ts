// Parses and resolves STUN server addresses ("host", "host:port", "[v6]:port", "stun:host:port",
// RFC 7064) to IP literals — adapter (uses node:dns).
import { lookup } from 'node:dns/promises';
import { NatError } from '../errors.js';
import { ipFamily } from '@meshpunch/base';
import type { TransportAddress } from '../core/stun/binding.js';

/** The default STUN port (RFC 8489 §18.1). */
export const STUN_DEFAULT_PORT = 3478;

/** A server given by name or address. */
export interface StunServerSpec {
  readonly host: string;
  readonly port: number;
}

/**
 * Splits "host", "host:port", "[v6]:port", a bare IPv6 literal or a "stun:" URI.
 * @throws NatError ERR_INVALID_PARAMETER when the text is empty or the port is not 1..65535.
 */
export function parseStunServer(text: string): StunServerSpec {
  let s = text.trim();
  if (s.startsWith('stun:')) s = s.slice(5);
  let host = s;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) throw new NatError('ERR_INVALID_PARAMETER', `STUN server must be host[:port], got ${JSON.stringify(text)}`);
    host = s.slice(1, end);
    if (s.length > end + 1) {
      if (s[end + 1] !== ':') throw new NatError('ERR_INVALID_PARAMETER', `STUN server must be host[:port], got ${JSON.stringify(text)}`);
      portText = s.slice(end + 2);
    }
  } else if (s.split(':').length === 2) {
    [host, portText] = s.split(':') as [string, string];
  }
  if (host.length === 0) throw new NatError('ERR_INVALID_PARAMETER', `STUN server must be host[:port], got ${JSON.stringify(text)}`);
  const port = portText === undefined ? STUN_DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || (portText !== undefined && !/^\d+$/.test(portText))) {
    throw new NatError('ERR_INVALID_PARAMETER', `STUN server port must be 1..65535, got ${JSON.stringify(portText)}`);
  }
  return { host, port };
}

/**
 * Resolves a server to an IP literal of `family` (default: whatever the resolver returns first).
 * @throws NatError ERR_CANT_RESOLVE when the name does not resolve.
 */
export async function resolveStunServer(server: string | StunServerSpec | TransportAddress, family?: 4 | 6): Promise<TransportAddress> {
  const spec: StunServerSpec = typeof server === 'string' ? parseStunServer(server) : 'host' in server ? server : { host: server.address, port: server.port };
  if (ipFamily(spec.host) !== 0) return { address: spec.host, port: spec.port };
  try {
    const r = await lookup(spec.host, { family: family ?? 0 });
    return { address: r.address, port: spec.port };
  } catch (err) {
    throw new NatError('ERR_CANT_RESOLVE', `cannot resolve STUN server ${spec.host}`, { host: spec.host }, err);
  }
}
