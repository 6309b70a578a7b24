// ENetConnection.dtlsServerSetup / dtlsClientSetup (Godot 4's ENet DTLS, godot-enet.md §8) between
// two of our hosts on real loopback sockets: every channel and flag, 1 MB reliable packets both
// ways, only DTLS records on the wire, verification on by default (wrong host name, wrong pin,
// untrusted certificate refused with a typed DtlsError), plain ENet refused, close_notify on
// destroy, and the API's errors.
import { expect } from 'chai';
import { classifyDatagram, generateIdentity, type GeneratedIdentity } from '@meshpunch/dtls';
import {
  ENetConnection, EventType, FLAG_RELIABLE, FLAG_UNRELIABLE_FRAGMENT, FLAG_UNSEQUENCED, PeerState, TLSOptions,
  type ENetEvent, type ENetPacketPeer, type SecureHostEvent,
} from '../../src/index.js';
import { datagramsArrive, nextEvent as pump, serviceUntil } from './support.js';

/**
 * Services both hosts for about `ms`: only for the one check that nothing happens after a refusal
 * (no event marks "ENet gave up"; every wait on something that does happen uses support.ts).
 */
async function idle(hosts: ENetConnection[], ms: number): Promise<ENetEvent[]> {
  const seen: ENetEvent[] = [];
  const until = performance.now() + ms;
  while (performance.now() < until) {
    for (const h of hosts) {
      const ev = await h.service(5);
      if (ev.type !== EventType.NONE) seen.push(ev);
    }
  }
  return seen;
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('ENetConnection over DTLS (loopback)', function () {
  this.timeout(30_000);
  let server: GeneratedIdentity;
  let client: GeneratedIdentity;
  let stranger: GeneratedIdentity;
  const cleanups: (() => void)[] = [];
  before(() => {
    server = generateIdentity({ commonName: 'game.example' });
    client = generateIdentity({ commonName: 'player' });
    stranger = generateIdentity({ commonName: 'game.example' });
  });
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  async function hosts(channels = 8): Promise<{ S: ENetConnection; C: ENetConnection; sEvents: SecureHostEvent[]; cEvents: SecureHostEvent[] }> {
    const S = new ENetConnection();
    const C = new ENetConnection();
    await S.createHostBound('127.0.0.1', 0, 4, channels);
    await C.createHostBound('127.0.0.1', 0, 1, channels);
    cleanups.push(() => S.destroy(), () => C.destroy());
    const sEvents: SecureHostEvent[] = [];
    const cEvents: SecureHostEvent[] = [];
    S.on('dtls', (e) => sEvents.push(e));
    C.on('dtls', (e) => cEvents.push(e));
    return { S, C, sEvents, cEvents };
  }

  async function connect(S: ENetConnection, C: ENetConnection, channels = 8): Promise<{ ps: ENetPacketPeer; pc: ENetPacketPeer }> {
    const pc = C.connectToHost('127.0.0.1', S.getLocalPort(), channels, 77);
    const ev = await pump([S, C], (e, h) => h === S && e.type === EventType.CONNECT);
    expect(ev.data).to.equal(77);
    if (pc.getState() !== PeerState.CONNECTED) await pump([C], (e) => e.type === EventType.CONNECT);
    return { ps: ev.peer!, pc };
  }

  it('carries every channel and flag, and 1 MB reliable packets both ways, as DTLS records only', async () => {
    const { S, C, sEvents, cEvents } = await hosts();
    S.dtlsServerSetup(TLSOptions.server(server.identity));
    C.dtlsClientSetup('game.example', TLSOptions.client(server.certificatePem));
    // Everything the server's socket receives is looked at before DTLS: only DTLS records may arrive.
    const kinds = new Map<string, number>();
    const marker = new TextEncoder().encode('PLAINTEXT-MARKER');
    let markerSeen = 0;
    S.intercept = (_from, bytes) => {
      const k = classifyDatagram(bytes);
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      if (Buffer.from(bytes).includes(Buffer.from(marker))) markerSeen++;
      return false;
    };
    const { ps, pc } = await connect(S, C);
    expect(S.isDtls() && C.isDtls()).to.equal(true);
    expect(cEvents.map((e) => e.type)).to.deep.equal(['connected']);
    expect(sEvents.map((e) => e.type)).to.deep.equal(['connected']);
    expect(cEvents[0]).to.include({ type: 'connected', peerFingerprint: server.fingerprint });

    // Every channel × every flag combination ENet has, each packet tagged with its channel and flags.
    const flagSets = [0, FLAG_RELIABLE, FLAG_UNSEQUENCED, FLAG_UNRELIABLE_FRAGMENT, FLAG_UNSEQUENCED | FLAG_UNRELIABLE_FRAGMENT];
    const sent: string[] = [];
    for (let ch = 0; ch < 8; ch++) {
      for (const flags of flagSets) {
        const body = new Uint8Array([...marker, ch, flags]);
        expect(pc.send(ch, body, flags)).to.equal(true);
        sent.push(`${ch}/${flags}`);
      }
    }
    // An unreliable packet above the MTU travels as unreliable fragments (flag 8).
    expect(pc.send(3, pattern(5000, 3), FLAG_UNRELIABLE_FRAGMENT)).to.equal(true);
    const got: string[] = [];
    let bigUnreliable = false;
    await pump([S, C], (e, h) => {
      if (h !== S || e.type !== EventType.RECEIVE) return false;
      const p = e.packet!;
      if (p.length === 5000) {
        expect(Buffer.from(p).equals(Buffer.from(pattern(5000, 3)))).to.equal(true);
        expect(e.channel).to.equal(3);
        bigUnreliable = true;
      } else {
        expect(p[p.length - 2]).to.equal(e.channel);
        got.push(`${e.channel}/${p[p.length - 1]!}`);
      }
      return got.length === sent.length && bigUnreliable;
    });
    // Loopback loses nothing, so every packet of every kind arrives (order differs across channels).
    expect([...got].sort()).to.deep.equal([...sent].sort());
    // Reliable flag is reported on receipt as sent.
    // 1 MB reliable each way, compared byte for byte.
    const bigC = pattern(1 << 20, 11);
    const bigS = pattern(1 << 20, 29);
    expect(pc.send(0, bigC, FLAG_RELIABLE)).to.equal(true);
    expect(ps.send(1, bigS, FLAG_RELIABLE)).to.equal(true);
    let atS: Uint8Array | undefined;
    let atC: Uint8Array | undefined;
    await pump([S, C], (e, h) => {
      if (e.type === EventType.RECEIVE && e.packet!.length === 1 << 20) {
        if (h === S) atS = e.packet!;
        else atC = e.packet!;
        expect(e.flags! & FLAG_RELIABLE).to.equal(FLAG_RELIABLE);
      }
      return atS !== undefined && atC !== undefined;
    }, '1 MiB delivered both ways', 20_000);
    expect(Buffer.from(atS!).equals(Buffer.from(bigC))).to.equal(true);
    expect(Buffer.from(atC!).equals(Buffer.from(bigS))).to.equal(true);
    expect(markerSeen, 'plaintext seen on the wire').to.equal(0);
    expect([...kinds.keys()]).to.deep.equal(['dtls']);
    expect(kinds.get('dtls')).to.be.greaterThan(800);
  });

  it('pinned fingerprints both ways (the mesh model) connect; the server sees the client fingerprint', async () => {
    const { S, C, sEvents } = await hosts(2);
    S.dtlsServerSetup(TLSOptions.pinned(server.identity, client.fingerprint));
    C.dtlsClientSetup('', TLSOptions.pinned(client.identity, server.fingerprint));
    const { pc } = await connect(S, C, 2);
    expect(sEvents[0]).to.include({ type: 'connected', peerFingerprint: client.fingerprint });
    pc.send(0, new Uint8Array([1, 2, 3]), FLAG_RELIABLE);
    const ev = await pump([S, C], (e, h) => h === S && e.type === EventType.RECEIVE);
    expect([...ev.packet!]).to.deep.equal([1, 2, 3]);
  });

  it('clientUnsafe connects to any certificate', async () => {
    const { S, C } = await hosts(2);
    S.dtlsServerSetup(TLSOptions.server(stranger.privateKeyPem, stranger.certificatePem));
    C.dtlsClientSetup('whatever', TLSOptions.clientUnsafe());
    await connect(S, C, 2);
  });

  const refusals: Array<[string, () => { server: TLSOptions; hostname: string; client: TLSOptions }, 'client' | 'server', string]> = [
    ['a certificate for another host name', () => ({ server: TLSOptions.server(server.identity), hostname: 'other.example', client: TLSOptions.client(server.certificatePem) }), 'client', 'DTLS_CERTIFICATE_HOSTNAME_MISMATCH'],
    ['a certificate no trusted one issued', () => ({ server: TLSOptions.server(stranger.identity), hostname: 'game.example', client: TLSOptions.client(server.certificatePem) }), 'client', 'DTLS_CERTIFICATE_UNTRUSTED'],
    ['a server presenting another fingerprint', () => ({ server: TLSOptions.pinned(stranger.identity, client.fingerprint), hostname: '', client: TLSOptions.pinned(client.identity, server.fingerprint) }), 'client', 'DTLS_FINGERPRINT_MISMATCH'],
    ['a client presenting another fingerprint', () => ({ server: TLSOptions.pinned(server.identity, client.fingerprint), hostname: '', client: TLSOptions.pinned(stranger.identity, server.fingerprint) }), 'server', 'DTLS_FINGERPRINT_MISMATCH'],
  ];
  for (const [what, make, side, code] of refusals) {
    it(`refuses ${what} (${code} on the ${side}) and ENet never connects`, async () => {
      const { S, C, sEvents, cEvents } = await hosts(2);
      const o = make();
      S.dtlsServerSetup(o.server);
      C.dtlsClientSetup(o.hostname, o.client);
      C.connectToHost('127.0.0.1', S.getLocalPort(), 2, 5);
      const events = side === 'client' ? cEvents : sEvents;
      await serviceUntil([S, C], () => events.some((e) => e.type === 'error'), `a DTLS error on the ${side}`);
      const err = events.find((e) => e.type === 'error');
      expect(err, `no error event on the ${side}`).to.not.equal(undefined);
      expect(err!.type === 'error' && err!.error.code).to.equal(code);
      const seen = await idle([S, C], 150);
      expect(seen.filter((e) => e.type === EventType.CONNECT)).to.deep.equal([]);
    });
  }

  it('a plain ENet client gets nothing from a DTLS server', async () => {
    const { S, C } = await hosts(2);
    S.dtlsServerSetup(TLSOptions.server(server.identity));
    // Judged once the server's socket has had the plain CONNECT: DTLS drops it before ENet.
    let landed = false;
    void datagramsArrive(S, 1).then(() => (landed = true));
    C.connectToHost('127.0.0.1', S.getLocalPort(), 2, 5);
    const seen = await serviceUntil([S, C], () => landed, 'the plain CONNECT reaches the DTLS server');
    expect(seen.filter((e) => e.type === EventType.CONNECT)).to.deep.equal([]);
    expect(S.statistics!.totalReceivedPackets).to.equal(0);
  });

  it('destroy() sends close_notify: the server learns at once', async () => {
    const { S, C, sEvents } = await hosts(2);
    S.dtlsServerSetup(TLSOptions.server(server.identity));
    C.dtlsClientSetup('game.example', TLSOptions.client([server.certificate]));
    await connect(S, C, 2);
    C.destroy();
    await serviceUntil([S], () => sEvents.some((e) => e.type === 'closed'), 'the server hears close_notify');
    expect(sEvents.find((e) => e.type === 'closed')).to.include({ type: 'closed', reason: 'peerClosed' });
  });

  it('checks its arguments (Godot error names)', async () => {
    const bare = new ENetConnection();
    expect(() => bare.dtlsServerSetup(TLSOptions.server(server.identity))).to.throw().with.property('code', 'ERR_UNCONFIGURED');
    const { S, C } = await hosts(2);
    expect(() => S.dtlsServerSetup(TLSOptions.clientUnsafe())).to.throw().with.property('code', 'ERR_INVALID_PARAMETER');
    expect(() => C.dtlsClientSetup('x', TLSOptions.server(server.identity))).to.throw().with.property('code', 'ERR_INVALID_PARAMETER');
    expect(() => C.dtlsClientSetup('x', null as unknown as TLSOptions)).to.throw().with.property('code', 'ERR_INVALID_PARAMETER');
    expect(() => TLSOptions.client([])).to.throw().with.property('code', 'ERR_INVALID_PARAMETER');
    expect(() => TLSOptions.client('no pem here')).to.throw().with.property('code', 'ERR_INVALID_PARAMETER');
    expect(() => C.dtlsClientSetup('', TLSOptions.pinned(client.identity, 'not-a-fingerprint'))).to.throw().with.property('code', 'ERR_INVALID_PARAMETER');
    S.dtlsServerSetup(TLSOptions.server(server.identity));
    expect(() => S.dtlsServerSetup(TLSOptions.server(server.identity))).to.throw().with.property('code', 'ERR_ALREADY_IN_USE');
    expect(TLSOptions.server(server.identity).isServer()).to.equal(true);
    expect(TLSOptions.clientUnsafe().isUnsafeClient()).to.equal(true);
    expect(TLSOptions.client(server.certificatePem, 'cn').getCommonNameOverride()).to.equal('cn');
  });
});
