// DTLS hosts and plain libenet 1.3.17 (issue 18): as Godot documents, a DTLS host is not reachable
// by plain ENet in either direction (libenet sees only DTLS records and our DTLS server sees no
// DTLS from libenet: no CONNECT anywhere, nothing in plaintext), while the same hosts without
// DTLS — what `meshpunch join --insecure` links with — interoperate with libenet as before.
import { generateIdentity, type GeneratedIdentity } from '@meshpunch/dtls';
import { ENetConnection, EventType, FLAG_RELIABLE, TLSOptions } from '@meshpunch/enet';
import { expect } from 'chai';
import { HarnessPeer, killAllHarnesses, requireHarness } from './support/harness.js';
import { Pump } from './support/pump.js';

describe('DTLS hosts and plain libenet', function () {
  this.timeout(30_000);
  let me: GeneratedIdentity;
  let peer: GeneratedIdentity;
  const open: Array<{ host: ENetConnection; pump: Pump }> = [];

  before(function () {
    requireHarness(this);
    me = generateIdentity();
    peer = generateIdentity();
  });
  afterEach(async () => {
    for (const { host, pump } of open.splice(0)) {
      await pump.stop();
      host.destroy();
    }
    killAllHarnesses();
  });

  async function ours(dtls: 'server' | 'client' | 'none'): Promise<{ host: ENetConnection; pump: Pump }> {
    const host = new ENetConnection();
    await host.createHostBound('127.0.0.1', 0, 4, 2);
    if (dtls === 'server') host.dtlsServerSetup(TLSOptions.pinned(me.identity, peer.fingerprint));
    if (dtls === 'client') host.dtlsClientSetup('', TLSOptions.pinned(me.identity, peer.fingerprint));
    const pump = new Pump(host);
    open.push({ host, pump });
    return { host, pump };
  }

  it('a libenet client gets no connection from our DTLS server (and its CONNECTs are not taken as ENet)', async () => {
    const { host, pump } = await ours('server');
    const lib = await HarnessPeer.start({ peers: 1, channels: 2 });
    await lib.cmd(`connect 127.0.0.1 ${host.getLocalPort()} 2 7`);
    let connected = false;
    await lib.waitEvent((e) => e.type === 'connect', 1500, 'connect').then(() => (connected = true), () => undefined);
    expect(connected).to.equal(false);
    expect(pump.events.filter((e) => e.type === EventType.CONNECT)).to.deep.equal([]);
    expect(host.statistics!.totalReceivedPackets).to.equal(0);
  });

  it('our DTLS client gets no connection from a libenet server', async () => {
    const lib = await HarnessPeer.start({ address: '127.0.0.1', peers: 2, channels: 2 });
    const { host, pump } = await ours('client');
    host.connectToHost('127.0.0.1', lib.port, 2, 9);
    let connected = false;
    await lib.waitEvent((e) => e.type === 'connect', 1500, 'connect').then(() => (connected = true), () => undefined);
    expect(connected).to.equal(false);
    expect(pump.events.filter((e) => e.type === EventType.CONNECT)).to.deep.equal([]);
  });

  it('the same host without DTLS (--insecure links) still interoperates with libenet', async () => {
    const { host, pump } = await ours('none');
    const lib = await HarnessPeer.start({ peers: 1, channels: 2 });
    const libPeer = Number((await lib.cmd(`connect 127.0.0.1 ${host.getLocalPort()} 2 7`)).split(' ')[1]);
    const ev = await pump.waitEvent((e) => e.type === EventType.CONNECT, 5000, 'CONNECT');
    expect(ev.data).to.equal(7);
    await lib.waitEvent((e) => e.type === 'connect', 5000, 'connect');
    await lib.cmd(`send ${libPeer} 1 ${FLAG_RELIABLE} 300 42`);
    const r = await pump.waitEvent((e) => e.type === EventType.RECEIVE, 5000, 'RECEIVE');
    expect([r.channel, r.packet!.length]).to.deep.equal([1, 300]);
    ev.peer!.send(0, new Uint8Array(64).fill(5), FLAG_RELIABLE);
    const got = await lib.waitEvent((e) => e.type === 'receive', 5000, 'receive');
    expect(got.type === 'receive' && [got.channel, got.length]).to.deep.equal([0, 64]);
  });
});
