import { expect } from 'chai';
import { NatBox, Prng, SimNet, endpointKey, type Datagram, type NatBoxOptions } from '../../src/index.js';

/** One ordered row: at virtual time `at`, a datagram `from` → `to` crosses the box. */
interface Row {
  at: number;
  from: string;
  to: string;
  /** "a.b.c.d:port" the datagram leaves with (outbound: new source; inbound: new destination), or "drop". */
  expect: string;
}

const PUBLIC = '198.51.100.1';

function ep(text: string): { address: string; port: number } {
  const i = text.lastIndexOf(':');
  return { address: text.slice(0, i), port: Number(text.slice(i + 1)) };
}

/** Runs rows in order; a row whose `to` is the public address goes inbound, others outbound. */
function runRows(options: Partial<NatBoxOptions>, rows: Row[]): void {
  const box = new NatBox({ insideRealm: 'lan', publicAddress: PUBLIC, ...options });
  let id = 1;
  for (const row of rows) {
    const dg: Datagram = { id: id++, from: ep(row.from), to: ep(row.to), bytes: new Uint8Array(1) };
    const inbound = dg.to.address === PUBLIC && !dg.from.address.startsWith('10.');
    const out = inbound ? box.inbound(row.at, dg) : box.outbound(row.at, dg);
    const got = out ? endpointKey(...(inbound ? [out.to.address, out.to.port] as const : [out.from.address, out.from.port] as const)) : 'drop';
    expect(got, `row at ${row.at}: ${row.from} -> ${row.to}`).to.equal(row.expect);
  }
}

describe('NatBox', () => {
  describe('port-restricted cone (EIM mapping, APDF filtering, port preserving)', () => {
    it('maps one inside endpoint to one public port and admits only contacted address:ports', () => {
      runRows({ mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' }, [
        { at: 0, from: '10.0.0.2:5000', to: '203.0.113.10:3478', expect: `${PUBLIC}:5000` },
        { at: 10, from: '10.0.0.2:5000', to: '203.0.113.11:3479', expect: `${PUBLIC}:5000` },
        { at: 20, from: '203.0.113.10:3478', to: `${PUBLIC}:5000`, expect: '10.0.0.2:5000' },
        { at: 30, from: '203.0.113.10:3479', to: `${PUBLIC}:5000`, expect: 'drop' },
        { at: 40, from: '203.0.113.12:3478', to: `${PUBLIC}:5000`, expect: 'drop' },
        { at: 50, from: '203.0.113.10:3478', to: `${PUBLIC}:6000`, expect: 'drop' },
      ]);
    });

    it('falls back to another port when the inside port is taken by another host', () => {
      const box = new NatBox({ insideRealm: 'lan', publicAddress: PUBLIC, prng: new Prng(3) });
      const a = box.outbound(0, { id: 1, from: ep('10.0.0.2:5000'), to: ep('203.0.113.10:3478'), bytes: new Uint8Array(1) });
      const b = box.outbound(1, { id: 2, from: ep('10.0.0.3:5000'), to: ep('203.0.113.10:3478'), bytes: new Uint8Array(1) });
      expect(a!.from.port).to.equal(5000);
      expect(b!.from.port).to.not.equal(5000);
      expect(box.counters.mappingsCreated).to.equal(2);
    });

    it('expires a mapping after the timeout without outbound traffic (RFC 4787 REQ-5)', () => {
      runRows({ mappingTimeoutMs: 120_000 }, [
        { at: 0, from: '10.0.0.2:5000', to: '203.0.113.10:3478', expect: `${PUBLIC}:5000` },
        { at: 100_000, from: '203.0.113.10:3478', to: `${PUBLIC}:5000`, expect: '10.0.0.2:5000' },
        { at: 110_000, from: '10.0.0.2:5000', to: '203.0.113.10:3478', expect: `${PUBLIC}:5000` },
        { at: 229_000, from: '203.0.113.10:3478', to: `${PUBLIC}:5000`, expect: '10.0.0.2:5000' },
        { at: 231_000, from: '203.0.113.10:3478', to: `${PUBLIC}:5000`, expect: 'drop' },
      ]);
    });
  });

  describe('full cone (EIM, EIF)', () => {
    it('admits anyone once a mapping exists', () => {
      runRows({ filtering: 'endpoint-independent' }, [
        { at: 0, from: '10.0.0.2:5000', to: '203.0.113.10:3478', expect: `${PUBLIC}:5000` },
        { at: 1, from: '203.0.113.99:1', to: `${PUBLIC}:5000`, expect: '10.0.0.2:5000' },
        { at: 2, from: '203.0.113.10:3479', to: `${PUBLIC}:5000`, expect: '10.0.0.2:5000' },
      ]);
    });
  });

  describe('address-restricted cone (EIM, ADF)', () => {
    it('admits any port of a contacted address only', () => {
      runRows({ filtering: 'address-dependent' }, [
        { at: 0, from: '10.0.0.2:5000', to: '203.0.113.10:3478', expect: `${PUBLIC}:5000` },
        { at: 1, from: '203.0.113.10:3479', to: `${PUBLIC}:5000`, expect: '10.0.0.2:5000' },
        { at: 2, from: '203.0.113.11:3478', to: `${PUBLIC}:5000`, expect: 'drop' },
      ]);
    });
  });

  describe('symmetric (APDM, APDF, random ports)', () => {
    it('gives each destination its own public port and admits only replies', () => {
      const box = new NatBox({
        insideRealm: 'lan', publicAddress: PUBLIC, mapping: 'address-and-port-dependent',
        filtering: 'address-and-port-dependent', portAllocation: 'random', prng: new Prng(11),
      });
      const send = (at: number, to: string) =>
        box.outbound(at, { id: at, from: ep('10.0.0.2:5000'), to: ep(to), bytes: new Uint8Array(1) })!.from.port;
      const p1 = send(0, '203.0.113.10:3478');
      const p2 = send(1, '203.0.113.10:3479');
      const p3 = send(2, '203.0.113.11:3478');
      const p1again = send(3, '203.0.113.10:3478');
      expect(new Set([p1, p2, p3]).size).to.equal(3);
      expect(p1again).to.equal(p1);
      runRows({ mapping: 'address-and-port-dependent', portAllocation: 'sequential', portRange: [20000, 20099] }, [
        { at: 0, from: '10.0.0.2:5000', to: '203.0.113.10:3478', expect: `${PUBLIC}:20000` },
        { at: 1, from: '10.0.0.2:5000', to: '203.0.113.10:3479', expect: `${PUBLIC}:20001` },
        { at: 2, from: '203.0.113.10:3478', to: `${PUBLIC}:20001`, expect: 'drop' },
        { at: 3, from: '203.0.113.10:3479', to: `${PUBLIC}:20001`, expect: '10.0.0.2:5000' },
      ]);
    });
  });

  describe('address-dependent mapping', () => {
    it('shares a mapping across ports of one remote address only', () => {
      runRows({ mapping: 'address-dependent', portAllocation: 'sequential', portRange: [30000, 30010] }, [
        { at: 0, from: '10.0.0.2:5000', to: '203.0.113.10:3478', expect: `${PUBLIC}:30000` },
        { at: 1, from: '10.0.0.2:5000', to: '203.0.113.10:3479', expect: `${PUBLIC}:30000` },
        { at: 2, from: '10.0.0.2:5000', to: '203.0.113.11:3478', expect: `${PUBLIC}:30001` },
      ]);
    });
  });

  describe('hairpinning', () => {
    const routeOnce = (hairpin: boolean) => {
      const net = new SimNet();
      const box = new NatBox({ insideRealm: 'lan', publicAddress: PUBLIC, hairpin, filtering: 'endpoint-independent' });
      net.addGateway(box);
      net.addHost('10.0.0.2', 'lan');
      net.addHost('10.0.0.3', 'lan');
      const got: Datagram[] = [];
      net.bind('10.0.0.2', 5000, () => undefined);
      net.bind('10.0.0.3', 6000, (_now, dg) => got.push(dg));
      // 10.0.0.3:6000 opens its mapping (public port 6000), then 10.0.0.2 sends to that public endpoint.
      net.send(0, ep('10.0.0.3:6000'), ep('203.0.113.10:3478'), new Uint8Array(1));
      net.send(0, ep('10.0.0.2:5000'), ep(`${PUBLIC}:6000`), new Uint8Array(1));
      net.deliverDue(10);
      return { got, box };
    };
    it('loops a datagram to the own public address back in, from the sender\'s public endpoint, when on', () => {
      const { got, box } = routeOnce(true);
      expect(got.map((d) => endpointKey(d.from.address, d.from.port))).to.deep.equal([`${PUBLIC}:5000`]);
      expect(box.counters.hairpinned).to.equal(1);
    });
    it('drops and counts it when off', () => {
      const { got, box } = routeOnce(false);
      expect(got).to.deep.equal([]);
      expect(box.counters.droppedHairpin).to.equal(1);
    });
  });

  describe('#addPortForward (UPnP/NAT-PMP)', () => {
    it('admits anyone to the forwarded port, answers from it, and stops at the end of the lease', () => {
      const box = new NatBox({ insideRealm: 'lan', publicAddress: PUBLIC, mapping: 'address-and-port-dependent', portAllocation: 'random', prng: new Prng(5) });
      expect(box.addPortForward(0, ep('10.0.0.2:5000'), 51000, 60_000)).to.equal(true);
      expect(box.addPortForward(1, ep('10.0.0.3:5000'), 51000)).to.equal(false);
      const dg = (from: string, to: string): Datagram => ({ id: 1, from: ep(from), to: ep(to), bytes: new Uint8Array(1) });
      expect(box.inbound(10, dg('203.0.113.9:7', `${PUBLIC}:51000`))?.to).to.deep.equal(ep('10.0.0.2:5000'));
      // The reply to that remote leaves from the forwarded port, as conntrack does after a DNAT.
      expect(box.outbound(11, dg('10.0.0.2:5000', '203.0.113.9:7'))?.from).to.deep.equal(ep(`${PUBLIC}:51000`));
      // A new flow to someone else gets the NAT's own (symmetric, random) mapping.
      expect(box.outbound(12, dg('10.0.0.2:5000', '203.0.113.8:7'))?.from.port).to.not.equal(51000);
      expect(box.inbound(60_000, dg('203.0.113.9:7', `${PUBLIC}:51000`))).to.equal(undefined);
      expect(box.removePortForward(60_001, 51000)).to.equal(false);
    });
  });

  describe('#outbound limits', () => {
    it('drops and counts new flows past maxMappings', () => {
      const box = new NatBox({ insideRealm: 'lan', publicAddress: PUBLIC, maxMappings: 2 });
      for (let i = 0; i < 3; i++) box.outbound(i, { id: i, from: ep(`10.0.0.2:${5000 + i}`), to: ep('203.0.113.10:1'), bytes: new Uint8Array(1) });
      expect(box.counters.droppedTableFull).to.equal(1);
      expect(box.mappingCount(3)).to.equal(2);
    });
  });
});
