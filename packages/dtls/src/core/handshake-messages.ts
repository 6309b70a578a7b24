// Handshake message bodies (core): encoders and decoders for the messages of an ECDHE_ECDSA
// DTLS 1.2 handshake (RFC 5246 §7.4, RFC 6347 §4.2, RFC 8422 §5). Decoders return undefined for
// anything malformed; they never throw (docs/design.md §2).
//
// Handshake header (RFC 6347 §4.2.2), 12 bytes:
//   type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3)
import { ByteReader, ByteWriter } from './bytes.js';
import { ExtensionType, HANDSHAKE_HEADER_LENGTH, RANDOM_LENGTH } from './constants.js';

/** Max cookie length in DTLS 1.2 (RFC 6347 §4.2.1: opaque cookie<0..2^8-1>). */
export const MAX_COOKIE_LENGTH = 255;

/** A whole (unfragmented) handshake message: header with offset 0 and fragment_length = length. */
export function encodeHandshake(type: number, messageSeq: number, body: Uint8Array): Uint8Array {
  return new ByteWriter(HANDSHAKE_HEADER_LENGTH + body.length)
    .u8(type).u24(body.length).u16(messageSeq).u24(0).u24(body.length).bytes(body).finish();
}

export interface HandshakeFragment {
  type: number;
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  fragment: Uint8Array;
}

/** Reads one fragment header at `r`; undefined when truncated or inconsistent. */
export function readHandshakeFragment(r: ByteReader): HandshakeFragment | undefined {
  const type = r.u8();
  const length = r.u24();
  const messageSeq = r.u16();
  const fragmentOffset = r.u24();
  const fragment = r.vector(3);
  if (r.failed || fragmentOffset + fragment.length > length) return undefined;
  return { type, length, messageSeq, fragmentOffset, fragment };
}

export interface Extension {
  type: number;
  data: Uint8Array;
}

function writeExtensions(w: ByteWriter, exts: readonly Extension[]): void {
  const e = new ByteWriter();
  for (const x of exts) e.u16(x.type).vector(2, x.data);
  w.vector(2, e.finish());
}

/** Reads an extensions block if present (it is optional in hellos); undefined when malformed. */
function readExtensions(r: ByteReader): Extension[] | undefined {
  if (r.remaining === 0) return [];
  const block = new ByteReader(r.vector(2));
  const out: Extension[] = [];
  while (!block.failed && block.remaining > 0) {
    const type = block.u16();
    const data = block.vector(2);
    out.push({ type, data });
  }
  return block.failed || r.failed || r.remaining !== 0 ? undefined : out;
}

export interface ClientHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cookie: Uint8Array;
  cipherSuites: number[];
  compressionMethods: Uint8Array;
  extensions: Extension[];
}

export function encodeClientHello(h: ClientHello): Uint8Array {
  const w = new ByteWriter().u16(h.version).bytes(h.random).vector(1, h.sessionId).vector(1, h.cookie);
  w.u16(h.cipherSuites.length * 2);
  for (const s of h.cipherSuites) w.u16(s);
  w.vector(1, h.compressionMethods);
  writeExtensions(w, h.extensions);
  return w.finish();
}

export function decodeClientHello(body: Uint8Array): ClientHello | undefined {
  const r = new ByteReader(body);
  const version = r.u16();
  const random = r.bytes(RANDOM_LENGTH);
  const sessionId = r.vector(1);
  const cookie = r.vector(1);
  const suites = r.vector(2);
  const compressionMethods = r.vector(1);
  if (r.failed || sessionId.length > 32 || suites.length % 2 !== 0) return undefined;
  const extensions = readExtensions(r);
  if (extensions === undefined) return undefined;
  const cipherSuites: number[] = [];
  for (let i = 0; i < suites.length; i += 2) cipherSuites.push((suites[i]! << 8) | suites[i + 1]!);
  return { version, random, sessionId, cookie, cipherSuites, compressionMethods, extensions };
}

export interface ServerHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

export function encodeServerHello(h: ServerHello): Uint8Array {
  const w = new ByteWriter().u16(h.version).bytes(h.random).vector(1, h.sessionId).u16(h.cipherSuite).u8(h.compressionMethod);
  writeExtensions(w, h.extensions);
  return w.finish();
}

export function decodeServerHello(body: Uint8Array): ServerHello | undefined {
  const r = new ByteReader(body);
  const version = r.u16();
  const random = r.bytes(RANDOM_LENGTH);
  const sessionId = r.vector(1);
  const cipherSuite = r.u16();
  const compressionMethod = r.u8();
  if (r.failed || sessionId.length > 32) return undefined;
  const extensions = readExtensions(r);
  if (extensions === undefined) return undefined;
  return { version, random, sessionId, cipherSuite, compressionMethod, extensions };
}

export function encodeHelloVerifyRequest(version: number, cookie: Uint8Array): Uint8Array {
  return new ByteWriter().u16(version).vector(1, cookie).finish();
}

export function decodeHelloVerifyRequest(body: Uint8Array): { version: number; cookie: Uint8Array } | undefined {
  const r = new ByteReader(body);
  const version = r.u16();
  const cookie = r.vector(1);
  return r.failed || r.remaining !== 0 ? undefined : { version, cookie };
}

/** Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1> (RFC 5246 §7.4.2). */
export function encodeCertificate(chain: readonly Uint8Array[]): Uint8Array {
  const list = new ByteWriter();
  for (const c of chain) list.vector(3, c);
  return new ByteWriter().vector(3, list.finish()).finish();
}

/** At most this many certificates in a peer's chain: a leaf, intermediates and a root. */
export const MAX_CHAIN_LENGTH = 8;

export function decodeCertificate(body: Uint8Array): Uint8Array[] | undefined {
  const r = new ByteReader(body);
  const list = new ByteReader(r.vector(3));
  if (r.failed || r.remaining !== 0) return undefined;
  const out: Uint8Array[] = [];
  while (!list.failed && list.remaining > 0 && out.length <= MAX_CHAIN_LENGTH) {
    const c = list.vector(3);
    if (c.length === 0) return undefined;
    out.push(c);
  }
  return list.failed || list.remaining !== 0 ? undefined : out;
}

/** ServerECDHParams (RFC 8422 §5.4): curve_type(1) namedcurve(2) point<1..255>. */
export function encodeEcdheParams(curveType: number, group: number, point: Uint8Array): Uint8Array {
  return new ByteWriter().u8(curveType).u16(group).vector(1, point).finish();
}

export interface ServerKeyExchange {
  curveType: number;
  group: number;
  point: Uint8Array;
  /** The signed params bytes exactly as received. */
  params: Uint8Array;
  signatureScheme: number;
  signature: Uint8Array;
}

export function encodeServerKeyExchange(params: Uint8Array, scheme: number, signature: Uint8Array): Uint8Array {
  return new ByteWriter().bytes(params).u16(scheme).vector(2, signature).finish();
}

export function decodeServerKeyExchange(body: Uint8Array): ServerKeyExchange | undefined {
  const r = new ByteReader(body);
  const curveType = r.u8();
  const group = r.u16();
  const point = r.vector(1);
  const paramsEnd = r.pos;
  const signatureScheme = r.u16();
  const signature = r.vector(2);
  if (r.failed || r.remaining !== 0) return undefined;
  return { curveType, group, point, params: body.subarray(0, paramsEnd), signatureScheme, signature };
}

/** CertificateRequest (RFC 5246 §7.4.4): types<1..>, signature schemes<2..>, authorities<0..>. */
export function encodeCertificateRequest(certTypes: readonly number[], schemes: readonly number[]): Uint8Array {
  const w = new ByteWriter().vector(1, Uint8Array.from(certTypes));
  w.u16(schemes.length * 2);
  for (const s of schemes) w.u16(s);
  return w.u16(0).finish();
}

export function decodeCertificateRequest(body: Uint8Array): { certTypes: Uint8Array; schemes: number[] } | undefined {
  const r = new ByteReader(body);
  const certTypes = r.vector(1);
  const s = r.vector(2);
  r.vector(2);
  if (r.failed || r.remaining !== 0 || s.length % 2 !== 0) return undefined;
  const schemes: number[] = [];
  for (let i = 0; i < s.length; i += 2) schemes.push((s[i]! << 8) | s[i + 1]!);
  return { certTypes, schemes };
}

/** DigitallySigned (CertificateVerify body): scheme(2) signature<0..2^16-1>. */
export function encodeDigitallySigned(scheme: number, signature: Uint8Array): Uint8Array {
  return new ByteWriter().u16(scheme).vector(2, signature).finish();
}

export function decodeDigitallySigned(body: Uint8Array): { scheme: number; signature: Uint8Array } | undefined {
  const r = new ByteReader(body);
  const scheme = r.u16();
  const signature = r.vector(2);
  return r.failed || r.remaining !== 0 ? undefined : { scheme, signature };
}

/** ClientECDiffieHellmanPublic (RFC 8422 §5.7): point<1..255>. */
export function encodeClientKeyExchange(point: Uint8Array): Uint8Array {
  return new ByteWriter().vector(1, point).finish();
}

export function decodeClientKeyExchange(body: Uint8Array): Uint8Array | undefined {
  const r = new ByteReader(body);
  const point = r.vector(1);
  return r.failed || r.remaining !== 0 || point.length === 0 ? undefined : point;
}

/** The u16 list inside supported_groups or signature_algorithms; [] when malformed. */
export function readU16List(data: Uint8Array): number[] {
  const r = new ByteReader(data);
  const list = r.vector(2);
  if (r.failed || r.remaining !== 0 || list.length % 2 !== 0) return [];
  const out: number[] = [];
  for (let i = 0; i < list.length; i += 2) out.push((list[i]! << 8) | list[i + 1]!);
  return out;
}

/** A u16 list behind its 2-byte length. */
export function u16List(values: readonly number[]): Uint8Array {
  const w = new ByteWriter().u16(values.length * 2);
  for (const v of values) w.u16(v);
  return w.finish();
}

export function findExtension(exts: readonly Extension[], type: number): Extension | undefined {
  for (const e of exts) if (e.type === type) return e;
  return undefined;
}

/** An empty renegotiation_info (RFC 5746 §3.2): renegotiated_connection<0..255> of length 0. */
export const EMPTY_RENEGOTIATION_INFO: Extension = { type: ExtensionType.RenegotiationInfo, data: Uint8Array.of(0) };
/** extended_master_secret has empty extension_data (RFC 7627 §5.1). */
export const EXTENDED_MASTER_SECRET: Extension = { type: ExtensionType.ExtendedMasterSecret, data: new Uint8Array(0) };
/** ec_point_formats: uncompressed only (RFC 8422 §5.1.2). */
export const EC_POINT_FORMATS_UNCOMPRESSED: Extension = { type: ExtensionType.EcPointFormats, data: Uint8Array.of(1, 0) };
