// NAT-PMP (RFC 6886) messages: external address and UDP/TCP mapping requests and their
// responses (core, sans-IO). The adapter (adapter/natpmp-client.ts) sends them to the gateway.
//
// Requests (client → gateway:5351), big-endian:
//   external address:  0 version=0 | 1 opcode=0                                        (2 bytes)
//   map:               0 version=0 | 1 opcode=1 UDP / 2 TCP | 2-3 reserved=0
//                      4-5 internal port | 6-7 suggested external port | 8-11 lifetime s   (12 bytes)
// Responses: 0 version=0 | 1 opcode=128+op | 2-3 result code | 4-7 seconds since epoch, then
//   opcode 128: 8-11 external IPv4                                                      (12 bytes)
//   opcode 129/130: 8-9 internal port | 10-11 mapped external port | 12-15 lifetime s     (16 bytes)
import { NatError } from '../errors.js';

/** The gateway's NAT-PMP port (RFC 6886 §3.1). */
export const NATPMP_PORT = 5351;
/** First retransmission timeout, ms; doubles per attempt (RFC 6886 §3.1). */
export const NATPMP_INITIAL_RTO_MS = 250;
/** RFC 6886 §3.3: recommended mapping lifetime, 7200 s. */
export const NATPMP_RECOMMENDED_LIFETIME_S = 7200;

/** Result codes (RFC 6886 §3.5). */
export const NatPmpResult = Object.freeze({
  Success: 0,
  UnsupportedVersion: 1,
  /** Not authorized / refused (e.g. NAT-PMP disabled on the router). */
  NotAuthorized: 2,
  /** The gateway has no external address yet (WAN down, DHCP pending). */
  NetworkFailure: 3,
  OutOfResources: 4,
  UnsupportedOpcode: 5,
});

/** Protocols NAT-PMP can map. */
export type NatPmpProtocol = 'UDP' | 'TCP';

/** The external-address request (RFC 6886 §3.2). */
export function encodeExternalAddressRequest(): Uint8Array {
  return new Uint8Array([0, 0]);
}

/** What a map request asks for. */
export interface NatPmpMapRequest {
  readonly protocol: NatPmpProtocol;
  readonly internalPort: number;
  /** Suggested external port, 0 = any (RFC 6886 §3.3). */
  readonly externalPort: number;
  /** Lifetime in s; 0 with externalPort 0 deletes the mapping (§3.4). */
  readonly lifetimeS: number;
}

/**
 * The map request (RFC 6886 §3.3).
 * @throws RangeError for a port outside 0..65535 (internal 1..65535) or a lifetime outside 0..2^32-1.
 */
export function encodeMapRequest(r: NatPmpMapRequest): Uint8Array {
  if (!Number.isInteger(r.internalPort) || r.internalPort < 1 || r.internalPort > 65535) throw new NatError('ERR_INVALID_PARAMETER', `internalPort must be 1..65535, got ${r.internalPort}`);
  if (!Number.isInteger(r.externalPort) || r.externalPort < 0 || r.externalPort > 65535) throw new NatError('ERR_INVALID_PARAMETER', `externalPort must be 0..65535, got ${r.externalPort}`);
  if (!Number.isInteger(r.lifetimeS) || r.lifetimeS < 0 || r.lifetimeS > 0xffffffff) throw new NatError('ERR_INVALID_PARAMETER', `lifetimeS must be 0..4294967295, got ${r.lifetimeS}`);
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  out[1] = r.protocol === 'UDP' ? 1 : 2;
  v.setUint16(4, r.internalPort);
  v.setUint16(6, r.externalPort);
  v.setUint32(8, r.lifetimeS >>> 0);
  return out;
}

/** A decoded response. */
export type NatPmpResponse =
  | { readonly kind: 'external-address'; readonly result: number; readonly epochS: number; readonly address: string }
  | {
      readonly kind: 'map';
      readonly protocol: NatPmpProtocol;
      readonly result: number;
      readonly epochS: number;
      readonly internalPort: number;
      readonly externalPort: number;
      readonly lifetimeS: number;
    };

/** Why a datagram is not a NAT-PMP response. */
export type NatPmpDecodeError = 'too-short' | 'bad-version' | 'not-a-response' | 'unknown-opcode';

/** Result of {@link decodeNatPmpResponse}. */
export type NatPmpDecodeResult = { readonly ok: true; readonly response: NatPmpResponse } | { readonly ok: false; readonly error: NatPmpDecodeError };

/**
 * Decodes a response (RFC 6886 §3.2, §3.3). Error responses may be short (8 bytes: header
 * only, §3.5); they decode with zero fields. Never throws.
 */
export function decodeNatPmpResponse(bytes: Uint8Array): NatPmpDecodeResult {
  if (bytes.length < 4) return { ok: false, error: 'too-short' };
  if (bytes[0] !== 0) return { ok: false, error: 'bad-version' };
  const op = bytes[1]!;
  if (op < 128) return { ok: false, error: 'not-a-response' };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result = v.getUint16(2);
  const full = result === NatPmpResult.Success;
  if (op === 128) {
    if (bytes.length < (full ? 12 : 4)) return { ok: false, error: 'too-short' };
    const epochS = bytes.length >= 8 ? v.getUint32(4) : 0;
    const address = bytes.length >= 12 ? `${bytes[8]}.${bytes[9]}.${bytes[10]}.${bytes[11]}` : '0.0.0.0';
    return { ok: true, response: { kind: 'external-address', result, epochS, address } };
  }
  if (op === 129 || op === 130) {
    if (bytes.length < (full ? 16 : 4)) return { ok: false, error: 'too-short' };
    const has = bytes.length >= 16;
    return {
      ok: true,
      response: {
        kind: 'map', protocol: op === 129 ? 'UDP' : 'TCP', result,
        epochS: bytes.length >= 8 ? v.getUint32(4) : 0,
        internalPort: has ? v.getUint16(8) : 0,
        externalPort: has ? v.getUint16(10) : 0,
        lifetimeS: has ? v.getUint32(12) : 0,
      },
    };
  }
  return { ok: false, error: 'unknown-opcode' };
}

/** Result code → short name, for messages. */
export function natPmpResultName(code: number): string {
  const names = ['success', 'unsupported version', 'not authorized/refused', 'network failure', 'out of resources', 'unsupported opcode'];
  return names[code] ?? `result ${code}`;
}
