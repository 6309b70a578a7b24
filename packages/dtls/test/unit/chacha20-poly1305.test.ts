// The WebAssembly ChaCha20-Poly1305 against RFC 8439's AEAD test vector and against node:crypto
// (OpenSSL) for every length around the block edges and the largest DTLS record.
import { expect } from 'chai';
import { createCipheriv, randomBytes } from 'node:crypto';
import { ChaCha20Poly1305 } from '../../src/adapter/chacha20-poly1305.js';
import { DtlsError } from '../../src/errors.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[\s:]/g, ''), 'hex'));

function reference(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

describe('ChaCha20-Poly1305 (WebAssembly)', () => {
  it('matches RFC 8439 §2.8.2 (ciphertext and tag) and opens it', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('070000004041424344454647');
    const aad = hex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const aead = new ChaCha20Poly1305(key);
    const out = new Uint8Array(plaintext.length + 16);
    expect(aead.seal(nonce, aad, plaintext, out, 0)).to.equal(plaintext.length + 16);
    expect(Buffer.from(out.subarray(0, 16)).toString('hex')).to.equal('d31a8d34648e60db7b86afbc53ef7ec2');
    expect(Buffer.from(out.subarray(plaintext.length)).toString('hex')).to.equal('1ae10b594f09e26a7e902ecbd0600691');
    expect(new TextDecoder().decode(aead.open(nonce, aad, out))).to.equal(new TextDecoder().decode(plaintext));
  });

  // Each remainder of keystream blocks after whole groups of four (0..3, chacha_block for 1) with
  // 0..4 whole groups below 600; 960..1100 are ENet datagrams of 1000 B payloads (17 blocks).
  it('agrees with node:crypto for every length 0..600, 960..1100, 16383..16385 and 18432, at an offset, with AAD of 0..16 bytes', () => {
    const lengths = [...Array.from({ length: 601 }, (_, i) => i), ...Array.from({ length: 141 }, (_, i) => 960 + i), 16383, 16384, 16385, 18432];
    for (const len of lengths) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const aad = randomBytes(len % 17);
      const plaintext = randomBytes(len);
      const want = reference(key, nonce, aad, plaintext);
      const aead = new ChaCha20Poly1305(key);
      const out = new Uint8Array(len + 16 + 3);
      expect(aead.seal(nonce, aad, plaintext, out, 3)).to.equal(len + 16);
      expect(Buffer.from(out.subarray(3)).equals(want), `seal, length ${len}`).to.equal(true);
      expect(Buffer.from(aead.open(nonce, aad, want)!).equals(plaintext), `open, length ${len}`).to.equal(true);
      // In place, inside a larger buffer: the plaintext overwrites the ciphertext, the rest is untouched.
      const buf = Buffer.concat([Buffer.from([1, 2, 3, 4, 5]), want, Buffer.from([6, 7])]);
      expect(aead.openInPlace(nonce, aad, buf, 5, want.length), `openInPlace, length ${len}`).to.equal(len);
      expect(buf.subarray(5, 5 + len).equals(plaintext), `openInPlace, length ${len}`).to.equal(true);
      expect([...buf.subarray(0, 5), ...buf.subarray(5 + want.length)]).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    }
  });

  it('refuses any flipped bit of ciphertext or tag (in place: leaving the bytes as they were), a wrong nonce or AAD, and input shorter than a tag or past the buffer', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = randomBytes(13);
    const sealed = reference(key, nonce, aad, randomBytes(100));
    const aead = new ChaCha20Poly1305(key);
    for (let i = 0; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = Uint8Array.from(sealed);
        bad[i]! ^= bit;
        expect(aead.open(nonce, aad, bad), `byte ${i} bit ${bit}`).to.equal(undefined);
        const kept = Uint8Array.from(bad);
        expect(aead.openInPlace(nonce, aad, bad, 0, bad.length), `in place, byte ${i} bit ${bit}`).to.equal(-1);
        expect(bad, 'a refused record is left as it was').to.deep.equal(kept);
      }
    }
    const otherNonce = Uint8Array.from(nonce);
    otherNonce[11]! ^= 1;
    expect(aead.open(otherNonce, aad, sealed)).to.equal(undefined);
    expect(aead.open(nonce, aad.subarray(1), sealed)).to.equal(undefined);
    expect(aead.open(nonce, aad, sealed.subarray(0, 15))).to.equal(undefined);
    expect(aead.openInPlace(nonce, aad, Uint8Array.from(sealed), 0, 15)).to.equal(-1);
    expect(aead.openInPlace(nonce, aad, Uint8Array.from(sealed), 1, sealed.length)).to.equal(-1);
    expect(aead.open(nonce, aad, sealed)).to.not.equal(undefined);
  });

  // openInPlace copies a datagram whole when at most 32 bytes precede the sealed part (they land
  // in the second half of the zeros block 0 is computed over), else only the sealed part.
  it('opens in place after 0..40 header bytes of 0xff and before 0 or 40 000 trailing bytes, and seals as node:crypto does after each', () => {
    const key = randomBytes(32);
    const aead = new ChaCha20Poly1305(key);
    for (const header of [0, 1, 13, 16, 31, 32, 33, 40]) {
      for (const trailing of [0, 3, 40_000]) {
        const nonce = randomBytes(12);
        const aad = randomBytes(13);
        const plaintext = randomBytes(1014);
        const sealed = reference(key, nonce, aad, plaintext);
        const buf = Buffer.concat([Buffer.alloc(header, 0xff), sealed, Buffer.alloc(trailing, 0xee)]);
        expect(aead.openInPlace(nonce, aad, buf, header, sealed.length), `header ${header}, trailing ${trailing}`).to.equal(plaintext.length);
        expect(buf.subarray(header, header + plaintext.length).equals(plaintext), `header ${header}, trailing ${trailing}`).to.equal(true);
        expect(buf.subarray(0, header).every((b) => b === 0xff) && buf.subarray(header + sealed.length).every((b) => b === 0xee)).to.equal(true);
        const next = randomBytes(100);
        const out = new Uint8Array(next.length + 16);
        aead.seal(nonce, aad, next, out, 0);
        expect(Buffer.from(out).equals(reference(key, nonce, aad, next)), `seal after header ${header}, trailing ${trailing}`).to.equal(true);
      }
    }
  });

  it('keeps keys apart when several AEADs take turns on the shared instance', () => {
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const aeads = keys.map((k) => new ChaCha20Poly1305(k));
    const nonce = randomBytes(12);
    const aad = randomBytes(13);
    for (let round = 0; round < 20; round++) {
      const i = (round * 7) % 3;
      const plaintext = randomBytes(round * 37);
      const out = new Uint8Array(plaintext.length + 16);
      aeads[i]!.seal(nonce, aad, plaintext, out, 0);
      expect(Buffer.from(out).equals(reference(keys[i]!, nonce, aad, plaintext)), `round ${round}`).to.equal(true);
      expect(aeads[(i + 1) % 3]!.open(nonce, aad, out)).to.equal(undefined);
    }
  });

  // Seals and opens keep their keys in two slots of the shared instance, and their output views
  // apart: a sender that also receives alternates the two with two keys and two lengths.
  it('interleaves seals and opens of several AEADs and lengths, each as node:crypto does', () => {
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const aeads = keys.map((k) => new ChaCha20Poly1305(k));
    for (let round = 0; round < 30; round++) {
      const nonce = randomBytes(12);
      const aad = randomBytes(13);
      const sealer = round % 3;
      const opener = (round * 2 + 1) % 3;
      const pt = randomBytes([1014, 100, 1014, 0, 64][round % 5]!);
      const out = new Uint8Array(pt.length + 16);
      expect(aeads[sealer]!.seal(nonce, aad, pt, out, 0)).to.equal(pt.length + 16);
      expect(Buffer.from(out).equals(reference(keys[sealer]!, nonce, aad, pt)), `seal, round ${round}`).to.equal(true);
      const other = randomBytes([50, 1014, 1000][round % 3]!);
      const sealed = reference(keys[opener]!, nonce, aad, other);
      const buf = Buffer.concat([Buffer.alloc(13), sealed]);
      expect(aeads[opener]!.openInPlace(nonce, aad, buf, 13, sealed.length), `openInPlace, round ${round}`).to.equal(other.length);
      expect(buf.subarray(13, 13 + other.length).equals(other)).to.equal(true);
      expect(Buffer.from(aeads[sealer]!.open(nonce, aad, out)!).equals(pt), `open own seal, round ${round}`).to.equal(true);
      expect(aeads[(sealer + 1) % 3]!.open(nonce, aad, out), `open with another key, round ${round}`).to.equal(undefined);
    }
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new ChaCha20Poly1305(new Uint8Array(16))).to.throw(DtlsError, /32-byte key/).with.property('code', 'ERR_INVALID_PARAMETER');
  });
});
