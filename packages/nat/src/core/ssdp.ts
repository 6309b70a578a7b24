// SSDP (UPnP Device Architecture 1.1 §1.3) for finding an Internet Gateway Device: the
// M-SEARCH request and the parsing of a unicast search response (core, sans-IO).
import { NatError } from '../errors.js';

/** SSDP multicast group and port (UDA 1.1 §1.1.2). */
export const SSDP_MULTICAST_ADDRESS = '239.255.255.250';
export const SSDP_PORT = 1900;

/**
 * Search targets for a gateway, most specific first. Real routers describe themselves as IGDv1
 * or IGDv2 (docs/specs/natlab.md §6 step 4) and some answer only one kind of ST
 * (docs/specs/nat-traversal.md §4: "retransmit M-SEARCH (IGD:1 and :2, WANIPConnection)").
 */
export const IGD_SEARCH_TARGETS: readonly string[] = [
  'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
  'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
];

/** Largest search response accepted, bytes; a real one is ~300-500 (UDA 1.1 §1.3.3). */
export const SSDP_MAX_RESPONSE_BYTES = 4096;

/**
 * The M-SEARCH request for `searchTarget` (UDA 1.1 §1.3.2).
 * @param mxS seconds a device may wait before answering (1..5, UDA 1.1 §1.3.2 MX).
 * @throws RangeError when mxS is outside 1..5 or the target contains a line break.
 */
export function encodeMSearch(searchTarget: string, mxS = 2): Uint8Array {
  if (!Number.isInteger(mxS) || mxS < 1 || mxS > 5) throw new NatError('ERR_INVALID_PARAMETER', `mxS must be an integer 1..5, got ${mxS}`);
  if (/[\r\n]/.test(searchTarget)) throw new NatError('ERR_INVALID_PARAMETER', 'searchTarget must not contain a line break');
  const text =
    'M-SEARCH * HTTP/1.1\r\n' +
    `HOST: ${SSDP_MULTICAST_ADDRESS}:${SSDP_PORT}\r\n` +
    'MAN: "ssdp:discover"\r\n' +
    `MX: ${mxS}\r\n` +
    `ST: ${searchTarget}\r\n` +
    '\r\n';
  return asciiBytes(text);
}

/** A parsed search response. */
export interface SsdpResponse {
  /** URL of the root device description (LOCATION). */
  readonly location: string;
  /** Search target the device answered for (ST). */
  readonly searchTarget: string;
  /** Unique service name (USN), '' when absent. */
  readonly usn: string;
  /** SERVER header (OS, UPnP version, product), '' when absent. */
  readonly server: string;
}

/** Why a datagram is not a usable search response. */
export type SsdpParseError = 'too-large' | 'not-http-200' | 'no-location' | 'bad-location';

/** Result of {@link parseSsdpResponse}. */
export type SsdpParseResult = { readonly ok: true; readonly response: SsdpResponse } | { readonly ok: false; readonly error: SsdpParseError };

/**
 * Parses a unicast M-SEARCH response (UDA 1.1 §1.3.3): `HTTP/1.1 200 OK`, headers
 * case-insensitive, LOCATION required and an http URL. Never throws.
 */
export function parseSsdpResponse(bytes: Uint8Array): SsdpParseResult {
  if (bytes.length > SSDP_MAX_RESPONSE_BYTES) return { ok: false, error: 'too-large' };
  const text = latin1(bytes);
  const lines = text.split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200\b/i.test(lines[0] ?? '')) return { ok: false, error: 'not-http-200' };
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const location = headers.get('location');
  if (location === undefined || location === '') return { ok: false, error: 'no-location' };
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return { ok: false, error: 'bad-location' };
  }
  if (url.protocol !== 'http:' || url.hostname === '') return { ok: false, error: 'bad-location' };
  return {
    ok: true,
    response: { location: url.href, searchTarget: headers.get('st') ?? '', usn: headers.get('usn') ?? '', server: headers.get('server') ?? '' },
  };
}

/**
 * Whether a response's LOCATION points at the host that sent it. A description hosted
 * elsewhere is refused: otherwise any LAN device could steer the client's HTTP requests to an
 * arbitrary address (a request-forgery vector), and a real IGD serves its own description.
 */
export function locationMatchesSender(location: string, senderAddress: string): boolean {
  try {
    return stripBrackets(new URL(location).hostname) === stripBrackets(senderAddress);
  } catch {
    return false;
  }
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1).toLowerCase() : h.toLowerCase();
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
