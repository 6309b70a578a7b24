// Binding requests and responses ready-made for clients and servers (RFC 8489 §6, §7; RFC 5780 §6)
// — core, no I/O. The signaling service's embedded STUN responder uses `answerBindingRequest`.
import { NatError } from '../../errors.js';
import { StunAttr, StunClass, StunErrorCode, StunMethod, TRANSACTION_ID_LENGTH } from './constants.js';
import type { HmacSha1 } from './integrity.js';
import { decodeStunMessage, findAttribute, unknownRequiredAttributes, type StunDecodeError, type StunMessage } from './message.js';
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
  /**
   * The address:port the request arrived on; sent as RESPONSE-ORIGIN when given (RFC 5780 §7.3),
   * changed as CHANGE-REQUEST asks when `otherAddress` is given too.
   */
  readonly responseOrigin?: TransportAddress;
  /**
   * The alternate address:port, differing in both IP and port from the address the request
   * arrived on (RFC 5780 §6.1 table: "Ca:Cp" relative to "Da:Dp"; §7.4). A server without one
   * does not understand CHANGE-REQUEST and answers it with 420 (RFC 5780 §6.1).
   */
  readonly otherAddress?: TransportAddress;
  readonly software?: string;
  /**
   * Also send MAPPED-ADDRESS. Default: true when `otherAddress` is given (RFC 5780 §6.1: "The
   * server MUST include both MAPPED-ADDRESS and XOR-MAPPED-ADDRESS"), else false.
   */
  readonly mappedAddress?: boolean;
}

/** Why a Binding request was answered with an error response. */
export type BindingRejectReason =
  /** A comprehension-required attribute we do not understand (420, RFC 8489 §6.3.1). */
  | 'unknown-attribute'
  /** CHANGE-REQUEST whose value is not 4 bytes (400, RFC 5780 §7.2). */
  | 'bad-change-request'
  /** RESPONSE-PORT whose value is not 4 bytes or whose port is 0 (400, RFC 5780 §7.5). */
  | 'bad-response-port'
  /** PADDING together with RESPONSE-PORT (400, RFC 5780 §6.1). */
  | 'padding-with-response-port';

/** The outcome of `answerBindingRequest`. */
export type BindingAnswer =
  /**
   * Send `out[0..length)` from `origin` (the changed address for CHANGE-REQUEST; undefined when
   * the caller gave no `responseOrigin`: answer from the socket it arrived on) to the request's
   * source IP at `toPort` (RESPONSE-PORT, RFC 5780 §7.5, else the source port).
   */
  | {
    readonly kind: 'success'; readonly length: number; readonly changeRequest: ChangeRequest; readonly request: StunMessage;
    readonly origin: TransportAddress | undefined; readonly toPort: number;
  }
  /**
   * Send the error response `out[0..length)` (400 or 420) from the socket it arrived on back to
   * its source (`toPort` is the source port: a request with a bad RESPONSE-PORT must not steer
   * its error elsewhere); count `reason`.
   */
  | { readonly kind: 'error'; readonly length: number; readonly code: number; readonly reason: BindingRejectReason; readonly toPort: number }
  /** Not a Binding request (or not STUN): drop it and count `reason`. */
  | { readonly kind: 'drop'; readonly reason: StunDecodeError | 'not-binding-request' };

/**
 * Comprehension-required attributes a Binding request may carry that every server here
 * understands (RFC 8489 §14, RFC 8445 §16.1, RFC 5780 §7.5–7.6). CHANGE-REQUEST is added only
 * for a server with an alternate address.
 */
const SERVER_KNOWN = [
  StunAttr.Username, StunAttr.Priority, StunAttr.UseCandidate, StunAttr.MessageIntegrity, StunAttr.Padding, StunAttr.ResponsePort,
];
const SERVER_KNOWN_RFC5780 = [...SERVER_KNOWN, StunAttr.ChangeRequest];
type BadRequestReason = Exclude<BindingRejectReason, 'unknown-attribute'>;
/**
 * ERROR-CODE 400 reason phrases naming the rule broken. Short (< 50 bytes, RFC 8489 §14.8 allows
 * 127 characters) so an error answer fits the 128-byte `out` this function asks for.
 */
const BAD_REQUEST_PHRASE: Readonly<Record<BadRequestReason, string>> = {
  'bad-change-request': 'CHANGE-REQUEST must be 4 bytes',
  'bad-response-port': 'RESPONSE-PORT must be port 1..65535 + 2 bytes',
  'padding-with-response-port': 'PADDING not allowed with RESPONSE-PORT',
};
/** RFC 8489 §14.9 puts no bound on UNKNOWN-ATTRIBUTES; 16 types keep a hostile answer small. */
const MAX_UNKNOWN_LISTED = 16;

/**
 * RESPONSE-PORT (RFC 5780 §7.5): a 16-bit port then 2 bytes of padding. The RFC's "0-65536"
 * range is a typo; port 0 cannot be sent to, so it is malformed here. -1 when malformed.
 */
function responsePortOf(value: Uint8Array): number {
  if (value.length !== 4) return -1;
  const port = (value[0]! << 8) | value[1]!;
  return port === 0 ? -1 : port;
}

/**
 * Decodes `bytes` received from `from` and, when it is a Binding request, encodes the answer into
 * `out` (RFC 8489 §6.3, RFC 5780 §6.1). Never throws for hostile input; `out` should hold ≥ 128 bytes.
 *
 * RFC 5780 server rules applied, in order: unknown comprehension-required attributes → 420
 * (CHANGE-REQUEST counts as unknown without `otherAddress`); malformed CHANGE-REQUEST or
 * RESPONSE-PORT → 400; PADDING with RESPONSE-PORT → 400 (§6.1); else success, sent to
 * RESPONSE-PORT when present (§7.5) from the address CHANGE-REQUEST selects (§6.1 table).
 * The answer never carries PADDING although §6.1 asks for it: padding answers to the request's
 * size would make the responder a full-size reflector for spoofed sources, and clients (coturn's
 * `turnutils_stunclient -f`) read the answer without it.
 * @throws NatError ERR_INVALID_PARAMETER only for caller bugs: `from` not an IP literal or `out` too small.
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
  const other = options.otherAddress;
  const unknown = unknownRequiredAttributes(m, other ? SERVER_KNOWN_RFC5780 : SERVER_KNOWN).slice(0, MAX_UNKNOWN_LISTED);
  if (unknown.length > 0) {
    const length = encodeBindingError(out, m.transactionId, StunErrorCode.UnknownAttribute, 'Unknown Attribute', {
      unknownAttributes: unknown, software: options.software,
    });
    return { kind: 'error', length, code: StunErrorCode.UnknownAttribute, reason: 'unknown-attribute', toPort: from.port };
  }
  const change = getChangeRequest(m);
  const rp = findAttribute(m, StunAttr.ResponsePort);
  const toPort = rp === undefined ? from.port : responsePortOf(rp.value);
  const bad: BadRequestReason | undefined = !change ? 'bad-change-request'
    : toPort < 0 ? 'bad-response-port'
      : rp !== undefined && findAttribute(m, StunAttr.Padding) !== undefined ? 'padding-with-response-port'
        : undefined;
  if (!change || bad !== undefined) {
    const why = bad ?? 'bad-change-request';
    const length = encodeBindingError(out, m.transactionId, StunErrorCode.BadRequest, BAD_REQUEST_PHRASE[why], { software: options.software });
    return { kind: 'error', length, code: StunErrorCode.BadRequest, reason: why, toPort: from.port };
  }
  let origin = options.responseOrigin;
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
      mappedAddress: options.mappedAddress ?? other !== undefined,
    });
  } catch (err) {
    // Only a bad `from` (not an IP literal) or a tiny `out` gets here: both are caller bugs.
    throw new NatError('ERR_INVALID_PARAMETER', `cannot answer ${from.address}:${from.port}: ${(err as Error).message}`, {}, err);
  }
  return { kind: 'success', length, changeRequest: change, request: m, origin, toPort };
}
