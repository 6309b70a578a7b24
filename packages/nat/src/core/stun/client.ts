// Sans-IO STUN Binding client: any number of concurrent transactions over one socket, with the
// RFC 8489 §6.2.1 retransmission schedule (core). The caller feeds every received datagram; the
// client consumes only responses to its own transactions.
//
// Transaction states: queued (send due) → sent → (response → done) | (retransmit → sent) |
// (after Rc sends and Rm·RTO of silence → failed 'timeout').
import { NatError } from '../../errors.js';
import { StunAttr, StunClass, StunMethod, TRANSACTION_ID_LENGTH } from './constants.js';
import { encodeBindingRequest, type TransportAddress } from './binding.js';
import { getErrorCode, getOtherAddress, getReflexiveAddress, getResponseOrigin, type ChangeRequest, type StunAddress } from './attributes.js';
import { decodeStunMessage, findAttribute, isStunMessage, sameTransactionId } from './message.js';
import { verifyFingerprint } from './integrity.js';

/** RFC 8489 §6.2.1 default initial RTO, ms. */
export const STUN_RTO_MS = 500;
/** RFC 8489 §6.2.1 Rc: requests sent per transaction. */
export const STUN_RC = 7;
/** RFC 8489 §6.2.1 Rm: wait after the last request, in RTOs (total 39.5 s with the defaults). */
export const STUN_RM = 16;

/** Client-wide settings. */
export interface StunClientOptions {
  /** Fills a buffer with cryptographically random bytes (transaction ids, RFC 8489 §6). Required. */
  random: (out: Uint8Array) => void;
  /** Initial retransmission timeout, ms (default 500). */
  rtoMs?: number;
  /** Requests sent per transaction, Rc (default 7). */
  requestCount?: number;
  /** Wait after the last request, in units of the initial RTO, Rm (default 16). */
  lastWaitFactor?: number;
  /** Concurrent transactions allowed (default 32); beyond it `request` throws. */
  maxPending?: number;
  /** SOFTWARE attribute on every request (default none: fewer bytes). */
  software?: string;
}

/** Per-request settings; unset fields take the client's. */
export interface StunRequestOptions {
  changeRequest?: Partial<ChangeRequest>;
  rtoMs?: number;
  requestCount?: number;
  lastWaitFactor?: number;
}

/** Frozen, validated client configuration. */
export interface StunClientConfig {
  readonly random: (out: Uint8Array) => void;
  readonly rtoMs: number;
  readonly requestCount: number;
  readonly lastWaitFactor: number;
  readonly maxPending: number;
  readonly software: string | undefined;
}

function positiveInt(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new NatError('ERR_INVALID_PARAMETER', `${name} must be an integer ${lo}..${hi}, got ${value}`, { got: value });
  }
  return value;
}

/**
 * Validates client options and fills defaults.
 * @throws NatError ERR_INVALID_PARAMETER naming the first bad option.
 */
export function resolveStunClientOptions(options: StunClientOptions): StunClientConfig {
  if (typeof options?.random !== 'function') {
    throw new NatError('ERR_INVALID_PARAMETER', 'random must be a function filling a Uint8Array');
  }
  return Object.freeze({
    random: options.random,
    rtoMs: positiveInt('rtoMs', options.rtoMs ?? STUN_RTO_MS, 1, 60_000),
    requestCount: positiveInt('requestCount', options.requestCount ?? STUN_RC, 1, 20),
    lastWaitFactor: positiveInt('lastWaitFactor', options.lastWaitFactor ?? STUN_RM, 1, 64),
    maxPending: positiveInt('maxPending', options.maxPending ?? 32, 1, 4096),
    software: options.software,
  });
}

/** Why a transaction failed. */
export type StunFailureReason = 'timeout' | 'error-response' | 'bad-response' | 'cancelled';

/** What the client reports. */
export type StunClientEvent =
  | {
      readonly type: 'stunSuccess';
      /** The id `request` returned. */
      readonly id: number;
      readonly server: TransportAddress;
      /** Where the response came from (differs from `server` after a CHANGE-REQUEST). */
      readonly from: TransportAddress;
      /** XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS): this socket as the server saw it. */
      readonly mapped: StunAddress;
      readonly otherAddress: StunAddress | undefined;
      readonly responseOrigin: StunAddress | undefined;
      /** ms from the last request sent to the response (Karn: ambiguous after retransmits). */
      readonly rttMs: number;
      readonly requestsSent: number;
    }
  | {
      readonly type: 'stunFailure';
      readonly id: number;
      readonly server: TransportAddress;
      readonly reason: StunFailureReason;
      /** STUN error code for 'error-response'. */
      readonly code: number | undefined;
      readonly requestsSent: number;
    };

/** Counters of what the client saw (docs/design.md §5.8). */
export interface StunClientCounters {
  requestsSent: number;
  responses: number;
  /** STUN messages not matching a live transaction (late, duplicate or foreign). */
  unmatched: number;
  /** Datagrams that looked like STUN but failed to decode. */
  malformed: number;
  /** Responses whose FINGERPRINT was present and wrong. */
  badFingerprint: number;
  timeouts: number;
}

interface Transaction {
  id: number;
  txid: Uint8Array;
  server: TransportAddress;
  change: Partial<ChangeRequest> | undefined;
  rtoMs: number;
  requestCount: number;
  lastWaitMs: number;
  sent: number;
  /** When the next send is due, or when the transaction fails after its last send. */
  nextAt: number;
  sendDue: boolean;
  lastSentAt: number;
}

/** Cap on queued events; a caller that never polls events loses the oldest (counted). */
const MAX_EVENTS = 256;

/** A sans-IO STUN Binding client (docs/design.md §2 contract). */
export class StunClient {
  readonly config: StunClientConfig;
  readonly counters: StunClientCounters = { requestsSent: 0, responses: 0, unmatched: 0, malformed: 0, badFingerprint: 0, timeouts: 0 };
  #tx: Transaction[] = [];
  #events: StunClientEvent[] = [];
  #nextId = 1;
  droppedEvents = 0;

  constructor(options: StunClientOptions) {
    this.config = resolveStunClientOptions(options);
  }

  /** Transactions still waiting for an answer. */
  get pending(): number {
    return this.#tx.length;
  }

  /**
   * Starts a Binding transaction to `server` at `now`; the first request goes out on the next
   * `pollTransmit`. Returns the id used in this transaction's event.
   * @throws NatError ERR_INVALID_PARAMETER when maxPending transactions are already running.
   */
  request(now: number, server: TransportAddress, options: StunRequestOptions = {}): number {
    if (this.#tx.length >= this.config.maxPending) {
      throw new NatError('ERR_INVALID_PARAMETER', `at most ${this.config.maxPending} STUN transactions may run at once`, {
        limit: this.config.maxPending,
      });
    }
    const txid = new Uint8Array(TRANSACTION_ID_LENGTH);
    this.config.random(txid);
    const rtoMs = options.rtoMs ?? this.config.rtoMs;
    const id = this.#nextId++;
    this.#tx.push({
      id,
      txid,
      server: { address: server.address, port: server.port },
      change: options.changeRequest,
      rtoMs,
      requestCount: options.requestCount ?? this.config.requestCount,
      lastWaitMs: rtoMs * (options.lastWaitFactor ?? this.config.lastWaitFactor),
      sent: 0,
      nextAt: now,
      sendDue: true,
      lastSentAt: now,
    });
    return id;
  }

  /** Abandons a transaction; it reports 'cancelled'. Unknown ids are ignored. */
  cancel(id: number): void {
    const i = this.#tx.findIndex((t) => t.id === id);
    if (i >= 0) this.#fail(i, 'cancelled', undefined);
  }

  /**
   * Offers a received datagram. Returns true when it was a response to one of this client's
   * transactions (consumed); false for anything else, which the caller passes on.
   */
  handleDatagram(now: number, from: TransportAddress, bytes: Uint8Array): boolean {
    if (!isStunMessage(bytes)) return false;
    const r = decodeStunMessage(bytes);
    if (!r.ok) {
      this.counters.malformed++;
      return false;
    }
    const m = r.message;
    if (m.method !== StunMethod.Binding || (m.class !== StunClass.SuccessResponse && m.class !== StunClass.ErrorResponse)) return false;
    const i = this.#tx.findIndex((t) => sameTransactionId(t.txid, m.transactionId));
    if (i < 0) {
      this.counters.unmatched++;
      return false;
    }
    if (findAttribute(m, StunAttr.Fingerprint) && !verifyFingerprint(m)) {
      this.counters.badFingerprint++;
      return true;
    }
    const t = this.#tx[i]!;
    this.counters.responses++;
    if (m.class === StunClass.ErrorResponse) {
      this.#fail(i, 'error-response', getErrorCode(m)?.code);
      return true;
    }
    const mapped = getReflexiveAddress(m);
    if (!mapped) {
      this.#fail(i, 'bad-response', undefined);
      return true;
    }
    this.#tx.splice(i, 1);
    this.#emit({
      type: 'stunSuccess',
      id: t.id,
      server: t.server,
      from: { address: from.address, port: from.port },
      mapped,
      otherAddress: getOtherAddress(m),
      responseOrigin: getResponseOrigin(m),
      rttMs: Math.max(0, now - t.lastSentAt),
      requestsSent: t.sent,
    });
    return true;
  }

  /** Fires retransmissions and failures due at `now`. */
  handleTimeout(now: number): void {
    for (let i = 0; i < this.#tx.length; ) {
      const t = this.#tx[i]!;
      if (t.nextAt > now || t.sendDue) {
        i++;
        continue;
      }
      if (t.sent >= t.requestCount) {
        this.counters.timeouts++;
        this.#fail(i, 'timeout', undefined);
        continue;
      }
      t.sendDue = true;
      i++;
    }
  }

  /** Encodes the next due request into `out`, fills `to`, returns its length or 0. */
  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    for (const t of this.#tx) {
      if (!t.sendDue) continue;
      const n = encodeBindingRequest(out, t.txid, { changeRequest: t.change, software: this.config.software });
      t.sendDue = false;
      t.sent++;
      t.lastSentAt = now;
      // RFC 8489 §6.2.1: retransmit after RTO, doubling; after the Rc-th request wait Rm·RTO.
      t.nextAt = t.sent >= t.requestCount ? now + t.lastWaitMs : now + t.rtoMs * 2 ** (t.sent - 1);
      to.address = t.server.address;
      to.port = t.server.port;
      this.counters.requestsSent++;
      return n;
    }
    return 0;
  }

  /** The next retransmission or failure deadline (absolute ms), or undefined when idle. */
  pollTimeout(): number | undefined {
    let d: number | undefined;
    for (const t of this.#tx) if (!t.sendDue && (d === undefined || t.nextAt < d)) d = t.nextAt;
    return d;
  }

  pollEvent(): StunClientEvent | undefined {
    return this.#events.shift();
  }

  #fail(i: number, reason: StunFailureReason, code: number | undefined): void {
    const t = this.#tx[i]!;
    this.#tx.splice(i, 1);
    this.#emit({ type: 'stunFailure', id: t.id, server: t.server, reason, code, requestsSent: t.sent });
  }

  #emit(e: StunClientEvent): void {
    if (this.#events.length >= MAX_EVENTS) {
      this.#events.shift();
      this.droppedEvents++;
    }
    this.#events.push(e);
  }
}
