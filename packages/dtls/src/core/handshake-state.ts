// Session state shared by the DtlsSession state machine (core): public event, state and counter
// types, the per-handshake record, and the failures a handshake step can return.
import type { CipherSuiteId, NamedGroupId } from './constants.js';
import { AlertDescription, RANDOM_LENGTH } from './constants.js';
import type { KeyShare, ParsedCertificate } from './crypto-provider.js';
import type { Reassembler } from './reassembly.js';
import type { DtlsError, DtlsErrorCode } from '../errors.js';

/** A transport address (the same shape as @meshpunch/sim's Endpoint). */
export interface DtlsEndpoint {
  address: string;
  port: number;
}

export type DtlsState = 'idle' | 'handshaking' | 'connected' | 'closed' | 'failed';

/** Why a session closed cleanly. */
export type DtlsCloseReason = 'local' | 'peerClosed' | 'replaced';

export type DtlsEvent =
  | {
    type: 'connected';
    /** The peer's leaf certificate (DER), or undefined when a client sent none and none was required. */
    peerCertificate: Uint8Array | undefined;
    /** SHA-256 of `peerCertificate`, `AB:CD:…`, or undefined likewise. */
    peerFingerprint: string | undefined;
    cipherSuite: CipherSuiteId;
    group: NamedGroupId;
  }
  | { type: 'data'; data: Uint8Array }
  | { type: 'closed'; reason: DtlsCloseReason }
  | { type: 'error'; error: DtlsError };

/** Counters; every dropped input moves one. */
export interface DtlsCounters {
  datagramsReceived: number;
  recordsReceived: number;
  recordsMalformed: number;
  recordsBadVersion: number;
  recordsBadEpoch: number;
  recordsDecryptFailed: number;
  recordsReplayed: number;
  recordsUnexpected: number;
  handshakeFragmentsDropped: number;
  handshakeRetransmits: number;
  helloVerifyRequestsReceived: number;
  renegotiationsRefused: number;
  alertsSent: number;
  alertsReceived: number;
  applicationRecordsSent: number;
  applicationRecordsReceived: number;
  datagramsDroppedQueueFull: number;
  datagramsDroppedTooBig: number;
  eventsDropped: number;
  inputAfterClose: number;
}

export type HandshakeStep =
  | 'none'
  | 'waitServerHello' | 'waitCertificate' | 'waitServerKeyExchange' | 'waitCertificateRequestOrDone' | 'waitServerHelloDone'
  | 'waitClientHello' | 'waitClientCertificate' | 'waitClientKeyExchange' | 'waitCertificateVerify'
  | 'waitFinished';

/** Per-handshake state, dropped once connected. */
export class Handshake {
  step: HandshakeStep = 'none';
  clientRandom = new Uint8Array(RANDOM_LENGTH);
  serverRandom = new Uint8Array(RANDOM_LENGTH);
  cookie = new Uint8Array(0);
  helloVerifyCount = 0;
  nextSendSeq = 0;
  transcript: Uint8Array[] = [];
  suite: CipherSuiteId | undefined = undefined;
  group: NamedGroupId | undefined = undefined;
  keyShare: KeyShare | undefined = undefined;
  preMaster: Uint8Array | undefined = undefined;
  master: Uint8Array | undefined = undefined;
  peerLeaf: ParsedCertificate | undefined = undefined;
  certificateRequested = false;
  /** Protected records that failed to decrypt while waiting for the peer's Finished. */
  finishedDecryptFailures = 0;
  readonly reassembler: Reassembler;
  retransmitAt: number | undefined = undefined;
  retransmitTimeoutMs = 0;
  deadline = 0;
  constructor(reassembler: Reassembler) {
    this.reassembler = reassembler;
  }
}

/** What a handshake step returns when it must fail the session. */
export interface Failure {
  code: DtlsErrorCode;
  message: string;
  alert: number | undefined;
}

export function unexpected(type: number, step: string): Failure {
  return { code: 'DTLS_HANDSHAKE_FAILURE', message: `unexpected handshake message ${type} in ${step}`, alert: AlertDescription.UnexpectedMessage };
}

export function decodeError(what: string): Failure {
  return { code: 'DTLS_HANDSHAKE_FAILURE', message: `malformed ${what}`, alert: AlertDescription.DecodeError };
}

export function noEms(): Failure {
  return { code: 'DTLS_HANDSHAKE_FAILURE', message: 'peer did not negotiate the extended master secret (RFC 7627), which is required', alert: AlertDescription.HandshakeFailure };
}

export function badFinished(): Failure {
  return { code: 'DTLS_BAD_FINISHED', message: 'peer Finished does not match the handshake transcript', alert: AlertDescription.DecryptError };
}

/** Every counter at zero. */
export function newCounters(): DtlsCounters {
  return {
    datagramsReceived: 0, recordsReceived: 0, recordsMalformed: 0, recordsBadVersion: 0, recordsBadEpoch: 0,
    recordsDecryptFailed: 0, recordsReplayed: 0, recordsUnexpected: 0, handshakeFragmentsDropped: 0,
    handshakeRetransmits: 0, helloVerifyRequestsReceived: 0, renegotiationsRefused: 0, alertsSent: 0, alertsReceived: 0, applicationRecordsSent: 0,
    applicationRecordsReceived: 0, datagramsDroppedQueueFull: 0, datagramsDroppedTooBig: 0, eventsDropped: 0,
    inputAfterClose: 0,
  };
}
