// What the embedded STUN responder answers to one datagram (core). Server policy only: the
// wire codec is @meshpunch/nat's. Beyond nat's answerBindingRequest this honours RFC 5780
// RESPONSE-PORT (§7.5) and PADDING (§7.6), which coturn's client sends in its behaviour tests.
import {
  decodeStunMessage, encodeBindingError, encodeBindingSuccess, findAttribute, getChangeRequest, StunAttr, StunClass,
  StunErrorCode, StunMethod, unknownRequiredAttributes,
} from '@meshpunch/nat';
import type { TransportAddress } from '@meshpunch/nat';

/** The responder's addresses: where the request arrived, and the alternate (RFC 5780 §4.3). */
export interface StunAnswerContext {
  /** The local address:port the request arrived on, or undefined when bound to a wildcard. */
  readonly local: TransportAddress | undefined;
  /** The alternate address:port, when the responder has a second address. */
  readonly other: TransportAddress | undefined;
  /** SOFTWARE attribute value. */
  readonly software: string;
}

/** The outcome for one datagram. */
export type StunAnswer =
  | {
    kind: 'reply'; length: number; isError: boolean;
    /** Send from the socket differing in IP (changeIp) and/or port (changePort). */
    changeIp: boolean; changePort: boolean;
    /** Port to send to (RESPONSE-PORT), or the source port. */
    toPort: number;
  }
  | { kind: 'drop'; malformed: boolean };

/** Attribute types a Binding request may carry that this responder understands (RFC 8489 §14, RFC 5780 §7). */
const KNOWN = [StunAttr.Username, StunAttr.Priority, StunAttr.UseCandidate, StunAttr.MessageIntegrity, StunAttr.Padding, StunAttr.ResponsePort];

/**
 * Decodes `bytes` from `from` and encodes the answer into `out` (≥ 128 bytes).
 * Never throws on hostile input.
 */
export function answerStun(bytes: Uint8Array, from: TransportAddress, out: Uint8Array, ctx: StunAnswerContext): StunAnswer {
  const r = decodeStunMessage(bytes);
  if (!r.ok) return { kind: 'drop', malformed: r.error !== 'not-stun' && r.error !== 'too-short' };
  const m = r.message;
  if (m.class !== StunClass.Request || m.method !== StunMethod.Binding) return { kind: 'drop', malformed: false };
  const known = ctx.other === undefined ? KNOWN : [...KNOWN, StunAttr.ChangeRequest];
  const unknown = unknownRequiredAttributes(m, known).slice(0, 16);
  const error = (code: number, reason: string, toPort: number): StunAnswer => ({
    kind: 'reply', isError: true, changeIp: false, changePort: false, toPort,
    length: encodeBindingError(out, m.transactionId, code, reason, { unknownAttributes: unknown, software: ctx.software }),
  });
  if (unknown.length > 0) return error(StunErrorCode.UnknownAttribute, 'Unknown Attribute', from.port);
  const change = getChangeRequest(m);
  const rp = findAttribute(m, StunAttr.ResponsePort);
  // RFC 5780 §7.5: a 16-bit port followed by 2 bytes of padding.
  const responsePort = rp === undefined ? from.port : rp.value.length === 4 ? (rp.value[0]! << 8) | rp.value[1]! : -1;
  if (change === undefined || responsePort < 1) return error(StunErrorCode.BadRequest, 'Bad Request', from.port);
  let origin = ctx.local;
  if (origin !== undefined && ctx.other !== undefined) {
    origin = { address: change.changeIp ? ctx.other.address : origin.address, port: change.changePort ? ctx.other.port : origin.port };
  }
  const length = encodeBindingSuccess(out, m.transactionId, from, {
    responseOrigin: origin, otherAddress: ctx.other, software: ctx.software,
  });
  return { kind: 'reply', length, isError: false, changeIp: change.changeIp, changePort: change.changePort, toPort: responsePort };
}
