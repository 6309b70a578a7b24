// Wire compatibility of @meshpunch/enet with the npm `enet` 0.2.9 package (libenet compiled to JS
// by emscripten, an older 1.3.x snapshot): the core interop cases in both directions.
import { ENetConnection, EventType, FLAG_RELIABLE, FLAG_UNRELIABLE_FRAGMENT, FLAG_UNSEQUENCED, crc32, type ENetPacketPeer } from '@meshpunch/enet';
import { expect } from 'chai';
import { NpmEnetHost, type NpmEvent, type NpmPeer } from './support/npm-enet.js';
import { pattern } from './support/pattern.js';
import { Pump } from './support/pump.js';

type Direction = 'our client → npm enet server' | 'npm enet client → our server';
const DIRECTIONS: Direction[] = ['our client → npm enet server', 'npm enet client → our server'];
const CHANNELS = 3;

interface Session {
  npm: NpmEnetHost;
  npmPeer: NpmPeer;
  host: ENetConnection;
  pump: Pump;
  peer: ENetPacketPeer;
}

const cleanups: Array<() => Promise<void> | void> = [];

async function connect(dir: Direction, data: number): Promise<Session> {
  const host = new ENetConnection();
  if (dir === 'our client → npm enet server') {
    const npm = await NpmEnetHost.server(4, CHANNELS);
    cleanups.push(() => npm.destroy());
    await host.createHost(1, CHANNELS);
    const pump = new Pump(host);
    cleanups.push(async () => {
      await pump.stop();
      host.destroy();
    });
    const peer = await host.connectToHost('127.0.0.1', npm.port, CHANNELS, data);
    await pump.waitEvent((e) => e.type === EventType.CONNECT, 5000, 'CONNECT');
    const c = await npm.waitEvent((e) => e.type === 'connect', 5000, 'connect');
    expect(c.type === 'connect' && c.data, 'connect data seen by npm enet').to.equal(data);
    return { npm, npmPeer: c.peer, host, pump, peer };
  }
  await host.createHostBound('127.0.0.1', 0, 4, CHANNELS);
  const pump = new Pump(host);
  cleanups.push(async () => {
    await pump.stop();
    host.destroy();
  });
  const npm = await NpmEnetHost.client(CHANNELS);
  cleanups.push(() => npm.destroy());
  const npmPeer = npm.connect(host.getLocalPort(), CHANNELS, data);
  const ev = await pump.waitEvent((e) => e.type === EventType.CONNECT, 5000, 'CONNECT');
  expect(ev.data, 'connect data seen by our server').to.equal(data);
  await npm.waitEvent((e) => e.type === 'connect', 5000, 'connect');
  return { npm, npmPeer, host, pump, peer: ev.peer! };
}

type Recv = Extract<NpmEvent, { type: 'receive' }>;

describe('interop with npm enet 0.2.9', function () {
  this.timeout(30_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  for (const dir of DIRECTIONS) {
    describe(dir, () => {
      it('delivers the connect data and reliable, unreliable and unsequenced packets on several channels both ways', async () => {
        const s = await connect(dir, 0xabcdef01);
        const kinds = [FLAG_RELIABLE, 0, FLAG_UNSEQUENCED];
        for (let ch = 0; ch < CHANNELS; ch++) for (const f of kinds) s.peer.send(ch, pattern(10 + ch, 10 * ch + f + 1), f);
        const want = (ch: number, f: number, base: number): number => crc32(pattern(10 + ch, base + 10 * ch + f + 1));
        /**
         * Waits for every reliable packet (what must arrive, up to 10 s on a loaded machine), then
         * up to 3 s from the start for the unreliable ones (loopback and the throttle may drop them).
         */
        const settle = async (crcs: () => number[], base: number): Promise<void> => {
          const reliable = Array.from({ length: CHANNELS }, (_, ch) => want(ch, FLAG_RELIABLE, base));
          const t0 = Date.now();
          for (;;) {
            const have = crcs();
            const reliableIn = reliable.every((c) => have.includes(c));
            if (reliableIn && (have.length >= CHANNELS * 3 || Date.now() - t0 >= 3000)) return;
            if (!reliableIn && Date.now() - t0 >= 10_000) return; // the assertions below name what is missing
            await s.pump.idle(5);
          }
        };
        await settle(() => s.npm.events.flatMap((e) => (e.type === 'receive' ? [crc32(e.bytes)] : [])), 0);
        const got = s.npm.events.filter((e): e is Recv => e.type === 'receive');
        for (let ch = 0; ch < CHANNELS; ch++) {
          const crcs = got.filter((g) => g.channel === ch).map((g) => crc32(g.bytes));
          expect(crcs, `reliable on channel ${ch}`).to.include(want(ch, FLAG_RELIABLE, 0));
          expect(new Set(crcs).size, 'no duplicates').to.equal(crcs.length);
        }
        for (let ch = 0; ch < CHANNELS; ch++) for (const f of kinds) s.npm.send(s.npmPeer, ch, pattern(10 + ch, 100 + 10 * ch + f + 1), f);
        await settle(() => s.pump.events.flatMap((e) => (e.type === EventType.RECEIVE ? [crc32(e.packet!)] : [])), 100);
        const ours = s.pump.events.filter((e) => e.type === EventType.RECEIVE);
        for (let ch = 0; ch < CHANNELS; ch++) {
          const crcs = ours.filter((e) => e.channel === ch).map((e) => crc32(e.packet!));
          expect(crcs, `reliable on channel ${ch}`).to.include(want(ch, FLAG_RELIABLE, 100));
          expect(new Set(crcs).size, 'no duplicates').to.equal(crcs.length);
        }
      });

      it('moves 3 000-byte and 1 MB reliable packets both ways', async () => {
        const s = await connect(dir, 1);
        for (const size of [3000, 1 << 20]) {
          s.peer.send(1, pattern(size, 3), FLAG_RELIABLE);
          const r = (await s.npm.waitEvent((e) => e.type === 'receive', 15_000, `${size}-byte packet`)) as Recv;
          expect([r.bytes.length, crc32(r.bytes), r.channel]).to.deep.equal([size, crc32(pattern(size, 3)), 1]);
          s.npm.send(s.npmPeer, 2, pattern(size, 4), FLAG_RELIABLE);
          const [e] = await s.pump.receives(1, 15_000);
          expect([e!.packet!.length, crc32(e!.packet!), e!.channel]).to.deep.equal([size, crc32(pattern(size, 4)), 2]);
        }
      });

      it('moves 3 000-byte unreliable fragments both ways', async () => {
        const s = await connect(dir, 2);
        for (let i = 0; i < 5; i++) s.peer.send(0, pattern(3000, 5), FLAG_UNRELIABLE_FRAGMENT);
        const r = (await s.npm.waitEvent((e) => e.type === 'receive', 5000, 'unreliable fragment')) as Recv;
        expect([r.bytes.length, crc32(r.bytes)]).to.deep.equal([3000, crc32(pattern(3000, 5))]);
        for (let i = 0; i < 5; i++) s.npm.send(s.npmPeer, 0, pattern(3000, 6), FLAG_UNRELIABLE_FRAGMENT);
        const [e] = await s.pump.receives(1, 5000);
        expect([e!.packet!.length, crc32(e!.packet!)]).to.deep.equal([3000, crc32(pattern(3000, 6))]);
      });

      it('delivers peerDisconnect(data) from our side', async () => {
        const s = await connect(dir, 3);
        s.peer.peerDisconnect(31337);
        const d = await s.npm.waitEvent((e) => e.type === 'disconnect', 5000, 'disconnect');
        expect(d.type === 'disconnect' && d.data).to.equal(31337);
        await s.pump.waitEvent((e) => e.type === EventType.DISCONNECT, 5000, 'DISCONNECT');
      });

      it('delivers disconnect(data) from the npm enet side', async () => {
        const s = await connect(dir, 4);
        s.npmPeer.disconnect(2024);
        const ev = await s.pump.waitEvent((e) => e.type === EventType.DISCONNECT, 5000, 'DISCONNECT');
        expect(ev.data).to.equal(2024);
      });

      it('runs a session with range-coder compression on both ends', async () => {
        const s = await connect(dir, 5);
        s.npm.host.enableCompression();
        s.host.compress(1);
        s.peer.send(0, pattern(2000, 0), FLAG_RELIABLE);
        const r = (await s.npm.waitEvent((e) => e.type === 'receive', 5000, 'compressed packet')) as Recv;
        expect(crc32(r.bytes)).to.equal(crc32(pattern(2000, 0)));
        s.npm.send(s.npmPeer, 0, pattern(1500, 0), FLAG_RELIABLE);
        const [e] = await s.pump.receives(1, 5000);
        expect(crc32(e!.packet!)).to.equal(crc32(pattern(1500, 0)));
      });
    });
  }
});
