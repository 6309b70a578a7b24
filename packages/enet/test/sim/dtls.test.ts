// ENet over DTLS in the simulator (SecureHost = HostCore + DtlsTransport): the DTLS handshake and
// then ENet's own handshake and data over loss, reordering and duplication on a virtual clock,
// with DTLS flight retransmission (counted, so the test shows it happened), ordered reliable
// delivery of small and fragmented packets, and a server that never hears a plain ENet peer.
// Seeds replay with MESHPUNCH_SEED.
import { expect } from 'chai';
import { Prng, SimDriver, SimNet, seedFromEnv, type LinkConditions } from '@meshpunch/sim';
import { DtlsTransport, generateIdentity, nodeDtlsCrypto, type GeneratedIdentity } from '@meshpunch/dtls';
import { HostCore, PacketFlag, SecureHost, type CoreEvent, type SecureHostEvent } from '../../src/index.js';

const S = { address: '203.0.113.2', port: 2000 };
const C = { address: '198.51.100.7', port: 40000 };

interface Side {
  core: SecureHost;
  events: CoreEvent[];
  security: SecureHostEvent[];
}

function side(host: HostCore, transport: DtlsTransport): Side {
  return { core: new SecureHost(host, transport), events: [], security: [] };
}

function drain(s: Side): void {
  for (let e = s.core.pollEvent(); e !== undefined; e = s.core.pollEvent()) s.events.push(e);
  for (let e = s.core.pollSecurityEvent(); e !== undefined; e = s.core.pollSecurityEvent()) s.security.push(e);
}

let ids: GeneratedIdentity[] | undefined;
function identities(): GeneratedIdentity[] {
  ids ??= [generateIdentity({ commonName: 'server' }), generateIdentity({ commonName: 'client' })];
  return ids;
}

function world(seed: number, link: Partial<LinkConditions>): { sim: SimDriver; server: Side; client: Side } {
  const prng = new Prng(seed);
  const random = (out: Uint8Array): void => prng.fill(out);
  const sim = new SimDriver(new SimNet({ prng, defaultLink: { latencyMs: 15, ...link } }));
  const [srv, cli] = identities();
  const server = side(new HostCore({ random, peerCount: 4 }), new DtlsTransport({ role: 'server', crypto: nodeDtlsCrypto, random, identity: srv!.identity, expectedFingerprint: cli!.fingerprint, maxSessions: 4 }));
  const client = side(new HostCore({ random, peerCount: 1 }), new DtlsTransport({ role: 'client', crypto: nodeDtlsCrypto, random, identity: cli!.identity, expectedFingerprint: srv!.fingerprint }));
  sim.add(server.core, S.address, S.port);
  sim.add(client.core, C.address, C.port);
  return { sim, server, client };
}

function run(sim: SimDriver, sides: Side[], until: () => boolean, maxVirtualMs = 120_000): void {
  sim.runUntil(() => {
    for (const s of sides) drain(s);
    return until();
  }, { maxVirtualMs });
  for (const s of sides) drain(s);
}

describe('ENet over DTLS in the simulator', function () {
  this.timeout(60_000);
  const base = seedFromEnv(1800);

  it('connects and delivers 300 reliable packets (some fragmented) in order over 20% loss, reordering and duplication', () => {
    let retransmits = 0;
    for (let k = 0; k < 4; k++) {
      const seed = base + k;
      const { sim, server, client } = world(seed, { loss: 0.2, jitterMs: 10, reorder: 0.2, reorderDelayMs: 40, duplicate: 0.05 });
      const peer = client.core.host.connect(S.address, S.port, 2, 42)!;
      run(sim, [server, client], () => server.events.some((e) => e.type === 'connect') && client.events.some((e) => e.type === 'connect'));
      expect(server.events.find((e) => e.type === 'connect')!.data, `seed ${seed}`).to.equal(42);
      expect(client.security.find((e) => e.type === 'connected'), `seed ${seed}`).to.not.equal(undefined);
      const sent: number[] = [];
      for (let i = 0; i < 300; i++) {
        const size = i % 50 === 0 ? 6000 : 40 + (i % 7);
        const p = new Uint8Array(size);
        p[0] = i & 0xff;
        p[1] = i >> 8;
        client.core.host.send(peer, i % 2, p, PacketFlag.Reliable);
        sent.push(i);
      }
      sim.flush();
      const received = (): CoreEvent[] => server.events.filter((e) => e.type === 'receive');
      run(sim, [server, client], () => received().length === 300);
      for (const ch of [0, 1]) {
        const order = received().filter((e) => e.channelID === ch).map((e) => e.packet![0]! | (e.packet![1]! << 8));
        expect(order, `seed ${seed} channel ${ch}`).to.deep.equal(sent.filter((i) => i % 2 === ch));
      }
      const sess = client.core.transport.session(S.address, S.port)!;
      retransmits += sess.counters.handshakeRetransmits + server.core.transport.session(C.address, C.port)!.counters.handshakeRetransmits;
      expect(client.core.plaintextDropped + server.core.plaintextDropped, `seed ${seed}`).to.equal(0);
    }
    // At 20% loss over four seeds some flight is lost and resent: the retransmission path ran.
    expect(retransmits).to.be.greaterThan(0);
  });

  it('a flight lost entirely is resent after the retransmission timer (handshake survives 2.5 s of blackout)', () => {
    const { sim, server, client } = world(base + 100, {});
    // Every datagram in the first 2.5 s is lost: ClientHello and its first resend go nowhere.
    sim.net.cut(C.address);
    const origin = sim.now;
    client.core.host.connect(S.address, S.port, 1, 1);
    sim.flush();
    run(sim, [server, client], () => sim.now - origin >= 2500, 10_000);
    sim.net.cut(C.address, false);
    run(sim, [server, client], () => server.events.some((e) => e.type === 'connect'));
    expect(client.core.transport.session(S.address, S.port)!.counters.handshakeRetransmits).to.be.greaterThan(0);
  });

  it('a plain ENet host cannot reach a DTLS server (nothing reaches its ENet core)', () => {
    const prng = new Prng(base + 200);
    const random = (out: Uint8Array): void => prng.fill(out);
    const sim = new SimDriver(new SimNet({ prng, defaultLink: { latencyMs: 10 } }));
    const server = side(new HostCore({ random }), new DtlsTransport({ role: 'server', crypto: nodeDtlsCrypto, random, identity: identities()[0]!.identity }));
    const plain = new HostCore({ random });
    sim.add(server.core, S.address, S.port);
    sim.add(plain, C.address, C.port);
    plain.connect(S.address, S.port, 1, 1);
    sim.flush();
    sim.runUntil(() => sim.now > 8000, { maxVirtualMs: 30_000 });
    drain(server);
    expect(server.events).to.deep.equal([]);
    expect(server.core.host.stats.totalReceivedPackets).to.equal(0);
  });
});
