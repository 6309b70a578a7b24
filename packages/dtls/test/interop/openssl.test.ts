// Interop with OpenSSL 3 (Debian's openssl binary): our client against `openssl s_server -dtls1_2`
// and `openssl s_client -dtls1_2` against our server. Handshake, data both ways, certificate and
// fingerprint refusals with typed errors, close_notify, and renegotiation refused.
import { expect } from 'chai';
import { CipherSuite, NamedGroup, certificateDersFromPem, generateIdentity, identityFromPem, nodeDtlsCrypto, nodeRandom, type DtlsEvent } from '../../src/index.js';
import { OpenSslProcess, makeCertFiles, readText, startServer, type CertFiles } from './openssl.js';
import { startClient, startEchoServer, text, type ClientPeer, type ServerPeer } from '../helpers/udp-peer.js';

const isError = (e: DtlsEvent): e is Extract<DtlsEvent, { type: 'error' }> => e.type === 'error';

describe('DTLS interop with OpenSSL 3', function () {
  this.timeout(30_000);
  let certs: CertFiles;
  const cleanups: Array<() => void> = [];
  before(() => { certs = makeCertFiles(); });
  after(() => certs.remove());
  afterEach(() => { for (const c of cleanups.splice(0)) c(); });

  async function server(args: string[]): Promise<{ proc: OpenSslProcess; port: number }> {
    const s = await startServer(['-cert', certs.serverCert, '-key', certs.serverKey, '-cert_chain', certs.caCert, ...args]);
    cleanups.push(() => s.proc.stop());
    return s;
  }

  async function client(port: number, options: Parameters<typeof startClient>[1]): Promise<ClientPeer> {
    const c = await startClient(port, options);
    cleanups.push(() => c.stop());
    return c;
  }

  function caOptions(extra: Record<string, unknown> = {}) {
    return { crypto: nodeDtlsCrypto, random: nodeRandom, trustedCertificates: certificateDersFromPem(readText(certs.caCert)), hostname: 'localhost', wallClockMs: Date.now, ...extra };
  }

  describe('our client → openssl s_server', () => {
    it('verifies a CA-signed server, carries data both ways and sends a close_notify openssl reads', async () => {
      const { proc, port } = await server([]);
      const c = await client(port, caOptions());
      const connected = await c.log.waitFor((e) => e.type === 'connected', 'connected');
      // Our preference (ChaCha20-Poly1305 first, the faster one for us); OpenSSL follows the client's order.
      expect(connected).to.deep.include({ cipherSuite: CipherSuite.EcdheEcdsaChacha20Poly1305Sha256, group: NamedGroup.X25519 });
      c.send('hello from meshpunch\n');
      await proc.waitFor(/hello from meshpunch/);
      proc.write('hello from openssl\n');
      const data = await c.log.waitFor((e) => e.type === 'data', 'data');
      expect(text(data)).to.equal('hello from openssl\n');
      c.close();
      // s_server's stdin stays open, so its DONE comes from SSL_read seeing our close_notify.
      await proc.waitFor(/DONE/, 'close_notify handling');
      expect(c.session.state).to.equal('closed');
    });

    it('negotiates AES-128-GCM over P-256 when only those are offered', async () => {
      const { proc, port } = await server(['-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
      const c = await client(port, caOptions({ cipherSuites: [CipherSuite.EcdheEcdsaAes128GcmSha256], groups: [NamedGroup.Secp256r1] }));
      const connected = await c.log.waitFor((e) => e.type === 'connected', 'connected');
      expect(connected).to.deep.include({ cipherSuite: CipherSuite.EcdheEcdsaAes128GcmSha256, group: NamedGroup.Secp256r1 });
      c.send('gcm\n');
      await proc.waitFor(/gcm/);
      proc.write('back\n');
      expect(text(await c.log.waitFor((e) => e.type === 'data', 'data'))).to.equal('back\n');
    });

    it('negotiates ChaCha20-Poly1305 over P-256 when only those are offered', async () => {
      const { proc, port } = await server(['-cipher', 'ECDHE-ECDSA-CHACHA20-POLY1305']);
      const c = await client(port, caOptions({ cipherSuites: [CipherSuite.EcdheEcdsaChacha20Poly1305Sha256], groups: [NamedGroup.Secp256r1] }));
      const connected = await c.log.waitFor((e) => e.type === 'connected', 'connected');
      expect(connected).to.deep.include({ cipherSuite: CipherSuite.EcdheEcdsaChacha20Poly1305Sha256, group: NamedGroup.Secp256r1 });
      c.send('chacha\n');
      await proc.waitFor(/chacha/);
      proc.write('back\n');
      expect(text(await c.log.waitFor((e) => e.type === 'data', 'data'))).to.equal('back\n');
    });

    it('follows the HelloVerifyRequest of s_server -listen (the stateless cookie exchange of OpenSSL)', async () => {
      const { proc, port } = await server(['-listen']);
      const c = await client(port, caOptions());
      await c.log.waitFor((e) => e.type === 'connected', 'connected');
      expect(c.session.counters.helloVerifyRequestsReceived).to.equal(1);
      c.send('after cookie\n');
      await proc.waitFor(/after cookie/);
    });

    it('refuses a server whose fingerprint is not the expected one with DTLS_FINGERPRINT_MISMATCH', async () => {
      const { proc, port } = await server([]);
      const other = generateIdentity();
      const c = await client(port, { crypto: nodeDtlsCrypto, random: nodeRandom, expectedFingerprint: other.fingerprint });
      const err = await c.log.waitFor(isError, 'error');
      expect(err.error.code).to.equal('DTLS_FINGERPRINT_MISMATCH');
      expect(err.error.message).to.match(/^peer certificate fingerprint [0-9A-F:]{95} is not the expected [0-9A-F:]{95}$/);
      expect(err.error.alert).to.equal(42);
      await proc.waitFor(/bad certificate/i, 'bad_certificate alert at openssl');
    });

    it('refuses a server that does not chain to the trusted certificates with DTLS_CERTIFICATE_UNTRUSTED', async () => {
      const { port } = await server([]);
      const c = await client(port, caOptions({ trustedCertificates: [generateIdentity().certificate] }));
      const err = await c.log.waitFor(isError, 'error');
      expect(err.error.code).to.equal('DTLS_CERTIFICATE_UNTRUSTED');
      expect(err.error.message).to.equal('peer certificate does not chain to a trusted certificate');
    });

    it('refuses a server certificate for another host name with DTLS_CERTIFICATE_HOSTNAME_MISMATCH', async () => {
      const { port } = await server([]);
      const c = await client(port, caOptions({ hostname: 'example.org' }));
      const err = await c.log.waitFor(isError, 'error');
      expect(err.error.code).to.equal('DTLS_CERTIFICATE_HOSTNAME_MISMATCH');
      expect(err.error.message).to.equal('peer certificate does not name host example.org');
    });

    it('refuses a server-initiated renegotiation (no_renegotiation), which OpenSSL answers with a fatal alert', async () => {
      const { proc, port } = await server([]);
      const c = await client(port, caOptions());
      await c.log.waitFor((e) => e.type === 'connected', 'connected');
      proc.write('R\n');
      const err = await c.log.waitFor(isError, 'error');
      expect(c.session.counters.renegotiationsRefused).to.equal(1);
      expect(err.error.code).to.equal('DTLS_ALERT_RECEIVED');
      expect(err.error.alert).to.equal(40);
    });
  });

  describe('openssl s_client → our server', () => {
    let srv: ServerPeer;
    afterEach(() => srv.stop());

    function sClient(args: string[]): OpenSslProcess {
      const p = new OpenSslProcess(['s_client', '-dtls1_2', '-connect', `127.0.0.1:${srv.port}`, ...args]);
      cleanups.push(() => p.stop());
      return p;
    }

    it('passes openssl verification of our self-signed certificate, echoes data, and reads its close_notify', async () => {
      const id = generateIdentity({ commonName: 'localhost' });
      srv = await startEchoServer({ crypto: nodeDtlsCrypto, random: nodeRandom, identity: id.identity });
      const { writeFileSync } = await import('node:fs');
      const caPath = `${certs.dir}/ours.pem`;
      writeFileSync(caPath, id.certificatePem);
      const p = sClient(['-CAfile', caPath, '-verify_return_error']);
      await p.waitFor(/Verification: OK/, 'verification');
      await p.waitFor(/Extended master secret: yes/);
      p.write('hi from s_client\n');
      await p.waitFor(/echo:hi from s_client/);
      const data = await srv.log.waitFor((e) => e.type === 'data', 'data');
      expect(text(data)).to.equal('hi from s_client\n');
      p.endInput();
      const closed = await srv.log.waitFor((e) => e.type === 'closed', 'closed');
      expect(closed.type === 'closed' && closed.reason).to.equal('peerClosed');
      expect(srv.server.counters.helloVerifyRequestsSent).to.equal(1);
      expect(srv.server.sessionCount).to.equal(0);
    });

    it('accepts an openssl client certificate with the expected fingerprint (mutual authentication)', async () => {
      const clientDer = certificateDersFromPem(readText(certs.clientCert))[0]!;
      const fp = (await import('../../src/index.js')).certificateFingerprint(nodeDtlsCrypto, clientDer);
      srv = await startEchoServer({ crypto: nodeDtlsCrypto, random: nodeRandom, identity: generateIdentity().identity, expectedFingerprint: fp });
      const p = sClient(['-cert', certs.clientCert, '-key', certs.clientKey]);
      const connected = await srv.log.waitFor((e) => e.type === 'connected', 'connected');
      expect(connected.type === 'connected' && connected.peerFingerprint).to.equal(fp);
      p.write('mutual\n');
      await p.waitFor(/echo:mutual/);
    });

    it('refuses an openssl client certificate with another fingerprint with DTLS_FINGERPRINT_MISMATCH', async () => {
      srv = await startEchoServer({ crypto: nodeDtlsCrypto, random: nodeRandom, identity: generateIdentity().identity, expectedFingerprint: generateIdentity().fingerprint });
      const p = sClient(['-cert', certs.clientCert, '-key', certs.clientKey]);
      const err = await srv.log.waitFor((e) => e.type === 'error', 'error');
      expect(err.type === 'error' && err.error.code).to.equal('DTLS_FINGERPRINT_MISMATCH');
      await p.waitFor(/bad certificate/i, 'bad_certificate alert at openssl');
      expect(srv.server.sessionCount).to.equal(0);
    });

    it('refuses an openssl client without a certificate when one is required with DTLS_CERTIFICATE_REQUIRED', async () => {
      srv = await startEchoServer({ crypto: nodeDtlsCrypto, random: nodeRandom, identity: generateIdentity().identity, expectedFingerprint: generateIdentity().fingerprint });
      sClient([]);
      const err = await srv.log.waitFor((e) => e.type === 'error', 'error');
      expect(err.type === 'error' && err.error.code).to.equal('DTLS_CERTIFICATE_REQUIRED');
      expect(err.type === 'error' && err.error.message).to.equal('peer sent no certificate but one is required');
    });

    it('loads an identity from openssl PEM files and serves it (Godot-style key + certificate)', async () => {
      srv = await startEchoServer({ crypto: nodeDtlsCrypto, random: nodeRandom, identity: identityFromPem(readText(certs.serverCert) + readText(certs.caCert), readText(certs.serverKey)) });
      const p = sClient(['-CAfile', certs.caCert, '-verify_return_error', '-verify_hostname', 'localhost']);
      await p.waitFor(/Verification: OK/, 'verification');
      p.write('pem\n');
      await p.waitFor(/echo:pem/);
    });

    it('refuses an s_client renegotiation (command "R") with no_renegotiation', async () => {
      srv = await startEchoServer({ crypto: nodeDtlsCrypto, random: nodeRandom, identity: generateIdentity().identity });
      const p = sClient([]);
      await srv.log.waitFor((e) => e.type === 'connected', 'connected');
      p.write('R\n');
      await p.waitFor(/no renegotiation/, 'no renegotiation at openssl');
      const s = srv.log.events.find((e) => e.type === 'connected')!.session;
      expect(s.counters.renegotiationsRefused).to.equal(1);
    });
  });
});
