// A minimal DER writer (core), enough to build an X.509 certificate (ITU-T X.690 §8, §10):
// definite lengths, and the handful of universal types a self-signed certificate uses.
import { concat } from './bytes.js';
import { DtlsError } from '../errors.js';

export const Tag = {
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Utf8String: 0x0c,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
  Set: 0x31,
} as const;

/** tag + definite length (short form below 128, else long form, X.690 §8.1.3) + content. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else if (n < 0x100) head = [tag, 0x81, n];
  else if (n < 0x10000) head = [tag, 0x82, n >>> 8, n & 0xff];
  else head = [tag, 0x83, n >>> 16, (n >>> 8) & 0xff, n & 0xff];
  return concat([Uint8Array.from(head), content]);
}

export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(Tag.Sequence, concat(items));
}

export function set(...items: Uint8Array[]): Uint8Array {
  return tlv(Tag.Set, concat(items));
}

/** A non-negative INTEGER from big-endian magnitude bytes: leading zeros trimmed, a 0x00 added when the top bit is set (X.690 §8.3). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return tlv(Tag.Integer, m.length > 0 && (m[0]! & 0x80) !== 0 ? concat([Uint8Array.of(0), m]) : m.length === 0 ? Uint8Array.of(0) : m);
}

export function smallInteger(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 127) throw new DtlsError('ERR_INVALID_PARAMETER', `smallInteger takes 0..127, got ${v}`);
  return tlv(Tag.Integer, Uint8Array.of(v));
}

/** OBJECT IDENTIFIER from dotted text (X.690 §8.19: first two arcs packed, base-128 arcs). */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0)) throw new DtlsError('ERR_INVALID_PARAMETER', `bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: number): void => {
    const tmp: number[] = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) tmp.unshift((v & 0x7f) | 0x80);
    out.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]!);
  return tlv(Tag.Oid, Uint8Array.from(out));
}

export function utf8String(s: string): Uint8Array {
  return tlv(Tag.Utf8String, new TextEncoder().encode(s));
}

/** BIT STRING with no unused bits. */
export function bitString(bytes: Uint8Array): Uint8Array {
  return tlv(Tag.BitString, concat([Uint8Array.of(0), bytes]));
}

/** RFC 5280 §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime after. Input is the UTC fields. */
export function x509Time(year: number, month: number, day: number, hour: number, minute: number, second: number): Uint8Array {
  const two = (n: number): string => String(n).padStart(2, '0');
  const rest = `${two(month)}${two(day)}${two(hour)}${two(minute)}${two(second)}Z`;
  if (year >= 1950 && year < 2050) return tlv(Tag.UtcTime, new TextEncoder().encode(`${two(year % 100)}${rest}`));
  return tlv(Tag.GeneralizedTime, new TextEncoder().encode(`${String(year).padStart(4, '0')}${rest}`));
}

/** An explicit context tag [n] constructed (0xa0 | n). */
export function explicit(n: number, content: Uint8Array): Uint8Array {
  return tlv(0xa0 | n, content);
}
