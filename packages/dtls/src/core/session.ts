// DtlsSession: one DTLS 1.2 association with one remote, client or server (core, sans-IO).
// Datagrams and `now` in; datagrams, events and a deadline out (docs/design.md §2).
//
// Handshake (RFC 6347 §4.2.4 flights; ECDHE_ECDSA, RFC 8422; EMS, RFC 7627):
//   client                                   server
//   1 ClientHello                    →
//                                    ←       2 HelloVerifyRequest (cookie; DtlsServer, stateless)
//   3 ClientHello + cookie           →
//                                    ←       4 ServerHello, Certificate, ServerKeyExchange,
//                                              [CertificateRequest], ServerHelloDone
//   5 [Certificate], ClientKeyExchange,
//     [CertificateVerify], CCS, Finished →
//                                    ←       6 CCS, Finished
// States: idle → handshaking → connected → closed, or → failed from any state but closed.
// The sender of flights 1, 3, 4, 5 keeps a retransmission timer (1 s doubling to 60 s); a peer's
// retransmitted flight makes us resend our last flight (RFC 6347 §4.2.4).
// What each side accepts of the other's hello, key exchange and certificate: handshake-checks.ts.
import { ByteReader, concat, timingSafeEqual } from './bytes.js';
import {
  AlertDescription, AlertLevel, ContentType, DTLS_1_0, DTLS_1_2, ECDSA_SECP256R1_SHA256, ECDSA_SIGN, ExtensionType,
  HandshakeType, MAX_CIPHERTEXT, NAMED_CURVE, RECORD_HEADER_LENGTH, type CipherSuiteId, type NamedGroupId,
} from './constants.js';
import {
  EC_POINT_FORMATS_UNCOMPRESSED, EMPTY_RENEGOTIATION_INFO, EXTENDED_MASTER_SECRET, MAX_COOKIE_LENGTH,
  decodeCertificateRequest, decodeClientHello, decodeClientKeyExchange, decodeDigitallySigned,
  decodeHelloVerifyRequest, decodeServerHello, decodeServerKeyExchange, encodeCertificate, encodeCertificateRequest,
  encodeClientHello, encodeClientKeyExchange, encodeDigitallySigned, encodeEcdheParams, encodeHandshake,
  encodeServerHello, encodeServerKeyExchange, findExtension, readHandshakeFragment, u16List,
  type ClientHello, type Extension,
} from './handshake-messages.js';
import { extendedMasterSecret, finishedVerifyData, keyBlock } from './key-schedule.js';
import { Reassembler, type HandshakeMessage } from './reassembly.js';
import {
  Handshake, badFinished, decodeError, newCounters, unexpected,
  type DtlsCloseReason, type DtlsCounters, type DtlsEndpoint, type DtlsEvent, type DtlsState, type Failure,
} from './handshake-state.js';
import { checkServerHello, checkServerKeyExchange, chooseServerParameters, readPeerChain } from './handshake-checks.js';
import { RecordProtection, readRecord, readSequence, type RecordView } from './record.js';
import { RecordWriter, type FlightEntry } from './record-writer.js';
import { ReplayWindow } from './replay-window.js';
import { viewOf } from '@meshpunch/base';
import { resolveDtlsOptions, type DtlsConfig, type DtlsOptions } from './options.js';
import { DtlsError } from '../errors.js';

export type { DtlsCloseReason, DtlsCounters, DtlsEndpoint, DtlsEvent, DtlsState } from './handshake-state.js';

/** Buffer that many messages ahead of the next: a flight has at most 6 (flight 4 or 5). */
const MAX_MESSAGES_AHEAD = 8;
/** A handshake message above 32 KiB is not one we need: a certificate chain of 8 P-256 certs is ~4 KiB. */
const MAX_HANDSHAKE_MESSAGE = 32 * 1024;
/** How many HelloVerifyRequests a client follows before it gives up (a server loops only if broken). */
const MAX_HELLO_VERIFY = 4;
/** Undecryptable protected records tolerated while the peer's Finished is due (its first send and two resends). */
const MAX_FINISHED_DECRYPT_FAILURES = 3;
/** Minimum gap between two flight resends triggered by the peer's resent flight (ms): a spoofed old fragment gains little. */
const REACTIVE_RETRANSMIT_GAP_MS = 100;

/**
 * One DTLS 1.2 association with `remote`. A client calls `connect(now)`; a server session answers
 * the first ClientHello it is given (DtlsServer runs the cookie exchange before creating one).
 */
export class DtlsSession {
  readonly config: DtlsConfig;
  readonly remote: DtlsEndpoint;
  readonly counters: DtlsCounters = newCounters();
  #state: DtlsState = 'idle';
  #hs: Handshake | undefined;
  readonly #writer: RecordWriter;
  #readProt: RecordProtection | undefined = undefined;
  #pendingWriteProt: RecordProtection | undefined = undefined;
  readonly #replay = new ReplayWindow();
  #lastFlight: FlightEntry[] = [];
  #out: Uint8Array[] = [];
  #outHead = 0;
  #events: DtlsEvent[] = [];
  #eventsHead = 0;
  #peerCertificate: Uint8Array | undefined = undefined;
  #peerFingerprint: string | undefined = undefined;
  #cipherSuite: CipherSuiteId | undefined = undefined;
  #group: NamedGroupId | undefined = undefined;
  #clientRandom: Uint8Array | undefined = undefined;
  /** Last time we resent a flight because the peer resent theirs; limits spoofed triggers. */
  #lastReactiveAt = -Infinity;
  readonly #rec: RecordView = { type: 0, version: 0, epoch: 0, seq: 0, header: new Uint8Array(0), fragment: new Uint8Array(0) };

  /**
   * @param options DtlsOptions (validated here) or an already resolved DtlsConfig (DtlsServer shares one).
   * @throws DtlsError ERR_INVALID_PARAMETER / ERR_UNCONFIGURED from resolveDtlsOptions.
   */
  constructor(options: DtlsOptions | DtlsConfig, remote: DtlsEndpoint) {
    this.config = Object.isFrozen(options) && 'trustedParsed' in options ? (options as DtlsConfig) : resolveDtlsOptions(options as DtlsOptions);
    this.remote = { address: remote.address, port: remote.port };
    this.#writer = new RecordWriter(this.config.mtu);
  }

  get state(): DtlsState {
    return this.#state;
  }

  get isConnected(): boolean {
    return this.#state === 'connected';
  }

  /**
   * True when `send` is allowed: connected, or a False Start client (DtlsOptions.falseStart) whose
   * Finished is out and which waits only for the server's (RFC 7918).
   */
  get canSend(): boolean {
    return this.#state === 'connected' || (this.#state === 'handshaking' && this.config.falseStart && this.#hs?.step === 'waitFinished');
  }

  /** The peer's leaf certificate (DER) once received. */
  get peerCertificate(): Uint8Array | undefined {
    return this.#peerCertificate;
  }

  /** SHA-256 fingerprint (`AB:CD:…`) of the peer's leaf certificate once received. */
  get peerFingerprint(): string | undefined {
    return this.#peerFingerprint;
  }

  /** The ClientHello random of this association (a server uses it to tell a resent hello from a new one). */
  get clientRandom(): Uint8Array | undefined {
    return this.#clientRandom;
  }

  /** The negotiated suite once ServerHello is sent or received. */
  get cipherSuite(): CipherSuiteId | undefined {
    return this.#cipherSuite;
  }

  // ---- commands ---------------------------------------------------------------------------

  /**
   * Starts the handshake (client role).
   * @throws DtlsError ERR_ALREADY_IN_USE when not idle, ERR_INVALID_PARAMETER for a server session.
   */
  connect(now: number): void {
    if (this.config.role !== 'client') throw new DtlsError('ERR_INVALID_PARAMETER', 'connect is for a client session; a server session waits for a ClientHello');
    if (this.#state !== 'idle') throw new DtlsError('ERR_ALREADY_IN_USE', `connect needs an idle session, state is ${this.#state}`);
    const hs = this.#startHandshake(now);
    this.config.random(hs.clientRandom);
    this.#clientRandom = hs.clientRandom;
    hs.step = 'waitServerHello';
    this.#sendClientHello(now, hs);
  }

  /**
   * Sends `data` as one application_data record.
   * @throws DtlsError ERR_UNCONFIGURED when not connected, ERR_INVALID_PARAMETER when over 16384 bytes.
   */
  send(_now: number, data: Uint8Array): void {
    if (!this.canSend) throw new DtlsError('ERR_UNCONFIGURED', `send needs a connected session, state is ${this.#state}`);
    if (data.length > 16384) throw new DtlsError('ERR_INVALID_PARAMETER', `data must be at most 16384 bytes (RFC 5246 §6.2.1), got ${data.length}`, { got: data.length, limit: 16384 });
    const rec = this.#writer.record(ContentType.ApplicationData, 1, data);
    if (rec === undefined) return;
    this.counters.applicationRecordsSent++;
    this.#queue(rec);
  }

  /**
   * Seals `data` as one application_data record straight into `out` when that keeps the order
   * of what this session sends (connected, nothing queued); returns the record's length, or 0 so
   * the caller uses `send` instead. For a caller sending one datagram per record (DtlsTransport).
   */
  sealApplicationData(data: Uint8Array, out: Uint8Array): number {
    if (this.#state !== 'connected' || this.#outHead < this.#out.length || data.length > 16384) return 0;
    const n = this.#writer.recordInto(out, ContentType.ApplicationData, data);
    if (n > 0) this.counters.applicationRecordsSent++;
    return n;
  }

  /**
   * The receive twin of sealApplicationData, for a caller whose datagrams are one record each
   * (DtlsTransport): when `bytes` is exactly one application_data record of epoch 1 and this
   * session is connected, it is checked against the replay window, authenticated and decrypted
   * in place, and the plaintext returned as a view into `bytes` (the caller gives the datagram
   * up, as it does to ENet); null when it was dropped (replayed or not authentic, counted as in
   * handleDatagram). undefined: not such a datagram, nothing done or counted — use handleDatagram.
   */
  openApplicationData(bytes: Uint8Array): Uint8Array | null | undefined {
    const prot = this.#readProt;
    const len = bytes.length - RECORD_HEADER_LENGTH;
    if (this.#state !== 'connected' || prot === undefined || len < 0 || len > MAX_CIPHERTEXT) return undefined;
    // type, version 0xfefd (DTLS 1.2), epoch 1, and a length field that covers the whole datagram.
    if (bytes[0] !== ContentType.ApplicationData || bytes[1] !== 0xfe || bytes[2] !== 0xfd || bytes[3] !== 0 || bytes[4] !== 1 || ((bytes[11]! << 8) | bytes[12]!) !== len) return undefined;
    const c = this.counters;
    c.datagramsReceived++;
    c.recordsReceived++;
    const seq = readSequence(bytes, 0);
    if (!this.#replay.isFresh(seq)) {
      c.recordsReplayed++;
      return null;
    }
    const n = prot.openInPlace(bytes, RECORD_HEADER_LENGTH, len, ContentType.ApplicationData, DTLS_1_2, 1, seq);
    if (n < 0) {
      c.recordsDecryptFailed++;
      return null;
    }
    this.#replay.mark(seq);
    c.applicationRecordsReceived++;
    // A Uint8Array over the same memory, not subarray: on a node Buffer (a received datagram)
    // that goes through Buffer's species constructor, and the plain view keeps the protocol
    // above on the typed array's own (inlined) property loads.
    return viewOf(bytes, RECORD_HEADER_LENGTH + prot.explicitNonce, n);
  }

  /** Sends close_notify and closes; a closed or failed session ignores this. */
  close(_now: number): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state !== 'idle') this.#sendAlert(AlertLevel.Warning, AlertDescription.CloseNotify);
    this.#finish('closed');
    this.#emit({ type: 'closed', reason: 'local' });
  }

  /** Closes without a close_notify (DtlsServer replaces a session whose peer restarted). */
  abandon(reason: DtlsCloseReason): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    this.#finish('closed');
    this.#emit({ type: 'closed', reason });
  }

  // ---- inputs -----------------------------------------------------------------------------

  /** Feeds one datagram from `remote`. Never throws on bad input; it is dropped and counted. */
  handleDatagram(now: number, _from: DtlsEndpoint, bytes: Uint8Array): void {
    this.counters.datagramsReceived++;
    if (this.#state === 'closed' || this.#state === 'failed') {
      this.counters.inputAfterClose++;
      return;
    }
    let sawOld = false;
    const rec = this.#rec;
    for (let off = 0; off < bytes.length;) {
      off = readRecord(bytes, off, rec);
      if (off < 0) {
        this.counters.recordsMalformed++;
        break;
      }
      this.counters.recordsReceived++;
      const r = this.#handleRecord(now, rec);
      if (r === 'old') sawOld = true;
      if (this.#isFinal()) return;
    }
    if (sawOld) this.#reactToPeerRetransmit(now);
  }

  /** Fires due timers: flight retransmission and the handshake deadline. */
  handleTimeout(now: number): void {
    const hs = this.#hs;
    if (hs === undefined || this.#state !== 'handshaking') return;
    if (now >= hs.deadline) {
      this.#fail({ code: 'DTLS_HANDSHAKE_TIMEOUT', message: `handshake did not complete within ${this.config.handshakeTimeoutMs} ms`, alert: undefined });
      return;
    }
    if (hs.retransmitAt !== undefined && now >= hs.retransmitAt) {
      this.counters.handshakeRetransmits++;
      this.#transmitLastFlight();
      hs.retransmitTimeoutMs = Math.min(hs.retransmitTimeoutMs * 2, this.config.retransmitMaxMs);
      hs.retransmitAt = now + hs.retransmitTimeoutMs;
    }
  }

  // ---- outputs ----------------------------------------------------------------------------

  /** Copies the next datagram into `out`, sets `to` to the remote, returns its length or 0. */
  pollTransmit(_now: number, out: Uint8Array, to: DtlsEndpoint): number {
    while (this.#outHead < this.#out.length) {
      const dg = this.#out[this.#outHead]!;
      this.#out[this.#outHead++] = EMPTY;
      if (this.#outHead === this.#out.length) {
        this.#out = [];
        this.#outHead = 0;
      }
      if (dg.length > out.length) {
        this.counters.datagramsDroppedTooBig++;
        continue;
      }
      out.set(dg, 0);
      to.address = this.remote.address;
      to.port = this.remote.port;
      return dg.length;
    }
    return 0;
  }

  /** Absolute ms of the next retransmission or the handshake deadline; undefined when none. */
  pollTimeout(): number | undefined {
    const hs = this.#hs;
    if (hs === undefined || this.#state !== 'handshaking') return undefined;
    return hs.retransmitAt !== undefined && hs.retransmitAt < hs.deadline ? hs.retransmitAt : hs.deadline;
  }

  pollEvent(): DtlsEvent | undefined {
    if (this.#eventsHead >= this.#events.length) return undefined;
    const e = this.#events[this.#eventsHead++]!;
    if (this.#eventsHead === this.#events.length) {
      this.#events = [];
      this.#eventsHead = 0;
    }
    return e;
  }

  /** True when datagrams wait for pollTransmit. */
  get hasTransmit(): boolean {
    return this.#outHead < this.#out.length;
  }

  #isFinal(): boolean {
    return this.#state === 'closed' || this.#state === 'failed';
  }

  // ---- record layer -----------------------------------------------------------------------

  #handleRecord(now: number, rec: RecordView): 'ok' | 'old' {
    let payload: Uint8Array;
    if (rec.epoch === 0) {
      const v = rec.version;
      if (v !== DTLS_1_2 && !(rec.type === ContentType.Handshake && (v === DTLS_1_0 || v === 0xfefe))) {
        this.counters.recordsBadVersion++;
        return 'ok';
      }
      // After the handshake an unprotected alert or handshake could be forged by anyone on the
      // path; only a server's retransmission trigger (old handshake fragments) is still of use.
      if (this.#state === 'connected' && rec.type !== ContentType.Handshake) {
        this.counters.recordsUnexpected++;
        return 'ok';
      }
      payload = rec.fragment;
      // RFC 6347 §4.2.1: the server's records continue from the ClientHello's record number, so
      // they are fresh to a client that saw our stateless HelloVerifyRequest carry that number.
      if (this.#hs?.step === 'waitClientHello' && rec.type === ContentType.Handshake) this.#writer.setEpoch0Seq(rec.seq);
    } else if (rec.epoch === 1) {
      if (rec.version !== DTLS_1_2) {
        this.counters.recordsBadVersion++;
        return 'ok';
      }
      if (this.#readProt === undefined) {
        this.counters.recordsBadEpoch++;
        return 'ok';
      }
      if (!this.#replay.isFresh(rec.seq)) {
        this.counters.recordsReplayed++;
        return 'ok';
      }
      const plain = this.#readProt.open(rec);
      if (plain === undefined) {
        this.counters.recordsDecryptFailed++;
        this.#checkFinishedDecrypt();
        return 'ok';
      }
      this.#replay.mark(rec.seq);
      payload = plain;
    } else {
      this.counters.recordsBadEpoch++;
      return 'ok';
    }
    switch (rec.type) {
      case ContentType.ApplicationData:
        if (this.#state !== 'connected' || rec.epoch !== 1) {
          this.counters.recordsUnexpected++;
          return 'ok';
        }
        this.counters.applicationRecordsReceived++;
        this.#emit({ type: 'data', data: payload });
        return 'ok';
      case ContentType.Handshake:
        return this.#handleHandshakeRecord(now, payload, rec.epoch);
      case ContentType.Alert:
        this.#handleAlert(payload);
        return 'ok';
      case ContentType.ChangeCipherSpec:
        // Keys are installed when the handshake derives them; the CCS itself carries nothing we need.
        if (payload.length !== 1 || payload[0] !== 1) this.counters.recordsMalformed++;
        return 'ok';
      default:
        this.counters.recordsUnexpected++;
        return 'ok';
    }
  }

  /**
   * With the extended master secret (RFC 7627) the keys hash the whole transcript, so a handshake
   * rewritten on the path shows up as a Finished that never decrypts, not as a wrong verify_data.
   * Invalid records are dropped silently (RFC 6347 §4.1.2.7), but after a few in a row while the
   * Finished is due we say why instead of timing out; a spoofer gains nothing it could not do with
   * a plaintext alert during the handshake.
   */
  #checkFinishedDecrypt(): void {
    const hs = this.#hs;
    if (hs === undefined || hs.step !== 'waitFinished') return;
    if (++hs.finishedDecryptFailures < MAX_FINISHED_DECRYPT_FAILURES) return;
    this.#fail({ code: 'DTLS_BAD_FINISHED', message: `peer Finished failed to decrypt ${MAX_FINISHED_DECRYPT_FAILURES} times: the two handshake transcripts differ`, alert: AlertDescription.BadRecordMac });
  }

  #handleAlert(payload: Uint8Array): void {
    if (payload.length !== 2) {
      this.counters.recordsMalformed++;
      return;
    }
    this.counters.alertsReceived++;
    const level = payload[0]!;
    const desc = payload[1]!;
    if (desc === AlertDescription.CloseNotify) {
      if (this.#state === 'connected') this.#sendAlert(AlertLevel.Warning, AlertDescription.CloseNotify);
      this.#finish('closed');
      this.#emit({ type: 'closed', reason: 'peerClosed' });
      return;
    }
    if (level === AlertLevel.Warning) return;
    const err = new DtlsError('DTLS_ALERT_RECEIVED', `peer sent fatal alert ${desc}`, { alert: desc }, desc);
    this.#finish('failed');
    this.#emit({ type: 'error', error: err });
  }

  #handleHandshakeRecord(now: number, payload: Uint8Array, epoch: number): 'ok' | 'old' {
    const r = new ByteReader(payload);
    let sawOld = false;
    while (r.remaining > 0) {
      const f = readHandshakeFragment(r);
      if (f === undefined) {
        this.counters.recordsMalformed++;
        break;
      }
      const hs = this.#hs;
      if (this.#state === 'connected' || hs === undefined) {
        this.#handshakeAfterConnect(f.type, f.messageSeq, epoch);
        if (this.config.role === 'server' && this.#lastFlight.length > 0 && f.type !== HandshakeType.ClientHello) sawOld = true;
        continue;
      }
      // A server session takes the message_seq of the (cookie-checked) ClientHello that created it.
      if (hs.step === 'waitClientHello' && f.type === HandshakeType.ClientHello && hs.reassembler.buffered === 0 && f.messageSeq >= hs.reassembler.next) {
        hs.reassembler.next = f.messageSeq;
      }
      const res = hs.reassembler.add(f, epoch);
      if (res === 'old') sawOld = true;
      else if (res === 'dropped') this.counters.handshakeFragmentsDropped++;
      for (let m = hs.reassembler.take(); m !== undefined; m = this.#hs?.reassembler.take()) {
        const failure = this.#handleMessage(now, hs, m);
        if (failure !== undefined) {
          this.#fail(failure);
          return 'ok';
        }
        if (this.#state !== 'handshaking') break;
      }
    }
    return sawOld ? 'old' : 'ok';
  }

  /** Renegotiation is refused (RFC 5746 §4.5 no_renegotiation); old fragments just trigger a resend. */
  #handshakeAfterConnect(type: number, _messageSeq: number, epoch: number): void {
    if ((this.config.role === 'server' && type === HandshakeType.ClientHello && epoch === 1) || (this.config.role === 'client' && type === HandshakeType.HelloRequest)) {
      this.counters.renegotiationsRefused++;
      this.#sendAlert(AlertLevel.Warning, AlertDescription.NoRenegotiation);
    }
  }

  #reactToPeerRetransmit(now: number): void {
    if (this.#lastFlight.length === 0) return;
    if (this.#hs === undefined && (this.#state !== 'connected' || this.config.role !== 'server')) return;
    if (now - this.#lastReactiveAt < REACTIVE_RETRANSMIT_GAP_MS) return;
    this.#lastReactiveAt = now;
    this.counters.handshakeRetransmits++;
    this.#transmitLastFlight();
  }

  // ---- handshake --------------------------------------------------------------------------

  #startHandshake(now: number): Handshake {
    const hs = new Handshake(new Reassembler({ maxAhead: MAX_MESSAGES_AHEAD, maxMessageLength: MAX_HANDSHAKE_MESSAGE }));
    hs.deadline = now + this.config.handshakeTimeoutMs;
    this.#hs = hs;
    this.#state = 'handshaking';
    return hs;
  }

  /** Makes a server session ready for its first ClientHello (DtlsServer calls this on creation). */
  acceptHandshake(now: number): void {
    if (this.config.role !== 'server') throw new DtlsError('ERR_INVALID_PARAMETER', 'acceptHandshake is for a server session');
    if (this.#state !== 'idle') return;
    const hs = this.#startHandshake(now);
    hs.step = 'waitClientHello';
  }

  #sendClientHello(now: number, hs: Handshake): void {
    const c = this.config;
    const exts: Extension[] = [
      { type: ExtensionType.SupportedGroups, data: u16List(c.groups) },
      EC_POINT_FORMATS_UNCOMPRESSED,
      { type: ExtensionType.SignatureAlgorithms, data: u16List([ECDSA_SECP256R1_SHA256]) },
      EXTENDED_MASTER_SECRET,
      EMPTY_RENEGOTIATION_INFO,
    ];
    const body = encodeClientHello({
      version: DTLS_1_2, random: hs.clientRandom, sessionId: new Uint8Array(0), cookie: hs.cookie,
      cipherSuites: [...c.cipherSuites], compressionMethods: Uint8Array.of(0), extensions: exts,
    });
    const msg = encodeHandshake(HandshakeType.ClientHello, hs.nextSendSeq++, body);
    // The first ClientHello and a HelloVerifyRequest are not in the transcript (RFC 6347 §4.2.6).
    hs.transcript = [msg];
    this.#sendFlight(now, [{ contentType: ContentType.Handshake, epoch: 0, data: msg }], true);
  }

  #handleMessage(now: number, hs: Handshake, m: HandshakeMessage): Failure | undefined {
    const expectEpoch = m.type === HandshakeType.Finished ? 1 : 0;
    if (m.epoch !== expectEpoch) return unexpected(m.type, hs.step);
    if (this.config.role === 'client') return this.#clientMessage(now, hs, m);
    return this.#serverMessage(now, hs, m);
  }

  #clientMessage(now: number, hs: Handshake, m: HandshakeMessage): Failure | undefined {
    const c = this.config;
    switch (hs.step) {
      case 'waitServerHello': {
        if (m.type === HandshakeType.HelloVerifyRequest) {
          const hvr = decodeHelloVerifyRequest(m.body);
          if (hvr === undefined || hvr.cookie.length > MAX_COOKIE_LENGTH) return decodeError('HelloVerifyRequest');
          if (++hs.helloVerifyCount > MAX_HELLO_VERIFY) return { code: 'DTLS_HANDSHAKE_FAILURE', message: `server sent more than ${MAX_HELLO_VERIFY} HelloVerifyRequests`, alert: AlertDescription.HandshakeFailure };
          hs.cookie = hvr.cookie.slice();
          this.counters.helloVerifyRequestsReceived++;
          this.#sendClientHello(now, hs);
          return undefined;
        }
        if (m.type !== HandshakeType.ServerHello) return unexpected(m.type, hs.step);
        const sh = decodeServerHello(m.body);
        if (sh === undefined) return decodeError('ServerHello');
        const refused = checkServerHello(c, sh);
        if (refused !== undefined) return refused;
        hs.serverRandom = sh.random.slice();
        hs.suite = sh.cipherSuite as CipherSuiteId;
        this.#cipherSuite = hs.suite;
        hs.transcript.push(m.raw);
        hs.step = 'waitCertificate';
        return undefined;
      }
      case 'waitCertificate': {
        if (m.type !== HandshakeType.Certificate) return unexpected(m.type, hs.step);
        const failure = this.#takePeerChain(hs, m.body, true);
        if (failure !== undefined) return failure;
        hs.transcript.push(m.raw);
        hs.step = 'waitServerKeyExchange';
        return undefined;
      }
      case 'waitServerKeyExchange': {
        if (m.type !== HandshakeType.ServerKeyExchange) return unexpected(m.type, hs.step);
        const ske = decodeServerKeyExchange(m.body);
        if (ske === undefined) return decodeError('ServerKeyExchange');
        const refused = checkServerKeyExchange(c, hs, ske);
        if (refused !== undefined) return refused;
        hs.group = ske.group as NamedGroupId;
        hs.keyShare = c.crypto.generateKeyShare(hs.group);
        hs.preMaster = hs.keyShare.deriveSecret(ske.point);
        if (hs.preMaster === undefined) return { code: 'DTLS_HANDSHAKE_FAILURE', message: 'server ECDHE public value is not a valid point', alert: AlertDescription.IllegalParameter };
        hs.transcript.push(m.raw);
        hs.step = 'waitCertificateRequestOrDone';
        return undefined;
      }
      case 'waitCertificateRequestOrDone':
        if (m.type === HandshakeType.CertificateRequest) {
          const cr = decodeCertificateRequest(m.body);
          if (cr === undefined) return decodeError('CertificateRequest');
          hs.certificateRequested = true;
          hs.transcript.push(m.raw);
          hs.step = 'waitServerHelloDone';
          return undefined;
        }
        return this.#clientServerHelloDone(now, hs, m);
      case 'waitServerHelloDone':
        return this.#clientServerHelloDone(now, hs, m);
      case 'waitFinished': {
        if (m.type !== HandshakeType.Finished) return unexpected(m.type, hs.step);
        const expect = finishedVerifyData(c.crypto, hs.master!, false, c.crypto.sha256(hs.transcript));
        if (!timingSafeEqual(expect, m.body)) return badFinished();
        this.#connected(hs);
        return undefined;
      }
      default:
        return unexpected(m.type, hs.step);
    }
  }

  #clientServerHelloDone(now: number, hs: Handshake, m: HandshakeMessage): Failure | undefined {
    if (m.type !== HandshakeType.ServerHelloDone) return unexpected(m.type, hs.step);
    if (m.body.length !== 0) return decodeError('ServerHelloDone');
    const c = this.config;
    hs.transcript.push(m.raw);
    const flight: FlightEntry[] = [];
    const hsMsg = (type: number, body: Uint8Array): void => {
      const raw = encodeHandshake(type, hs.nextSendSeq++, body);
      hs.transcript.push(raw);
      flight.push({ contentType: ContentType.Handshake, epoch: type === HandshakeType.Finished ? 1 : 0, data: raw });
    };
    const sendCert = hs.certificateRequested && c.identity !== undefined;
    if (hs.certificateRequested) hsMsg(HandshakeType.Certificate, encodeCertificate(sendCert ? c.identity!.certificateChain : []));
    hsMsg(HandshakeType.ClientKeyExchange, encodeClientKeyExchange(hs.keyShare!.publicKey));
    this.#deriveKeys(hs);
    if (sendCert) hsMsg(HandshakeType.CertificateVerify, encodeDigitallySigned(ECDSA_SECP256R1_SHA256, c.identity!.sign(concat(hs.transcript))));
    flight.push({ contentType: ContentType.ChangeCipherSpec, epoch: 0, data: CCS });
    this.#writer.setProtection(this.#pendingWriteProt!);
    hsMsg(HandshakeType.Finished, finishedVerifyData(c.crypto, hs.master!, true, c.crypto.sha256(hs.transcript)));
    hs.step = 'waitFinished';
    this.#sendFlight(now, flight, true);
    return undefined;
  }

  #serverMessage(now: number, hs: Handshake, m: HandshakeMessage): Failure | undefined {
    const c = this.config;
    switch (hs.step) {
      case 'waitClientHello': {
        if (m.type !== HandshakeType.ClientHello) return unexpected(m.type, hs.step);
        const ch = decodeClientHello(m.body);
        if (ch === undefined) return decodeError('ClientHello');
        const failure = chooseServerParameters(c, hs, ch);
        if (failure !== undefined) return failure;
        this.#clientRandom = hs.clientRandom;
        this.#cipherSuite = hs.suite;
        hs.transcript = [m.raw];
        hs.nextSendSeq = m.messageSeq;
        this.#sendServerFlight(now, hs, ch);
        return undefined;
      }
      case 'waitClientCertificate': {
        if (m.type !== HandshakeType.Certificate) return unexpected(m.type, hs.step);
        const failure = this.#takePeerChain(hs, m.body, c.requireClientCertificate && !c.unsafe);
        if (failure !== undefined) return failure;
        hs.transcript.push(m.raw);
        hs.step = 'waitClientKeyExchange';
        return undefined;
      }
      case 'waitClientKeyExchange': {
        if (m.type !== HandshakeType.ClientKeyExchange) return unexpected(m.type, hs.step);
        const point = decodeClientKeyExchange(m.body);
        if (point === undefined) return decodeError('ClientKeyExchange');
        hs.preMaster = hs.keyShare!.deriveSecret(point);
        if (hs.preMaster === undefined) return { code: 'DTLS_HANDSHAKE_FAILURE', message: 'client ECDHE public value is not a valid point', alert: AlertDescription.IllegalParameter };
        hs.transcript.push(m.raw);
        this.#deriveKeys(hs);
        hs.step = hs.peerLeaf !== undefined ? 'waitCertificateVerify' : 'waitFinished';
        return undefined;
      }
      case 'waitCertificateVerify': {
        if (m.type !== HandshakeType.CertificateVerify) return unexpected(m.type, hs.step);
        const ds = decodeDigitallySigned(m.body);
        if (ds === undefined) return decodeError('CertificateVerify');
        if (ds.scheme !== ECDSA_SECP256R1_SHA256 || !hs.peerLeaf!.verifySignature(concat(hs.transcript), ds.signature)) {
          return { code: 'DTLS_BAD_SIGNATURE', message: 'CertificateVerify signature does not verify with the client certificate', alert: AlertDescription.DecryptError };
        }
        hs.transcript.push(m.raw);
        hs.step = 'waitFinished';
        return undefined;
      }
      case 'waitFinished': {
        if (m.type !== HandshakeType.Finished) return unexpected(m.type, hs.step);
        const expect = finishedVerifyData(c.crypto, hs.master!, true, c.crypto.sha256(hs.transcript));
        if (!timingSafeEqual(expect, m.body)) return badFinished();
        hs.transcript.push(m.raw);
        const fin = encodeHandshake(HandshakeType.Finished, hs.nextSendSeq++, finishedVerifyData(c.crypto, hs.master!, false, c.crypto.sha256(hs.transcript)));
        this.#writer.setProtection(this.#pendingWriteProt!);
        this.#sendFlight(now, [{ contentType: ContentType.ChangeCipherSpec, epoch: 0, data: CCS }, { contentType: ContentType.Handshake, epoch: 1, data: fin }], false);
        this.#connected(hs);
        return undefined;
      }
      default:
        return unexpected(m.type, hs.step);
    }
  }

  #sendServerFlight(now: number, hs: Handshake, ch: ClientHello): void {
    const c = this.config;
    this.config.random(hs.serverRandom);
    const exts: Extension[] = [EXTENDED_MASTER_SECRET];
    // Secure renegotiation is signalled by the extension or the SCSV 0x00ff (RFC 5746 §3.6).
    if (findExtension(ch.extensions, ExtensionType.RenegotiationInfo) !== undefined || ch.cipherSuites.includes(0x00ff)) exts.push(EMPTY_RENEGOTIATION_INFO);
    if (findExtension(ch.extensions, ExtensionType.EcPointFormats) !== undefined) exts.push(EC_POINT_FORMATS_UNCOMPRESSED);
    const flight: FlightEntry[] = [];
    const hsMsg = (type: number, body: Uint8Array): void => {
      const raw = encodeHandshake(type, hs.nextSendSeq++, body);
      hs.transcript.push(raw);
      flight.push({ contentType: ContentType.Handshake, epoch: 0, data: raw });
    };
    hsMsg(HandshakeType.ServerHello, encodeServerHello({ version: DTLS_1_2, random: hs.serverRandom, sessionId: new Uint8Array(0), cipherSuite: hs.suite!, compressionMethod: 0, extensions: exts }));
    hsMsg(HandshakeType.Certificate, encodeCertificate(c.identity!.certificateChain));
    hs.keyShare = c.crypto.generateKeyShare(hs.group!);
    const params = encodeEcdheParams(NAMED_CURVE, hs.group!, hs.keyShare.publicKey);
    const sig = c.identity!.sign(concat([hs.clientRandom, hs.serverRandom, params]));
    hsMsg(HandshakeType.ServerKeyExchange, encodeServerKeyExchange(params, ECDSA_SECP256R1_SHA256, sig));
    if (c.requireClientCertificate) {
      hsMsg(HandshakeType.CertificateRequest, encodeCertificateRequest([ECDSA_SIGN], [ECDSA_SECP256R1_SHA256]));
      hs.certificateRequested = true;
    }
    hsMsg(HandshakeType.ServerHelloDone, new Uint8Array(0));
    hs.step = hs.certificateRequested ? 'waitClientCertificate' : 'waitClientKeyExchange';
    this.#sendFlight(now, flight, true);
  }

  /** Parses and checks the peer's chain (handshake-checks.ts) and keeps its leaf; an empty one is allowed only when `required` is false. */
  #takePeerChain(hs: Handshake, body: Uint8Array, required: boolean): Failure | undefined {
    const chain = readPeerChain(this.config, body, required);
    if (chain.failure !== undefined) return chain.failure;
    if (chain.leaf === undefined) return undefined;
    hs.peerLeaf = chain.leaf;
    this.#peerCertificate = chain.leaf.der.slice();
    this.#peerFingerprint = chain.fingerprint;
    return undefined;
  }

  /** EMS master secret over the transcript so far (through ClientKeyExchange), then both directions' keys. */
  #deriveKeys(hs: Handshake): void {
    const c = this.config;
    hs.master = extendedMasterSecret(c.crypto, hs.preMaster!, c.crypto.sha256(hs.transcript));
    const kb = keyBlock(c.crypto, hs.suite!, hs.master, hs.clientRandom, hs.serverRandom);
    const isClient = c.role === 'client';
    const writeKey = isClient ? kb.clientWriteKey : kb.serverWriteKey;
    const writeIv = isClient ? kb.clientWriteIv : kb.serverWriteIv;
    const readKey = isClient ? kb.serverWriteKey : kb.clientWriteKey;
    const readIv = isClient ? kb.serverWriteIv : kb.clientWriteIv;
    this.#readProt = new RecordProtection(hs.suite!, c.crypto.createAead(hs.suite!, readKey), readIv.slice());
    this.#pendingWriteProt = new RecordProtection(hs.suite!, c.crypto.createAead(hs.suite!, writeKey), writeIv.slice());
  }

  #connected(hs: Handshake): void {
    this.#state = 'connected';
    this.#group = hs.group;
    hs.reassembler.clear();
    this.#hs = undefined;
    // Only the server keeps its last flight: the client's resent Finished means ours was lost.
    if (this.config.role === 'client') this.#lastFlight = [];
    this.#emit({ type: 'connected', peerCertificate: this.#peerCertificate, peerFingerprint: this.#peerFingerprint, cipherSuite: this.#cipherSuite!, group: this.#group! });
  }

  #sendFlight(now: number, flight: FlightEntry[], expectsReply: boolean): void {
    const hs = this.#hs!;
    this.#lastFlight = flight;
    hs.retransmitTimeoutMs = this.config.retransmitInitialMs;
    hs.retransmitAt = expectsReply ? now + hs.retransmitTimeoutMs : undefined;
    this.#transmitLastFlight();
  }

  #transmitLastFlight(): void {
    this.#writer.flight(this.#lastFlight, (dg) => this.#queue(dg));
  }

  #sendAlert(level: number, desc: number): void {
    const epoch = this.#writer.isProtected ? 1 : 0;
    const rec = this.#writer.record(ContentType.Alert, epoch, Uint8Array.of(level, desc));
    if (rec === undefined) return;
    this.counters.alertsSent++;
    this.#queue(rec);
  }

  #fail(f: Failure): void {
    if (f.alert !== undefined) this.#sendAlert(AlertLevel.Fatal, f.alert);
    this.#finish('failed');
    this.#emit({ type: 'error', error: new DtlsError(f.code, f.message, { remote: `${this.remote.address}:${this.remote.port}` }, f.alert) });
  }

  /** Enters a final state and drops handshake state and timers (queued datagrams still go out). */
  #finish(state: 'closed' | 'failed'): void {
    this.#state = state;
    this.#hs?.reassembler.clear();
    this.#hs = undefined;
    this.#lastFlight = [];
    this.#readProt = undefined;
  }

  #queue(dg: Uint8Array): void {
    if (this.#out.length - this.#outHead >= this.config.maxQueuedDatagrams) {
      this.counters.datagramsDroppedQueueFull++;
      return;
    }
    this.#out.push(dg);
  }

  #emit(e: DtlsEvent): void {
    if (this.#events.length - this.#eventsHead >= this.config.maxQueuedEvents) {
      this.counters.eventsDropped++;
      return;
    }
    this.#events.push(e);
  }
}

const EMPTY = new Uint8Array(0);
const CCS = Uint8Array.of(1);
