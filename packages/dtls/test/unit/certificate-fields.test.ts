import { expect } from 'chai';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { certificateFields } from '../../src/core/certificate-fields.js';
import { buildSelfSignedCertificate } from '../../src/core/x509-builder.js';
import { generateIdentity, nodeDtlsCrypto } from '../../src/index.js';

/** The certificate's P-256 point as node reads it (JWK x ‖ y). */
function nodePoint(der: Uint8Array): Uint8Array {
  const jwk = new X509Certificate(der).publicKey.export({ format: 'jwk' });
  return Uint8Array.from([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]);
}

function ms(f: { year: number; month: number; day: number; hour: number; minute: number; second: number }): number {
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
}

describe('certificateFields', () => {
  it('reads the validity (UTCTime) and the P-256 point of a generated certificate as node does', () => {
    const g = generateIdentity({ validityDays: 2, nowMs: Date.UTC(2030, 0, 1) });
    const f = certificateFields(g.certificate)!;
    const x = new X509Certificate(g.certificate);
    expect(ms(f.notBefore)).to.equal(Date.parse(x.validFrom));
    expect(ms(f.notAfter)).to.equal(Date.parse(x.validTo));
    expect(f.p256Point).to.deep.equal(nodePoint(g.certificate));
  });

  it('reads GeneralizedTime past 2049 (RFC 5280 §4.1.2.5)', () => {
    const g = generateIdentity({ nowMs: Date.UTC(2049, 11, 31, 12) });
    const f = certificateFields(g.certificate)!;
    expect(ms(f.notAfter)).to.equal(Date.UTC(2050, 0, 30, 12));
    expect(ms(f.notBefore)).to.equal(Date.UTC(2049, 11, 31, 11));
  });

  it('answers undefined for a truncated certificate, trailing bytes or a long-form length beyond the buffer', () => {
    const der = generateIdentity().certificate;
    expect(certificateFields(der.subarray(0, der.length - 1))).to.equal(undefined);
    expect(certificateFields(Uint8Array.from([...der, 0]))).to.equal(undefined);
    expect(certificateFields(Uint8Array.of(0x30, 0x83, 0xff, 0xff, 0xff))).to.equal(undefined);
    expect(certificateFields(new Uint8Array(0))).to.equal(undefined);
  });

  it('never throws on random or mutated input, and any answer it gives is well-formed', () => {
    const prng = new Prng(seedFromEnv(7));
    const der = generateIdentity().certificate;
    let answered = 0;
    for (let i = 0; i < 20_000; i++) {
      let input: Uint8Array;
      if (i % 4 === 0) {
        input = new Uint8Array(prng.int(0, 600));
        prng.fill(input);
      } else {
        input = der.slice(0, i % 4 === 1 ? prng.int(0, der.length) : der.length);
        for (let k = prng.int(1, 4); k > 0 && input.length > 0; k--) input[prng.int(0, input.length - 1)] = prng.int(0, 255);
      }
      const f = certificateFields(input);
      if (f === undefined) continue;
      answered++;
      expect(Number.isFinite(ms(f.notBefore)) && Number.isFinite(ms(f.notAfter)), `seed ${prng.seed} input ${i}`).to.equal(true);
      if (f.p256Point !== undefined) expect(f.p256Point.length).to.equal(65);
    }
    // Mutations outside the fields read (serial, names, signature) keep an answer.
    expect(answered).to.be.greaterThan(0);
  });
});

describe('nodeDtlsCrypto.parseCertificate', () => {
  it('verifies signatures and validity through the fast path, and parses chains and host names in full on demand', () => {
    const g = generateIdentity({ commonName: 'game.example', validityDays: 2, nowMs: Date.UTC(2030, 0, 1) });
    const p = nodeDtlsCrypto.parseCertificate(g.certificate)!;
    expect(p.isEcdsaP256).to.equal(true);
    const sig = g.identity.sign(Uint8Array.of(9));
    expect(p.verifySignature(Uint8Array.of(9), sig)).to.equal(true);
    expect(p.verifySignature(Uint8Array.of(8), sig)).to.equal(false);
    expect(p.isValidAt(Date.UTC(2030, 0, 2))).to.equal(true);
    expect(p.isValidAt(Date.UTC(2030, 0, 4))).to.equal(false);
    // generateIdentity marks its certificates cA (they sign themselves).
    expect(p.isCertificateAuthority).to.equal(true);
    expect(p.isIssuedBy(p)).to.equal(true);
    expect(p.matchesHost('game.example')).to.equal(true);
    expect(p.matchesHost('other.example')).to.equal(false);
  });

  it('refuses what is not a certificate and reports a non-P-256 key as such', () => {
    expect(nodeDtlsCrypto.parseCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01))).to.equal(undefined);
    // An Ed25519 subject key: read, but not a key our suites can use.
    const signer = generateIdentity().identity;
    const der = buildSelfSignedCertificate({
      spki: new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' })),
      serial: Uint8Array.of(1), commonName: 'ed', sign: signer.sign,
      notBefore: { year: 2030, month: 1, day: 1, hour: 0, minute: 0, second: 0 },
      notAfter: { year: 2030, month: 2, day: 1, hour: 0, minute: 0, second: 0 },
    });
    const f = certificateFields(der)!;
    expect(f.p256Point).to.equal(undefined);
    expect(ms(f.notAfter)).to.equal(Date.UTC(2030, 1, 1));
    const p = nodeDtlsCrypto.parseCertificate(der)!;
    expect(p.isEcdsaP256).to.equal(false);
    expect(p.verifySignature(Uint8Array.of(1), signer.sign(Uint8Array.of(1)))).to.equal(false);
  });
});
