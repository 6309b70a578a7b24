// Simulation: timeouts, disconnect variants, resets and timer hygiene (virtual time).
import { expect } from 'chai';
import { seedFromEnv } from '@meshpunch/sim';
import { CorePeerState as PeerState, PacketFlag } from '../../src/index.js';
import { connectPair, makePair } from './helpers.js';

describe('HostCore lifecycle (sim)', function () {
  this.timeout(30_000);

  it('times a silent peer out within libenet bounds (5 s minimum, 30 s maximum plus one RTO)', () => {
    const p = makePair(seedFromEnv(2001));
    const { pa } = connectPair(p);
    p.runFor(2000);
    const cutAt = p.driver.now;
    p.net.cut(p.b.address);
    p.runUntil(() => p.a.count('disconnect') === 1, 60_000);
    const ev = p.a.events.find((e) => e.type === 'disconnect')!;
    expect(ev.data).to.equal(0);
    expect(ev.at - cutAt).to.be.within(5000, 32_000);
    expect(pa.state).to.equal(PeerState.Disconnected);
  });

  it('gives up an unanswered CONNECT after about 31.5 s as libenet does', () => {
    const p = makePair(seedFromEnv(2002));
    p.a.core.connect('203.0.113.99', 9, 1, 0);
    const start = p.driver.now;
    p.runUntil(() => p.a.count('disconnect') === 1, 60_000);
    expect(p.a.events[0]!.at - start).to.be.within(31_000, 32_000);
    expect(p.a.core.pollTimeout()).to.equal(undefined);
  });

  it('disconnects from the accepting side too, with data', () => {
    const p = makePair(seedFromEnv(2003));
    const { pb } = connectPair(p);
    p.b.core.disconnect(pb, 7);
    p.runUntil(() => p.a.count('disconnect') === 1 && p.b.count('disconnect') === 1);
    expect(p.a.events.find((e) => e.type === 'disconnect')!.data).to.equal(7);
  });

  it('disconnectLater delivers queued reliable data first', () => {
    const p = makePair(seedFromEnv(2004), { loss: 0.1 });
    const { pa } = connectPair(p);
    for (let i = 0; i < 50; i++) p.a.core.send(pa, 0, Uint8Array.of(i), PacketFlag.Reliable);
    p.a.core.disconnectLater(pa, 9);
    expect(pa.state).to.equal(PeerState.DisconnectLater);
    expect(p.a.core.send(pa, 0, Uint8Array.of(1), PacketFlag.Reliable)).to.equal(false);
    p.runUntil(() => p.b.count('disconnect') === 1);
    expect(p.b.count('receive')).to.equal(50);
    expect(p.b.events.find((e) => e.type === 'disconnect')!.data).to.equal(9);
  });

  it('disconnectNow sends one unsequenced DISCONNECT, resets at once and raises no local event', () => {
    const p = makePair(seedFromEnv(2005));
    const { pa } = connectPair(p);
    p.a.core.disconnectNow(pa, 3);
    expect(pa.state).to.equal(PeerState.Disconnected);
    p.runUntil(() => p.b.count('disconnect') === 1);
    expect(p.b.events.find((e) => e.type === 'disconnect')!.data).to.equal(3);
    expect(p.a.count('disconnect')).to.equal(0);
    p.driver.runUntilIdle({ maxVirtualMs: 5000 });
    expect(p.a.core.pollTimeout()).to.equal(undefined);
    expect(p.b.core.pollTimeout()).to.equal(undefined);
  });

  it('a reset peer makes the remote time out, and the slot can connect again with new session ids', () => {
    const p = makePair(seedFromEnv(2006));
    const { pa, pb } = connectPair(p);
    const session = pb.incomingSessionID;
    p.a.core.resetPeer(pa);
    p.runUntil(() => p.b.count('disconnect') === 1, 60_000);
    const again = p.a.core.connect(p.b.address, p.b.port, 1, 0)!;
    p.runUntil(() => p.a.count('connect') === 2 && p.b.count('connect') === 2);
    expect(again.state).to.equal(PeerState.Connected);
    expect(p.b.core.peers[0]!.incomingSessionID).to.not.equal(session);
  });

  it('sends BANDWIDTH_LIMIT after connecting and the remote adopts the share (§9.3)', () => {
    const p = makePair(seedFromEnv(2007), {}, { incomingBandwidth: 65536 * 2 }, { outgoingBandwidth: 65536 * 3 });
    const { pa, pb } = connectPair(p);
    p.runFor(2500);
    // a's downstream is split among its peers; b declared more upstream than the share, so it
    // is told the share: 131072 bytes/s, and b's window becomes min(b up, a down)/65536*4096.
    expect(pb.incomingBandwidth).to.equal(65536 * 2);
    expect(pb.windowSize).to.equal(8192);
    expect(pa.outgoingBandwidth).to.equal(65536 * 3);
  });

  it('leaves no timers or peers after destroy', () => {
    const p = makePair(seedFromEnv(2008));
    const { pa } = connectPair(p);
    p.a.core.send(pa, 0, new Uint8Array(10_000), PacketFlag.Reliable);
    p.a.core.destroy();
    p.b.core.destroy();
    expect(p.a.core.pollTimeout()).to.equal(undefined);
    expect(p.b.core.pollTimeout()).to.equal(undefined);
    expect(p.a.core.peers.every((x) => x.state === PeerState.Disconnected && x.outgoingCommands.length === 0)).to.equal(true);
    p.driver.runUntilIdle({ maxVirtualMs: 1000 });
  });

  it('refuses new connections while asked to and counts them', () => {
    const p = makePair(seedFromEnv(2009));
    p.b.core.refuseNewConnections(true);
    p.a.core.connect(p.b.address, p.b.port, 1, 0);
    p.runUntil(() => p.a.count('disconnect') === 1, 60_000);
    expect(p.b.count('connect')).to.equal(0);
    expect(p.b.core.stats.refusedConnects).to.be.greaterThan(0);
  });
});
