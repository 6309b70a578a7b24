// The whole stack across the NAT matrix (issue #15): signaling core + client sessions, STUN, the
// punch, the ENet handshake on the punched socket and the mesh (stack-world.ts), for every pair of
// NAT types, with seeds. Where a pair can punch, both meshes hold each other and a reliable packet
// crosses; where it cannot (natlab.md §3.6: endpoint-dependent mapping against port-dependent
// filtering), this simulation has no relay, so it expects the typed failure: both links end
// `punch-timeout`, both report it, and the service marks the link failed. (The relay for those
// pairs is proven in the NAT lab with coturn: test/natlab.)
import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import type { LinkView } from '@meshpunch/protocol';
import { StackWorld, type NatKind } from './stack-world.js';

const SEEDS = [seedFromEnv(15_401), 15_402];
const KINDS: NatKind[] = ['none', 'full-cone', 'address-restricted', 'port-restricted', 'symmetric'];

/** Same rule as link-nat-matrix.test.ts: punching fails when one side maps per destination and the other filters by port. */
function canPunch(a: NatKind, b: NatKind): boolean {
  const hard = (k: NatKind): boolean => k === 'symmetric';
  const portFilter = (k: NatKind): boolean => k === 'port-restricted' || k === 'symmetric';
  return !((hard(a) && portFilter(b)) || (hard(b) && portFilter(a)));
}

for (const seed of SEEDS) {
  describe(`the whole stack across the NAT matrix (seed ${seed})`, () => {
    for (const a of KINDS) {
      for (const b of KINDS) {
        const up = canPunch(a, b);
        it(`${a} ↔ ${b}: ${up ? 'a mesh link, ENet connected, a packet each way' : 'punch-timeout on both sides (typed), reported, the service marks the link failed'}`, () => {
          const w = new StackWorld(seed);
          const x = w.agent('x', a, 1);
          const y = w.agent('y', b, 2);
          w.join(x, `matrix-${seed}`);
          w.join(y, `matrix-${seed}`);
          expect(x.you).to.equal(1);
          const settled = (): boolean => x.links.size === 1 && y.links.size === 1
            && [...x.links.values(), ...y.links.values()].every((l) => !l.machine.isActive);
          w.runUntil(settled, 60_000);
          w.runFor(500);
          for (const ag of [x, y]) expect([...ag.signal.answers.values()].filter((r) => r.error !== undefined), `${ag.name}: every request answered`).to.deep.equal([]);
          const ox = x.outcomeWith(y.you!);
          const oy = y.outcomeWith(x.you!);
          const linkOf = (v: LinkView[]): LinkView | undefined => v.find((l) => (l.a === x.you && l.b === y.you) || (l.a === y.you && l.b === x.you));
          if (up) {
            expect(ox, JSON.stringify(ox)).to.include({ ok: true });
            expect(oy, JSON.stringify(oy)).to.include({ ok: true });
            expect(x.meshJoined).to.deep.equal([y.you]);
            expect(y.meshJoined).to.deep.equal([x.you]);
            x.mesh.setTargetPeer(y.you!);
            x.mesh.putPacket(Uint8Array.of(1, 2, 3));
            y.mesh.setTargetPeer(x.you!);
            y.mesh.putPacket(Uint8Array.of(4, 5));
            w.runUntil(() => x.received.length === 1 && y.received.length === 1, 10_000);
            expect(y.received).to.deep.equal([{ from: x.you, data: [1, 2, 3] }]);
            expect(x.received).to.deep.equal([{ from: y.you, data: [4, 5] }]);
            w.runUntil(() => linkOf(x.signal.session.lobby!.links)?.state === 'connected', 5000);
          } else {
            expect(ox, JSON.stringify(ox)).to.deep.include({ ok: false, reason: 'punch-timeout' });
            expect(oy, JSON.stringify(oy)).to.deep.include({ ok: false, reason: 'punch-timeout' });
            expect(x.meshJoined).to.deep.equal([]);
            expect(y.meshJoined).to.deep.equal([]);
            w.runUntil(() => linkOf(x.signal.session.lobby!.links)?.state === 'failed', 5000);
          }
        });
      }
    }

    it('a mesh of three behind full-cone, port-restricted and no NAT: every pair linked, a broadcast reaches both others', () => {
      const w = new StackWorld(seed);
      const agents = [w.agent('p', 'full-cone', 1), w.agent('q', 'port-restricted', 2), w.agent('r', 'none', 3)];
      for (const ag of agents) w.join(ag, `trio-${seed}`);
      w.runUntil(() => agents.every((ag) => ag.meshJoined.length === 2), 60_000);
      for (const ag of agents) expect([...ag.meshJoined].sort()).to.deep.equal(agents.filter((o) => o !== ag).map((o) => o.you!).sort());
      agents[0]!.mesh.setTargetPeer(0);
      agents[0]!.mesh.putPacket(Uint8Array.of(9));
      w.runUntil(() => agents.slice(1).every((ag) => ag.received.length === 1), 10_000);
      for (const ag of agents.slice(1)) expect(ag.received).to.deep.equal([{ from: agents[0]!.you, data: [9] }]);
    });
  });
}
