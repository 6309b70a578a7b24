// Godot's ENet acceptance items (docs/specs/godot-enet.md §7) on loopback sockets.
import { expect } from 'chai';
import { ENetConnection, ENetError, EventType, FLAG_RELIABLE, HostStatistic, PeerState, PeerStatistic } from '../../src/index.js';
import { nextEvent as until } from './support.js';


describe('ENetPacketPeer and ENetConnection (Godot §7 checklist)', function () {
  this.timeout(10_000);

  it('creates, limits channels, reports statistics, services and re-creates after destroy (§7.1, §7.5)', async () => {
    const c = new ENetConnection();
    await c.createHost(8, 8);
    expect(c.getMaxChannels()).to.equal(8);
    c.channelLimit(12);
    expect(c.getMaxChannels()).to.equal(12);
    c.channelLimit(0);
    expect(c.getMaxChannels()).to.equal(255);
    expect(c.popStatistic(HostStatistic.TOTAL_SENT_DATA)).to.equal(0);
    expect(c.popStatistic(HostStatistic.TOTAL_RECEIVED_DATA)).to.equal(0);
    expect((await c.service(10)).type).to.equal(EventType.NONE);
    c.bandwidthLimit(100, 80);
    c.broadcast(0, Uint8Array.of(1), FLAG_RELIABLE);
    expect((await c.service(0)).type).to.equal(EventType.NONE);
    await c.createHost().then(() => expect.fail('second createHost must fail'), (err: ENetError) => expect(err.code).to.equal('ERR_ALREADY_IN_USE'));
    c.destroy();
    c.destroy();
    await c.createHostBound('127.0.0.1', 0);
    expect(c.getLocalPort()).to.be.greaterThan(0);
    c.destroy();
  });

  it('starts a peer in CONNECTING with Godot\'s initial statistics (§7.5)', async () => {
    const c = new ENetConnection();
    await c.createHostBound('127.0.0.1', 0, 1, 2);
    const p = c.connectToHost('127.0.0.1', 54321, 2, 0);
    expect(p.isActive()).to.equal(true);
    expect(p.getState()).to.equal(PeerState.CONNECTING);
    expect(p.getChannels()).to.equal(2);
    expect(p.getRemoteAddress()).to.equal('127.0.0.1');
    expect(p.getRemotePort()).to.equal(54321);
    const stats = [
      PeerStatistic.PACKET_LOSS, PeerStatistic.PACKET_LOSS_VARIANCE, PeerStatistic.PACKET_LOSS_EPOCH, PeerStatistic.ROUND_TRIP_TIME,
      PeerStatistic.ROUND_TRIP_TIME_VARIANCE, PeerStatistic.LAST_ROUND_TRIP_TIME, PeerStatistic.LAST_ROUND_TRIP_TIME_VARIANCE,
      PeerStatistic.PACKET_THROTTLE, PeerStatistic.PACKET_THROTTLE_LIMIT, PeerStatistic.PACKET_THROTTLE_COUNTER,
      PeerStatistic.PACKET_THROTTLE_EPOCH, PeerStatistic.PACKET_THROTTLE_ACCELERATION, PeerStatistic.PACKET_THROTTLE_DECELERATION,
      PeerStatistic.PACKET_THROTTLE_INTERVAL,
    ].map((s) => p.getStatistic(s));
    expect(stats).to.deep.equal([0, 0, 0, 500, 0, 500, 0, 32, 32, 0, 0, 2, 2, 5000]);
    expect(p.send(0, Uint8Array.of(1), FLAG_RELIABLE)).to.equal(false);
    expect(c.getPeers()).to.deep.equal([p]);
    // Godot: a host with a peer connects to nothing else (§5.3).
    expect(() => c.connectToHost('127.0.0.1', 54321)).to.throw(ENetError).with.property('code', 'ERR_ALREADY_IN_USE');
    p.reset();
    expect(p.getState()).to.equal(PeerState.DISCONNECTED);
    expect(p.isActive()).to.equal(false);
    expect(c.getPeers()).to.deep.equal([]);
    c.destroy();
  });

  it('moves through DISCONNECT_LATER, DISCONNECTING and DISCONNECTED, and stores per-peer settings (§7.5)', async () => {
    const server = new ENetConnection();
    await server.createHostBound('127.0.0.1', 0, 4, 2);
    const client = new ENetConnection();
    await client.createHostBound('127.0.0.1', 0, 1, 2);
    const p = client.connectToHost('127.0.0.1', server.getLocalPort(), 2, 0);
    const sev = await until([server, client], (ev, h) => h === server && ev.type === EventType.CONNECT);
    while (p.getState() !== PeerState.CONNECTED) await client.service(5);
    p.pingInterval(1000);
    p.setTimeout(100, 200, 300);
    p.throttleConfigure(16, 4, 2);
    expect(p.getStatistic(PeerStatistic.PACKET_THROTTLE_INTERVAL)).to.equal(16);
    expect(p.getStatistic(PeerStatistic.PACKET_THROTTLE_ACCELERATION)).to.equal(4);
    p.send(0, new Uint8Array(20_000), FLAG_RELIABLE);
    p.peerDisconnectLater(1);
    expect(p.getState()).to.equal(PeerState.DISCONNECT_LATER);
    p.peerDisconnect(2);
    expect(p.getState()).to.equal(PeerState.DISCONNECTING);
    // disconnect_now of a DISCONNECTING peer sends nothing more (libenet): flush the DISCONNECT first.
    client.flush();
    p.peerDisconnectNow(3);
    expect(p.getState()).to.equal(PeerState.DISCONNECTED);
    const dev = await until([server], (ev) => ev.type === EventType.DISCONNECT);
    expect(dev.peer).to.equal(sev.peer);
    expect(dev.data).to.equal(2);
    server.destroy();
    client.destroy();
  });
});
