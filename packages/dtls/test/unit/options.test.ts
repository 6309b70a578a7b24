import { expect } from 'chai';
import { DtlsError, generateIdentity, nodeDtlsCrypto, nodeRandom, resolveDtlsOptions } from '../../src/index.js';
import type { DtlsOptions } from '../../src/core/options.js';

function fails(options: DtlsOptions, code: string, message: string): void {
  try {
    resolveDtlsOptions(options);
  } catch (err) {
    expect(err).to.be.instanceOf(DtlsError);
    expect((err as DtlsError).code).to.equal(code);
    expect((err as DtlsError).message).to.equal(message);
    return;
  }
  expect.fail(`no error for ${message}`);
}

describe('options', () => {
  const base = { crypto: nodeDtlsCrypto, random: nodeRandom };
  const id = generateIdentity();

  describe('#resolveDtlsOptions', () => {
    it('fills defaults and freezes the config', () => {
      const c = resolveDtlsOptions({ ...base, unsafe: true });
      expect(Object.isFrozen(c)).to.equal(true);
      expect(c).to.deep.include({ role: 'client', mtu: 1200, retransmitInitialMs: 1000, retransmitMaxMs: 60_000, handshakeTimeoutMs: 30_000 });
      expect(c.cipherSuites).to.deep.equal([0xcca9, 0xc02b]);
      expect(c.groups).to.deep.equal([29, 23]);
    });

    it('normalises an expected fingerprint given as sha-256 hex in any case, with or without colons', () => {
      const bare = id.fingerprint.replace(/:/g, '').toLowerCase();
      expect(resolveDtlsOptions({ ...base, expectedFingerprint: `sha-256 ${bare}` }).expectedFingerprint).to.equal(id.fingerprint);
    });

    it('requires a server to require a client certificate when it pins one', () => {
      expect(resolveDtlsOptions({ ...base, role: 'server', identity: id.identity, expectedFingerprint: id.fingerprint }).requireClientCertificate).to.equal(true);
      expect(resolveDtlsOptions({ ...base, role: 'server', identity: id.identity }).requireClientCertificate).to.equal(false);
    });

    it('rejects each bad option with one exact sentence', () => {
      fails({ random: nodeRandom, unsafe: true }, 'ERR_UNCONFIGURED', 'crypto is required (use nodeDtlsCrypto from the adapter)');
      fails({ crypto: nodeDtlsCrypto, unsafe: true }, 'ERR_UNCONFIGURED', 'random is required (a function filling a Uint8Array with secure random bytes)');
      fails({ ...base }, 'ERR_UNCONFIGURED', 'a client needs trustedCertificates or expectedFingerprint, or unsafe: true');
      fails({ ...base, role: 'server' }, 'ERR_UNCONFIGURED', 'a server needs an identity (certificate chain and key)');
      fails({ ...base, expectedFingerprint: 'abc' }, 'ERR_INVALID_PARAMETER', 'expectedFingerprint must be 32 bytes of hex (SHA-256), got abc');
      fails({ ...base, unsafe: true, expectedFingerprint: id.fingerprint }, 'ERR_INVALID_PARAMETER', 'unsafe excludes expectedFingerprint and trustedCertificates: an unsafe session checks nothing');
      fails({ ...base, unsafe: true, mtu: 100 }, 'ERR_INVALID_PARAMETER', 'mtu must be an integer 256..65507, got 100');
      fails({ ...base, unsafe: true, cipherSuites: [0x002f as 0xc02b] }, 'ERR_INVALID_PARAMETER', 'cipherSuites must be a non-empty list of supported suites, got 47');
      fails({ ...base, trustedCertificates: [new Uint8Array(3)] }, 'ERR_INVALID_PARAMETER', 'trustedCertificates[0] is not a DER X.509 certificate');
      fails({ ...base, role: 'server', identity: id.identity, hostname: 'x' }, 'ERR_INVALID_PARAMETER', 'hostname applies to a client only');
      fails({ ...base, role: 'server', identity: id.identity, requireClientCertificate: true }, 'ERR_UNCONFIGURED', 'requireClientCertificate needs trustedCertificates or expectedFingerprint to check it against, or unsafe: true');
    });
  });
});
