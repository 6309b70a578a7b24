import { expect } from 'chai';
import { NatBox, Prng, SimDriver, SimNet, seedFromEnv } from '@meshpunch/sim';
import { StunClient, type StunClientEvent } from '../../src/index.js';
import { SimStunServer } from './sim-stun-server.js';

function drain(c: StunClient): StunClientEvent[] {
  const out: StunClientEvent[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) out.push(e);
  return out;
}

describe('StunClient (simulated)', () => {
  it('learns the public mapping from behind a port-restricted NAT', () => {
    const net = new SimNet();
    net.addGateway(new NatBox({ insideRealm: 'lan', publicAddress: '198.51.100.1' }));
    const server = new SimStunServer(net, { primaryIp: '203.0.113.10', alternateIp: '203.0.113.11' });
    const d = new SimDriver(net);
    const prng = new Prng(1);
    const c = new StunClient({ random: (b) => prng.fill(b) });
    d.add(c, '10.0.0.2', 40000, 'lan');
    c.request(d.now, server.primary);
    const events: StunClientEvent[] = [];
    d.runUntil(() => (events.push(...drain(c)), events.length > 0), { maxVirtualMs: 1000 });
    const e = events[0]!;
    expect(e.type).to.equal('stunSuccess');
    if (e.type !== 'stunSuccess') return;
    expect(e.mapped).to.deep.equal({ family: 4, address: '198.51.100.1', port: 40000 });
    expect(e.otherAddress).to.deep.equal({ family: 4, address: '203.0.113.11', port: 3479 });
    expect(e.responseOrigin).to.deep.equal({ family: 4, address: '203.0.113.10', port: 3478 });
    expect(e.rttMs).to.equal(2);
    expect(c.pollTimeout()).to.equal(undefined);
  });

  it('follows RFC 8489 §6.2.1 against a dead server: 7 requests at 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s, failure at 39.5 s', () => {
    const net = new SimNet();
    const server = new SimStunServer(net, { primaryIp: '203.0.113.10' });
    server.silent = true;
    const d = new SimDriver(net);
    const prng = new Prng(2);
    const c = new StunClient({ random: (b) => prng.fill(b) });
    d.add(c, '203.0.113.50', 40000);
    c.request(d.now, server.primary);
    const events: StunClientEvent[] = [];
    d.runUntil(() => (events.push(...drain(c)), events.length > 0), { maxVirtualMs: 60_000 });
    expect(server.requests.map((r) => r.at)).to.deep.equal([1, 501, 1501, 3501, 7501, 15501, 31501]);
    expect(d.now).to.equal(39_500);
    expect(events).to.deep.equal([{ type: 'stunFailure', id: 1, server: server.primary, reason: 'timeout', code: undefined, requestsSent: 7 }]);
    expect(c.counters.timeouts).to.equal(1);
  });

  it('honours a shortened schedule per request', () => {
    const net = new SimNet();
    const server = new SimStunServer(net, { primaryIp: '203.0.113.10' });
    server.silent = true;
    const d = new SimDriver(net);
    const prng = new Prng(3);
    const c = new StunClient({ random: (b) => prng.fill(b) });
    d.add(c, '203.0.113.50', 40000);
    c.request(d.now, server.primary, { rtoMs: 100, requestCount: 3, lastWaitFactor: 4 });
    d.runUntil(() => c.pending === 0, { maxVirtualMs: 5000 });
    expect(server.requests.length).to.equal(3);
    expect(d.now).to.equal(100 + 200 + 400);
  });

  it('reports a 420 error response when CHANGE-REQUEST goes to a one-address server', () => {
    const net = new SimNet();
    const server = new SimStunServer(net, { primaryIp: '203.0.113.10' });
    const d = new SimDriver(net);
    const prng = new Prng(4);
    const c = new StunClient({ random: (b) => prng.fill(b) });
    d.add(c, '203.0.113.50', 40000);
    c.request(d.now, server.primary, { changeRequest: { changeIp: true } });
    d.runUntil(() => c.pending === 0, { maxVirtualMs: 1000 });
    expect(drain(c)).to.deep.include({ type: 'stunFailure', id: 1, server: server.primary, reason: 'error-response', code: 420, requestsSent: 1 });
  });

  it('gets through 30 % loss by retransmitting, on 20 seeds', () => {
    for (let s = 0; s < 20; s++) {
      const seed = seedFromEnv(100 + s);
      const net = new SimNet({ prng: new Prng(seed), defaultLink: { loss: 0.3, latencyMs: 20, jitterMs: 10 } });
      const server = new SimStunServer(net, { primaryIp: '203.0.113.10' });
      const d = new SimDriver(net);
      const prng = new Prng(seed);
      const c = new StunClient({ random: (b) => prng.fill(b) });
      d.add(c, '203.0.113.50', 40000);
      c.request(d.now, server.primary);
      d.runUntil(() => c.pending === 0, { maxVirtualMs: 40_000 });
      const e = drain(c);
      expect(e[0]?.type, `seed ${seed}`).to.equal('stunSuccess');
    }
  });

  it('ignores responses to transactions it does not own and counts them', () => {
    const prng = new Prng(5);
    const c = new StunClient({ random: (b) => prng.fill(b) });
    const foreign = new Uint8Array(Buffer.from('0101000c2112a442000102030405060708090a0b002000080001a147e112a643', 'hex'));
    expect(c.handleDatagram(0, { address: '203.0.113.10', port: 3478 }, foreign)).to.equal(false);
    expect(c.handleDatagram(0, { address: '203.0.113.10', port: 3478 }, Uint8Array.of(0x80, 1, 2))).to.equal(false);
    expect(c.counters.unmatched).to.equal(1);
  });
});
