// Active attacks on the path (sim): a man in the middle that rewrites handshake bytes is caught by
// the signature or the Finished check, a forged plaintext alert cannot tear down a connected link,
// and an expired certificate is refused when a wall clock is given.
import { expect } from 'chai';
import { Prng, SimDriver, SimNet, seedFromEnv, type Endpoint, type MutableEndpoint, type SansIoCore } from '@meshpunch/sim';
import { DtlsSession, generateIdentity, nodeDtlsCrypto, type DtlsEvent } from '../../src/index.js';
import { pinnedPair, prngRandom } from '../helpers/peers.js';

const A = { address: '10.0.0.1', port: 4000 };
const B = { address: '10.0.0.2', port: 5000 };

/** Passes datagrams to `inner` after `rewrite` (the attacker sits right in front of this host). */
class Tampered implements SansIoCore {
  constructor(readonly inner: DtlsSession, readonly rewrite: (bytes: Uint8Array) => Uint8Array) {}
  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): void {
    this.inner.handleDatagram(now, from, this.rewrite(bytes.slice()));
  }
  handleTimeout(now: number): void {
    this.inner.handleTimeout(now);
  }
  pollTransmit(now: number, out: Uint8Array, to: MutableEndpoint): number {
    return this.inner.pollTransmit(now, out, to);
  }
  pollTimeout(): number | undefined {
    return this.inner.pollTimeout();
  }
}

function drain(s: DtlsSession): DtlsEvent[] {
  const out: DtlsEvent[] = [];
  for (let e = s.pollEvent(); e !== undefined; e = s.pollEvent()) out.push(e);
  return out;
}

function run(seed: number, rewriteAtServer: (b: Uint8Array) => Uint8Array, clientExtra: object = {}, serverExtra: object = {}) {
  const prng = new Prng(seed);
  const sim = new SimDriver(new SimNet({ prng, defaultLink: { latencyMs: 5 } }));
  const opts = pinnedPair(prngRandom(prng));
  const client = new DtlsSession({ ...opts.client, ...clientExtra }, B);
  const server = new DtlsSession({ ...opts.server, ...serverExtra }, A);
  server.acceptHandshake(0);
  sim.add(client, A.address, A.port);
  sim.add(new Tampered(server, rewriteAtServer), B.address, B.port);
  client.connect(0);
  sim.runUntilIdle({ maxVirtualMs: 60_000 });
  return { client, server, ce: drain(client), se: drain(server) };
}

/** ClientHello layout in a datagram: record header 13, handshake header 12, version 2, random 32. */
const isClientHello = (b: Uint8Array): boolean => b[0] === 22 && b[3] === 0 && b[4] === 0 && b[13] === 1;

describe('DtlsSession against a man in the middle (sim)', () => {
  // cipher_suites start after random(32), session_id<1>, cookie<1> and the 2-byte list length.
  const downgrade = (b: Uint8Array): Uint8Array => {
    if (isClientHello(b)) b[13 + 12 + 2 + 32 + 1 + 1 + 2 + 3] = 0xa8; // 0xcca9 → 0xcca8 (ours ignores it)
    return b;
  };

  it('catches a rewritten cipher suite list (a downgrade attempt) with DTLS_BAD_FINISHED (server-only auth)', () => {
    const { ce, se } = run(seedFromEnv(51), downgrade, {}, { expectedFingerprint: undefined, requireClientCertificate: false });
    const err = se.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.error.code).to.equal('DTLS_BAD_FINISHED');
    // EMS keys hash the transcript, so the client's Finished never decrypts at the server.
    expect(err?.type === 'error' && err.error.message).to.equal('peer Finished failed to decrypt 3 times: the two handshake transcripts differ');
    expect(ce.find((e) => e.type === 'error')).to.deep.nested.include({ 'error.code': 'DTLS_ALERT_RECEIVED', 'error.alert': 20 });
  });

  it('catches the same rewrite with DTLS_BAD_SIGNATURE on CertificateVerify under mutual auth', () => {
    const { se } = run(seedFromEnv(56), downgrade);
    const err = se.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.error.code).to.equal('DTLS_BAD_SIGNATURE');
    expect(err?.type === 'error' && err.error.message).to.equal('CertificateVerify signature does not verify with the client certificate');
  });

  it('catches a rewritten ClientHello random with DTLS_BAD_SIGNATURE at the client (ServerKeyExchange signs it)', () => {
    const { ce, server } = run(seedFromEnv(52), (b) => {
      if (isClientHello(b)) b[13 + 12 + 2] ^= 1;
      return b;
    });
    const err = ce.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.error.code).to.equal('DTLS_BAD_SIGNATURE');
    expect(server.state).to.equal('failed');
  });

  it('ignores a forged plaintext fatal alert once connected (only protected alerts count)', () => {
    const prng = new Prng(seedFromEnv(53));
    const sim = new SimDriver(new SimNet({ prng }));
    const opts = pinnedPair(prngRandom(prng));
    const client = new DtlsSession(opts.client, B);
    const server = new DtlsSession(opts.server, A);
    server.acceptHandshake(0);
    sim.add(client, A.address, A.port);
    sim.add(server, B.address, B.port);
    client.connect(0);
    sim.runUntil(() => client.isConnected && server.isConnected, { maxVirtualMs: 5000 });
    // Epoch 0, seq 99, alert fatal handshake_failure, from the client's address.
    server.handleDatagram(sim.now, A, Uint8Array.of(21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 99, 0, 2, 2, 40));
    expect(server.isConnected).to.equal(true);
    expect(server.counters.recordsUnexpected).to.equal(1);
  });

  it('refuses an expired certificate with DTLS_CERTIFICATE_EXPIRED when wallClockMs is given', () => {
    const old = generateIdentity({ nowMs: Date.UTC(2020, 0, 1), validityDays: 1 });
    const prng = new Prng(seedFromEnv(54));
    const sim = new SimDriver(new SimNet({ prng }));
    const client = new DtlsSession({ role: 'client', crypto: nodeDtlsCrypto, random: prngRandom(prng), expectedFingerprint: old.fingerprint, wallClockMs: () => Date.UTC(2026, 11, 6) }, B);
    const server = new DtlsSession({ role: 'server', crypto: nodeDtlsCrypto, random: prngRandom(prng), identity: old.identity }, A);
    server.acceptHandshake(0);
    sim.add(client, A.address, A.port);
    sim.add(server, B.address, B.port);
    client.connect(0);
    sim.runUntilIdle({ maxVirtualMs: 60_000 });
    const err = drain(client).find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.error.code).to.equal('DTLS_CERTIFICATE_EXPIRED');
    expect(err?.type === 'error' && err.error.alert).to.equal(45);
  });

  it('connects an unsafe client to any server and still reports the server fingerprint', () => {
    const { client, ce } = run(seedFromEnv(55), (b) => b, { unsafe: true, expectedFingerprint: undefined });
    expect(client.isConnected).to.equal(true);
    expect(ce[0]?.type === 'connected' && ce[0].peerFingerprint).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
});
