// Validation of the relay additions of revision 1.2 (relay.md §4): NAT hints and relay server
// lists, shared by both decoders (core). Never throws on wire input.
import { FieldReader } from './field-reader.js';
import {
  MAX_RELAY_HOST_LENGTH, MAX_RELAY_SERVERS, NAT_FILTERING_HINTS, NAT_MAPPING_HINTS, RELAY_TRANSPORTS,
} from './messages.js';
import type { NatHint, RelayServer } from './messages.js';

/** Host text of a relay server: a DNS name or an IP literal (letters, digits, '.', '-', ':'). */
const HOST_CHARS = /^[A-Za-z0-9.:-]+$/;

/**
 * Checks a `nat` hint. Returns the clean hint, or the problem as one sentence.
 * @param value anything parsed from JSON
 */
export function readNatHint(value: unknown): NatHint | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'nat must be an object';
  const r = new FieldReader().reset(value as Record<string, unknown>);
  const mapping = r.oneOf('mapping', NAT_MAPPING_HINTS);
  const filtering = r.oneOf('filtering', NAT_FILTERING_HINTS);
  if (r.error !== undefined) return `nat.${r.error}`;
  return { mapping: mapping!, filtering: filtering! };
}

/** Checks one relay server entry (`{ host?, port, transport }`). */
function readRelayServer(value: unknown): RelayServer | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a relay server must be an object';
  const r = new FieldReader().reset(value as Record<string, unknown>);
  const host = r.str('host', 1, MAX_RELAY_HOST_LENGTH, true);
  const port = r.int('port', 1, 65535);
  const transport = r.oneOf('transport', RELAY_TRANSPORTS);
  if (host !== undefined && !HOST_CHARS.test(host)) r.fail('host must be a DNS name or an IP address');
  if (r.error !== undefined) return r.error;
  return host === undefined ? { port: port!, transport: transport! } : { host, port: port!, transport: transport! };
}

/**
 * Checks a relay server list (1..MAX_RELAY_SERVERS entries).
 * @param field the field name the problem names
 */
export function readRelayServers(value: unknown, field: string): RelayServer[] | string {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_RELAY_SERVERS) return `${field} must be an array of 1..${MAX_RELAY_SERVERS} servers`;
  const out: RelayServer[] = [];
  for (let i = 0; i < value.length; i++) {
    const s = readRelayServer(value[i]);
    if (typeof s === 'string') return `${field}[${i}]: ${s}`;
    out.push(s);
  }
  return out;
}
