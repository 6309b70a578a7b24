// Handshake message reassembly (core): fragments of the next few message_seq values are put
// together; a message is released once every byte arrived (RFC 6347 §4.2.3). Bounded in messages
// and bytes so a peer cannot make us buffer without limit.
import { encodeHandshake, type HandshakeFragment } from './handshake-messages.js';

/** A reassembled message: its type, body and the header-normalised bytes that go in the transcript. */
export interface HandshakeMessage {
  type: number;
  messageSeq: number;
  /** The epoch its fragments arrived in (all must agree): Finished must be protected. */
  epoch: number;
  body: Uint8Array;
  /** Header (offset 0, fragment_length = length) + body, as hashed (RFC 6347 §4.2.6). */
  raw: Uint8Array;
}

interface Partial {
  type: number;
  epoch: number;
  length: number;
  body: Uint8Array;
  /** 1 per byte received; a byte map keeps overlap handling trivial and is bounded by `length`. */
  have: Uint8Array;
  missing: number;
}

export interface ReassemblyLimits {
  /** Messages ahead of the next expected one that we buffer (a flight has at most 6). */
  maxAhead: number;
  /** Largest handshake message we accept (bytes); a certificate chain is the biggest. */
  maxMessageLength: number;
}

export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #partials = new Map<number, Partial>();
  /** The next message_seq the handshake will consume. */
  next = 0;

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

  /**
   * Adds one fragment. Returns 'old' for a message before `next` (a retransmitted flight),
   * 'dropped' when out of window, too long or inconsistent with earlier fragments, else 'ok'.
   */
  add(f: HandshakeFragment, epoch: number): 'ok' | 'old' | 'dropped' {
    if (f.messageSeq < this.next) return 'old';
    if (f.messageSeq >= this.next + this.#limits.maxAhead) return 'dropped';
    if (f.length > this.#limits.maxMessageLength) return 'dropped';
    let p = this.#partials.get(f.messageSeq);
    if (p === undefined) {
      p = { type: f.type, epoch, length: f.length, body: new Uint8Array(f.length), have: new Uint8Array(f.length), missing: f.length };
      this.#partials.set(f.messageSeq, p);
    } else if (p.type !== f.type || p.length !== f.length || p.epoch !== epoch) {
      return 'dropped';
    }
    p.body.set(f.fragment, f.fragmentOffset);
    for (let i = f.fragmentOffset, end = f.fragmentOffset + f.fragment.length; i < end; i++) {
      if (p.have[i] === 0) {
        p.have[i] = 1;
        p.missing--;
      }
    }
    return 'ok';
  }

  /** The next complete message in order, advancing `next`; undefined when it is not complete yet. */
  take(): HandshakeMessage | undefined {
    const p = this.#partials.get(this.next);
    if (p === undefined || p.missing !== 0) return undefined;
    this.#partials.delete(this.next);
    const messageSeq = this.next++;
    return { type: p.type, messageSeq, epoch: p.epoch, body: p.body, raw: encodeHandshake(p.type, messageSeq, p.body) };
  }

  /** Drops everything buffered (after the handshake, or when it fails). */
  clear(): void {
    this.#partials.clear();
  }

  get buffered(): number {
    return this.#partials.size;
  }
}
