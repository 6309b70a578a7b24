// Binding requests and responses ready-made for clients and servers (RFC 8489 §6, §7; RFC 5780 §6)
// — core, no I/O. The signaling service's embedded STUN responder uses `answerBindingRequest`.
import { NatError } from '../../errors.js';
import { StunAttr, StunClass, StunErrorCode, StunMethod, TRANSACTION_ID_LENGTH } from './constants.js';
import type { HmacSha1 } from './integrity.js';
import { decodeStunMessage, unknownRequiredAttributes, type StunDecodeError, type StunMessage } from './message.js';
import { getChangeRequest, type ChangeRequest } from './attributes.js';
import { StunWriter } from './writer.js';

/** A transport address (the shape node:dgram's rinfo and the simulator use). */
export interface TransportAddress {
  readonly address: string;
  readonly port: number;
}

/** Short-term credentials for MESSAGE-INTEGRITY (RFC 8489 §9.1). */
export interface StunIntegrity {
  /** The HMAC key (for short-term credentials, the password's UTF-8 bytes: `shortTermKey`). */
  readonly key: Uint8Array;
  readonly hmacSha1: HmacSha1;
}

/** Options of `encodeBindingRequest`; everything optional. */
export interface BindingRequestOptions {
  /** RFC 5780 §7.2 CHANGE-REQUEST flags; omitted when both false or absent. */
  readonly changeRequest?: Partial<ChangeRequest>;
  /** USERNAME (RFC 8489 §14.3). */
  readonly username?: string;
  /** PRIORITY (RFC 8445 §7.1.1). */
  readonly priority?: number;
  /** SOFTWARE (RFC 8489 §14.14). */
  readonly software?: string;
  /** Adds MESSAGE-INTEGRITY with these credentials. */
  readonly integrity?: StunIntegrity;
  /** Adds FINGERPRINT (default true: it makes STUN unmistakable on a socket shared with ENet). */
  readonly fingerprint?: boolean;
}

/**
 * Fills a new 12-byte transaction id from `random` (RFC 8489 §6: cryptographically random).
 */
export function newTransactionId(random: (out: Uint8Array) => void): Uint8Array {
  const id = new Uint8Array(TRANSACTION_ID_LENGTH);
  random(id);
  return id;
}

/**
 * Encodes a Binding request into `out` and returns its length in bytes.
 * @throws NatError ERR_INVALID_PARAMETER when `out` is too small or the id is not 12 bytes.
 */
export function encodeBindingRequest(out: Uint8Array, transactionId: Uint8Array, options: BindingRequestOptions = {}): number {
  const w = new StunWriter(out).begin(StunClass.Request, StunMethod.Binding, transactionId);
  if (options.username !== undefined) w.addString(StunAttr.Username, options.username);
  if (options.software !== undefined) w.addString(StunAttr.Software, options.software);
  if (options.priority !== undefined) w.addUint32(StunAttr.Priority, options.priority);
  const cr = options.changeRequest;
  if (cr && (cr.changeIp || cr.changePort)) w.addChangeRequest(cr.changeIp === true, cr.changePort === true);
  if (options.integrity) w.addMessageIntegrity(options.integrity.key, options.integrity.hmacSha1);
  if (options.fingerprint !== false) w.addFingerprint();
  return w.length;
}

/** What a Binding success response carries besides XOR-MAPPED-ADDRESS. */
export interface BindingSuccessOptions {
  /** RFC 5780 §7.4: the server's alternate address (only a two-address server sends it). */
  readonly otherAddress?: TransportAddress;
  /** RFC 5780 §7.3: the address:port the response is sent from. */
  readonly responseOrigin?: TransportAddress;
  /** Also send the old MAPPED-ADDRESS for RFC 3489 clients (RFC 8489 §14.1); default false. */
  readonly mappedAddress?: boolean;
  readonly software?: string;
  readonly integrity?: StunIntegrity;
  /** Default true. */
  readonly fingerprint?: boolean;
}

/**
 * Encodes a Binding success response telling the client it was seen at `mapped` (RFC 8489 §7.3.1).
 * @returns the length in bytes.
 * @throws NatError ERR_INVALID_PARAMETER when `out` is too small or an address is not an IP literal.
 */
export function encodeBindingSuccess(
  out: Uint8Array,
  transactionId: Uint8Array,
  mapped: TransportAddress,
  options: BindingSuccessOptions = {},
): number {
  const w = new StunWriter(out).begin(StunClass.SuccessResponse, StunMethod.Binding, transactionId);
  w.addXorAddress(StunAttr.XorMappedAddress, mapped.address, mapped.port);
  if (options.mappedAddress) w.addAddress(StunAttr.MappedAddress, mapped.address, mapped.port);
  if (options.responseOrigin) w.addAddress(StunAttr.ResponseOrigin, options.responseOrigin.address, options.responseOrigin.port);
  if (options.otherAddress) w.addAddress(StunAttr.OtherAddress, options.otherAddress.address, options.otherAddress.port);
  if (options.software !== undefined) w.addString(StunAttr.Software, options.software);
  if (options.integrity) w.addMessageIntegrity(options.integrity.key, options.integrity.hmacSha1);
  if (options.fingerprint !== false) w.addFingerprint();
  return w.length;
}

/** Options of `encodeBindingError`. */
export interface BindingErrorOptions {
  /** For 420: the comprehension-required attributes not understood (RFC 8489 §14.9). */
  readonly unknownAttributes?: readonly number[];
  readonly software?: string;
  readonly integrity?: StunIntegrity;
  /** Default true. */
  readonly fingerprint?: boolean;
}

/**
 * Encodes a Binding error response with ERROR-CODE `code` and `reason` (RFC 8489 §6.3.4).
 * @returns the length in bytes.
 * @throws NatError ERR_INVALID_PARAMETER when `code` is outside 300..699 or `out` is too small.
 */
export function encodeBindingError(
  out: Uint8Array,
  transactionId: Uint8Array,
  code: number,
  reason: string,
  options: BindingErrorOptions = {},
): number {
  const w = new StunWriter(out).begin(StunClass.ErrorResponse, StunMethod.Binding, transactionId);
  w.addErrorCode(code, reason);
  if (options.unknownAttributes && options.unknownAttributes.length > 0) w.addUnknownAttributes(options.unknownAttributes);
  if (options.software !== undefined) w.addString(StunAttr.Software, options.software);
  if (options.integrity) w.addMessageIntegrity(options.integrity.key, options.integrity.hmacSha1);
  if (options.fingerprint !== false) w.addFingerprint();
  return w.length;
}

/** How a STUN server answers: its own address and (for RFC 5780) its alternate one. */
export interface BindingServerOptions {
  /** The address:port the answer leaves from; sent as RESPONSE-ORIGIN when given (RFC 5780 §7.3). */
  readonly responseOrigin?: TransportAddress;
  /**
   * The alternate address:port (RFC 5780 §7.4). A server without one does not understand
   * CHANGE-REQUEST and answers it with 420 (RFC 5780 §6.1).
   */
  readonly otherAddress?: TransportAddress;
  readonly software?: string;
  readonly mappedAddress?: boolean;
}

/** The outcome of `answerBindingRequest`. */
export type BindingAnswer =
  /** Send `out[0..length)` to the client. For a request with CHANGE-REQUEST, send it from the changed address. */
  | { readonly kind: 'success'; readonly length: number; readonly changeRequest: ChangeRequest; readonly request: StunMessage }
  /** Send the error response `out[0..length)` (400 or 420). */
  | { readonly kind: 'error'; readonly length: number; readonly code: number }
  /** Not a Binding request (or not STUN): drop it and count `reason`. */
  | { readonly kind: 'drop'; readonly reason: StunDecodeError | 'not-binding-request' };

const SERVER_KNOWN = [StunAttr.Username, StunAttr.Priority, StunAttr.UseCandidate, StunAttr.MessageIntegrity];

/**
 * Decodes `bytes` received from `from` and, when it is a Binding request, encodes the answer into
 * `out` (RFC 8489 §6.3, RFC 5780 §6.1). Never throws for hostile input; `out` should hold ≥ 128 bytes.
 */
export function answerBindingRequest(
  bytes: Uint8Array,
  from: TransportAddress,
  out: Uint8Array,
  options: BindingServerOptions = {},
): BindingAnswer {
  const r = decodeStunMessage(bytes);
  if (!r.ok) return { kind: 'drop', reason: r.error };
  const m = r.message;
  if (m.class !== StunClass.Request || m.method !== StunMethod.Binding) return { kind: 'drop', reason: 'not-binding-request' };
  const known = options.otherAddress ? [...SERVER_KNOWN, StunAttr.ChangeRequest] : SERVER_KNOWN;
  const unknown = unknownRequiredAttributes(m, known).slice(0, 16);
  const errorOptions = { unknownAttributes: unknown, software: options.software };
  if (unknown.length > 0) {
    const length = encodeBindingError(out, m.transactionId, StunErrorCode.UnknownAttribute, 'Unknown Attribute', errorOptions);
    return { kind: 'error', length, code: StunErrorCode.UnknownAttribute };
  }
  const change = getChangeRequest(m);
  if (!change) {
    const length = encodeBindingError(out, m.transactionId, StunErrorCode.BadRequest, 'Bad Request', { software: options.software });
    return { kind: 'error', length, code: StunErrorCode.BadRequest };
  }
  let origin = options.responseOrigin;
  const other = options.otherAddress;
  if (origin && other && (change.changeIp || change.changePort)) {
    origin = {
      address: change.changeIp ? other.address : origin.address,
      port: change.changePort ? other.port : origin.port,
    };
  }
  let length: number;
  try {
    length = encodeBindingSuccess(out, m.transactionId, from, {
      responseOrigin: origin,
      otherAddress: other,
      software: options.software,
      mappedAddress: options.mappedAddress,
    });
  } catch (err) {
    // Only a bad `from` (not an IP literal) or a tiny `out` gets here: both are caller bugs.
    throw new NatError('ERR_INVALID_PARAMETER', `cannot answer ${from.address}:${from.port}: ${(err as Error).message}`, {}, err);
  }
  return { kind: 'success', length, changeRequest: change, request: m };
}
