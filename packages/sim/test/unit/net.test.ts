import { expect } from 'chai';
import { Prng, SimClock, SimNet, SimDriver, type Datagram, type Gateway, type SansIoCore, type Endpoint, type MutableEndpoint } from '../../src/index.js';

/** Echoes every datagram back to its sender once; a minimal sans-IO core for driving tests. */
class Echo implements SansIoCore {
  received: Array<{ from: Endpoint; bytes: Uint8Array; at: number }> = [];
  #out: Array<{ to: Endpoint; bytes: Uint8Array }> = [];
  constructor(readonly reply: boolean) {}
  send(to: Endpoint, bytes: Uint8Array): void { this.#out.push({ to, bytes }); }
  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): void {
    this.received.push({ from: { ...from }, bytes: bytes.slice(), at: now });
    if (this.reply) this.#out.push({ to: { ...from }, bytes: bytes.slice() });
  }
  handleTimeout(): void {}
  pollTransmit(_now: number, out: Uint8Array, to: MutableEndpoint): number {
    const next = this.#out.shift();
    if (!next) return 0;
    out.set(next.bytes);
    to.address = next.to.address;
    to.port = next.to.port;
    return next.bytes.length;
  }
  pollTimeout(): number | undefined { return undefined; }
}

describe('Prng', () => {
  it('replays the same sequence for the same seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    const ys = Array.from({ length: 100 }, () => b.nextUint32());
    expect(xs).to.deep.equal(ys);
    expect(new Set(xs).size).to.equal(100);
  });
  it('keeps int() inside its inclusive bounds', () => {
    const p = new Prng(7);
    for (let i = 0; i < 10_000; i++) {
      const v = p.int(3, 9);
      expect(v).to.be.within(3, 9);
    }
  });
});

describe('SimClock', () => {
  it('never goes backwards', () => {
    const c = new SimClock();
    c.advanceTo(50);
    c.advanceTo(10);
    expect(c.now).to.equal(50);
  });
});

describe('SimDriver', () => {
  it('delivers a datagram after the link latency and its echo after twice that', () => {
    const net = new SimNet({ defaultLink: { latencyMs: 20 } });
    const d = new SimDriver(net);
    const a = new Echo(false);
    const b = new Echo(true);
    d.add(a, '203.0.113.1', 1000);
    d.add(b, '203.0.113.2', 2000);
    a.send({ address: '203.0.113.2', port: 2000 }, Uint8Array.of(1, 2, 3));
    d.runUntil(() => a.received.length === 1, { maxVirtualMs: 1000 });
    expect(b.received[0]!.at).to.equal(20);
    expect(a.received[0]!.at).to.equal(40);
    expect([...a.received[0]!.bytes]).to.deep.equal([1, 2, 3]);
  });

  it('loses about the configured share of datagrams', () => {
    const net = new SimNet({ prng: new Prng(3), defaultLink: { loss: 0.2 } });
    const d = new SimDriver(net);
    const a = new Echo(false);
    const b = new Echo(false);
    d.add(a, '203.0.113.1', 1);
    d.add(b, '203.0.113.2', 2);
    for (let i = 0; i < 5000; i++) a.send({ address: '203.0.113.2', port: 2 }, Uint8Array.of(i & 0xff));
    d.runUntilIdle({ maxVirtualMs: 1000 });
    expect(b.received.length).to.be.within(3800, 4200);
    expect(net.counters.lost + b.received.length).to.equal(5000);
  });

  it('routes through a gateway that rewrites the source', () => {
    const net = new SimNet();
    const gw: Gateway = {
      insideRealm: 'lan', outsideRealm: 'internet', publicAddress: '198.51.100.1',
      outbound: (_now: number, dg: Datagram) => ({ ...dg, from: { address: '198.51.100.1', port: dg.from.port } }),
      inbound: (_now: number, dg: Datagram) => ({ ...dg, to: { address: '10.0.0.2', port: dg.to.port } }),
    };
    net.addGateway(gw);
    const d = new SimDriver(net);
    const inside = new Echo(false);
    const outside = new Echo(true);
    d.add(inside, '10.0.0.2', 5000, 'lan');
    d.add(outside, '203.0.113.9', 3478);
    inside.send({ address: '203.0.113.9', port: 3478 }, Uint8Array.of(9));
    d.runUntil(() => inside.received.length === 1, { maxVirtualMs: 100 });
    expect(outside.received[0]!.from).to.deep.equal({ address: '198.51.100.1', port: 5000 });
  });

  it('throws a SimLimitError naming the seed when the condition never holds', () => {
    const d = new SimDriver(new SimNet({ prng: new Prng(99) }));
    d.add(new Echo(false), '203.0.113.1', 1);
    expect(() => d.runUntil(() => false, { maxVirtualMs: 10 })).to.throw(/MESHPUNCH_SEED=99/);
  });
});
