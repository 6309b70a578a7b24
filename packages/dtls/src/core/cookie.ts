// Stateless cookie exchange for a DTLS server (core), RFC 6347 §4.2.1: a ClientHello without a
// valid cookie gets a HelloVerifyRequest built from the hello alone, and nothing is remembered.
// cookie = HMAC-SHA256(secret, address | port | client_random), with the secret rotated lazily.
import { ByteReader, timingSafeEqual } from './bytes.js';
import { ContentType, DTLS_1_0, DTLS_1_2, HandshakeType, RECORD_HEADER_LENGTH } from './constants.js';
import type { DtlsCrypto } from './crypto-provider.js';
import { decodeClientHello, encodeHandshake, encodeHelloVerifyRequest, readHandshakeFragment, type ClientHello } from './handshake-messages.js';
import { readRecord, writeRecordHeader, type RecordView } from './record.js';

/** Cookie length: a whole HMAC-SHA256 (RFC 6347 allows up to 255 bytes). */
export const COOKIE_LENGTH = 32;

const encoder = new TextEncoder();

/** True when the datagram's first record is an epoch-0 handshake record holding a ClientHello. */
export function looksLikeClientHello(dg: Uint8Array): boolean {
  return dg.length > RECORD_HEADER_LENGTH && dg[0] === ContentType.Handshake && dg[3] === 0 && dg[4] === 0 && dg[RECORD_HEADER_LENGTH] === HandshakeType.ClientHello;
}

/** A ClientHello parsed from the first record of a datagram, with that record's numbers. */
export interface ParsedHello {
  hello: ClientHello;
  recordSeq: number;
  messageSeq: number;
}

/**
 * Parses a datagram's first record as an unfragmented ClientHello (a server may insist on that
 * for the first flight, RFC 6347 §4.2.1); undefined for anything else.
 */
export function parseInitialClientHello(dg: Uint8Array, rec: RecordView): ParsedHello | undefined {
  if (readRecord(dg, 0, rec) < 0 || rec.type !== ContentType.Handshake || rec.epoch !== 0) return undefined;
  const r = new ByteReader(rec.fragment);
  const f = readHandshakeFragment(r);
  if (f === undefined || f.type !== HandshakeType.ClientHello || f.fragmentOffset !== 0 || f.fragment.length !== f.length) return undefined;
  const hello = decodeClientHello(f.fragment);
  if (hello === undefined) return undefined;
  return { hello, recordSeq: rec.seq, messageSeq: f.messageSeq };
}

/** Computes and checks cookies with a secret that rotates every `lifetimeMs` (the old one stays valid one more period). */
export class CookieJar {
  readonly #crypto: DtlsCrypto;
  readonly #random: (out: Uint8Array) => void;
  readonly #lifetimeMs: number;
  #secret = new Uint8Array(32);
  #previous: Uint8Array | undefined = undefined;
  #rotatedAt: number | undefined = undefined;

  constructor(crypto: DtlsCrypto, random: (out: Uint8Array) => void, lifetimeMs: number) {
    this.#crypto = crypto;
    this.#random = random;
    this.#lifetimeMs = lifetimeMs;
  }

  #rotate(now: number): void {
    if (this.#rotatedAt !== undefined && now - this.#rotatedAt < this.#lifetimeMs) return;
    this.#previous = this.#rotatedAt === undefined ? undefined : this.#secret;
    this.#secret = new Uint8Array(32);
    this.#random(this.#secret);
    this.#rotatedAt = now;
  }

  #compute(secret: Uint8Array, address: string, port: number, random: Uint8Array): Uint8Array {
    return this.#crypto.hmacSha256(secret, [encoder.encode(`${address}|${port}|`), random]);
  }

  /** The cookie this source must echo. */
  cookieFor(now: number, address: string, port: number, clientRandom: Uint8Array): Uint8Array {
    this.#rotate(now);
    return this.#compute(this.#secret, address, port, clientRandom);
  }

  /** True when `cookie` is what this source was (or, in the previous period, would have been) given. */
  verify(now: number, address: string, port: number, clientRandom: Uint8Array, cookie: Uint8Array): boolean {
    this.#rotate(now);
    if (cookie.length !== COOKIE_LENGTH) return false;
    if (timingSafeEqual(cookie, this.#compute(this.#secret, address, port, clientRandom))) return true;
    return this.#previous !== undefined && timingSafeEqual(cookie, this.#compute(this.#previous, address, port, clientRandom));
  }
}

/**
 * A whole HelloVerifyRequest datagram. Record and message numbers copy the ClientHello's
 * (RFC 6347 §4.2.1); the body version is DTLS 1.0 as §4.2.1 recommends.
 */
export function encodeHelloVerifyDatagram(recordSeq: number, messageSeq: number, cookie: Uint8Array): Uint8Array {
  const msg = encodeHandshake(HandshakeType.HelloVerifyRequest, messageSeq, encodeHelloVerifyRequest(DTLS_1_0, cookie));
  const out = new Uint8Array(RECORD_HEADER_LENGTH + msg.length);
  writeRecordHeader(out, 0, ContentType.Handshake, DTLS_1_2, 0, recordSeq, msg.length);
  out.set(msg, RECORD_HEADER_LENGTH);
  return out;
}
