// SocketPool (adapter): link sockets bound and gathered ahead of their pairs, on loopback against
// the embedded signaling service's STUN responder.
import { expect } from 'chai';
import { startEmbeddedSignaling, type EmbeddedSignaling } from '../../src/adapter/embedded-signaling.js';
import { SocketPool } from '../../src/adapter/socket-pool.js';
import { notLocal } from './not-local.js';

describe('SocketPool', function () {
  this.timeout(20_000);
  let signaling: EmbeddedSignaling;
  let stun: { address: string; port: number };

  before(async () => {
    signaling = await startEmbeddedSignaling();
    const [address, port] = signaling.stunAddress!.split(':');
    stun = { address: address!, port: Number(port) };
  });

  after(async () => {
    await signaling.close();
  });

  it('gathers the asked number of sockets on distinct ports, hands each out once, then none', async () => {
    const pool = new SocketPool(2, { bindAddress: '127.0.0.1', stunServers: [stun] });
    expect(pool.size).to.equal(2);
    const a = await pool.take();
    const b = await pool.take();
    expect(pool.take()).to.equal(undefined);
    try {
      for (const s of [a, b]) {
        expect(s).to.not.equal(undefined);
        expect(s!.candidates.length).to.be.greaterThan(0);
        expect(s!.candidates.every((c) => c.address === '127.0.0.1' && c.port === s!.host.getLocalPort())).to.equal(true);
      }
      expect(a!.host.getLocalPort()).to.not.equal(b!.host.getLocalPort());
    } finally {
      a?.host.destroy();
      b?.host.destroy();
      pool.close();
    }
  });

  it('hands out nothing once closed', async () => {
    const pool = new SocketPool(3, { bindAddress: '127.0.0.1', stunServers: [stun] });
    pool.close();
    expect(pool.size).to.equal(0);
    expect(pool.take()).to.equal(undefined);
  });

  it('resolves a socket that could not be bound to undefined (its link gathers its own)', async () => {
    // A TEST-NET-1 address of no interface here: the bind fails, nothing is sent.
    const pool = new SocketPool(1, { bindAddress: notLocal('192.0.2'), stunServers: [stun] });
    expect(await pool.take()).to.equal(undefined);
    pool.close();
  });

  it('floors a negative count at 0', () => {
    const none = new SocketPool(-3, { bindAddress: '127.0.0.1', stunServers: [stun] });
    expect(none.size).to.equal(0);
    none.close();
  });
});
