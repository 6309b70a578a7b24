import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import { NatDiscovery, type NatDiscoveryReport } from '../../src/index.js';
import { SimStunServer } from './sim-stun-server.js';
import { addHost, makeWorld, type Host, type NatKind, type World } from './world.js';

function discover(world: World, host: Host, servers: Array<{ address: string; port: number }>): NatDiscoveryReport {
  const d = new NatDiscovery({
    random: (b) => world.prng.fill(b),
    servers,
    localAddresses: [{ address: host.address, port: host.port }],
    now: world.driver.now,
  });
  host.mux.cores.push(d);
  world.driver.runUntil(() => d.report !== undefined, { maxVirtualMs: 30_000 });
  return d.report!;
}

describe('NatDiscovery (simulated)', () => {
  const rows: Array<{ kind: NatKind; mapping: string; filtering: string; allocation: string }> = [
    { kind: 'none', mapping: 'none', filtering: 'endpoint-independent', allocation: 'preserving' },
    { kind: 'full-cone', mapping: 'endpoint-independent', filtering: 'endpoint-independent', allocation: 'preserving' },
    { kind: 'address-restricted', mapping: 'endpoint-independent', filtering: 'address-dependent', allocation: 'preserving' },
    { kind: 'port-restricted', mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: 'preserving' },
    { kind: 'symmetric', mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', allocation: 'random' },
  ];
  for (const row of rows) {
    it(`classifies ${row.kind} as mapping ${row.mapping}, filtering ${row.filtering}, ports ${row.allocation} (RFC 5780 server, 1 % loss, 10 seeds)`, () => {
      for (let s = 0; s < 10; s++) {
        const seed = seedFromEnv(500 + s);
        const world = makeWorld(seed, { latencyMs: 5 + s * 3, jitterMs: s, loss: 0.01 });
        const host = addHost(world, 'a', row.kind);
        const r = discover(world, host, [world.server.primary, world.plainServer.primary]);
        const got = { udp: r.udp, rfc5780: r.rfc5780, mapping: r.mapping, filtering: r.filtering, allocation: r.portAllocation };
        expect(got, `seed ${seed}`).to.deep.equal({ udp: true, rfc5780: true, mapping: row.mapping, filtering: row.filtering, allocation: row.allocation });
        expect(r.durationMs, `seed ${seed}`).to.be.below(5000);
      }
    });
  }

  it('classifies address-dependent mapping with sequential ports', () => {
    const world = makeWorld(seedFromEnv(600));
    const host = addHost(world, 'a', 'address-restricted', {
      nat: { mapping: 'address-dependent', portAllocation: 'sequential', portRange: [30000, 30999] },
    });
    const r = discover(world, host, [world.server.primary, world.plainServer.primary]);
    expect([r.mapping, r.filtering, r.portAllocation, r.mappingVariesByDestIp]).to.deep.equal([
      'address-dependent', 'address-dependent', 'sequential', true,
    ]);
  });

  it('reports udp false and unknown behaviour when every server is silent', () => {
    const world = makeWorld(seedFromEnv(601));
    world.server.silent = true;
    world.plainServer.silent = true;
    const host = addHost(world, 'a', 'port-restricted');
    const r = discover(world, host, [world.server.primary, world.plainServer.primary]);
    expect([r.udp, r.mapping, r.filtering, r.portAllocation]).to.deep.equal([false, 'unknown', 'unknown', 'unknown']);
  });

  describe('with plain STUN servers only', () => {
    function plainWorld(seed: number, kind: NatKind) {
      const world = makeWorld(seedFromEnv(seed));
      const s2 = new SimStunServer(world.net, { primaryIp: '203.0.113.21' });
      const s3 = new SimStunServer(world.net, { primaryIp: '203.0.113.20', primaryPort: 3479 });
      const host = addHost(world, 'a', kind);
      return { world, host, servers: [world.plainServer.primary, s2.primary, s3.primary] };
    }
    it('finds endpoint-independent mapping and leaves filtering unknown', () => {
      const { world, host, servers } = plainWorld(610, 'port-restricted');
      const r = discover(world, host, servers);
      expect([r.rfc5780, r.mapping, r.filtering, r.mappingVariesByDestIp]).to.deep.equal([false, 'endpoint-independent', 'unknown', false]);
    });
    it('finds address-and-port-dependent mapping from two ports of one server IP', () => {
      const { world, host, servers } = plainWorld(611, 'symmetric');
      const r = discover(world, host, servers);
      expect([r.mapping, r.filtering, r.mappingVariesByDestIp, r.portAllocation]).to.deep.equal(['address-and-port-dependent', 'unknown', true, 'random']);
    });
    it('says only "varies by destination IP" when no two servers share an IP', () => {
      const { world, host, servers } = plainWorld(612, 'symmetric');
      const r = discover(world, host, servers.slice(0, 2));
      expect([r.mapping, r.mappingVariesByDestIp]).to.deep.equal(['unknown', true]);
    });
  });
});
