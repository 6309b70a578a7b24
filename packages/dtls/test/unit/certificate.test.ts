import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';
import { DtlsError, certificateDersFromPem, generateIdentity, identityFromPem, nodeDtlsCrypto } from '../../src/index.js';

describe('certificate', () => {
  describe('#generateIdentity', () => {
    it('makes a self-signed P-256 certificate that node and `openssl verify` accept, with its SHA-256 fingerprint', () => {
      const g = generateIdentity({ commonName: 'peer-1', validityDays: 2, nowMs: Date.UTC(2030, 0, 1) });
      const x = new X509Certificate(g.certificate);
      expect(x.subject).to.equal('CN=peer-1');
      expect(x.ca).to.equal(true);
      expect(x.verify(x.publicKey)).to.equal(true);
      expect(x.validFrom).to.equal('Dec 31 23:00:00 2029 GMT');
      expect(x.validTo).to.equal('Jan  3 00:00:00 2030 GMT');
      expect(g.fingerprint).to.equal(x.fingerprint256);
      expect(g.fingerprint).to.equal(createHash('sha256').update(g.certificate).digest('hex').toUpperCase().match(/../g)!.join(':'));
      const dir = mkdtempSync(join(tmpdir(), 'meshpunch-cert-'));
      try {
        writeFileSync(join(dir, 'c.pem'), g.certificatePem);
        const out = execFileSync('openssl', ['verify', '-no_check_time', '-CAfile', 'c.pem', 'c.pem'], { cwd: dir }).toString();
        expect(out.trim()).to.equal('c.pem: OK');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const parsed = nodeDtlsCrypto.parseCertificate(g.certificate)!;
      expect(parsed.isEcdsaP256).to.equal(true);
      const sig = g.identity.sign(Uint8Array.of(1, 2, 3));
      expect(parsed.verifySignature(Uint8Array.of(1, 2, 3), sig)).to.equal(true);
      expect(parsed.verifySignature(Uint8Array.of(1, 2, 4), sig)).to.equal(false);
    });

    it('uses GeneralizedTime past 2049 (RFC 5280 §4.1.2.5)', () => {
      const g = generateIdentity({ nowMs: Date.UTC(2049, 11, 31, 12) });
      expect(new X509Certificate(g.certificate).validTo).to.equal('Jan 30 12:00:00 2050 GMT');
    });

    it('rejects validityDays outside 1..3650', () => {
      expect(() => generateIdentity({ validityDays: 0 })).to.throw(DtlsError, 'validityDays must be an integer 1..3650, got 0');
    });
  });

  describe('#identityFromPem', () => {
    it('loads a chain and key, and refuses a non-P-256 key', () => {
      const g = generateIdentity();
      const id = identityFromPem(g.certificatePem, g.privateKeyPem);
      expect(id.certificateChain).to.have.length(1);
      expect(certificateDersFromPem(g.certificatePem)[0]).to.deep.equal(g.certificate);
      expect(() => identityFromPem('', g.privateKeyPem)).to.throw(DtlsError, 'certificatesPem holds no CERTIFICATE block');
      expect(() => identityFromPem(g.certificatePem, 'nope')).to.throw(DtlsError, 'privateKeyPem is not a readable private key');
    });
  });
});
