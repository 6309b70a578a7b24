import { expect } from 'chai';
import {
  NatError,
  StunAttr,
  StunClass,
  StunWriter,
  TurnClient,
  TurnMethod,
  decodeStunMessage,
  findAttribute,
  nodeHmacSha1,
  nodeMd5,
} from '../../../src/index.js';
import { SERVER, TurnLab, counterRandom } from './turn-lab.js';

const PEER = { address: '203.0.113.20', port: 40000 };
const bytes = (...v: number[]) => Uint8Array.from(v);

function setup() {
  const lab = new TurnLab();
  const c = lab.client('203.0.113.5', 5000, 'lobby.a');
  const relayPort = lab.allocate(c);
  return { lab, c, relayPort };
}

describe('TurnClient', () => {
  describe('#allocate', () => {
    it('sends the first Allocate without credentials, then allocates after the 401 teaches realm and nonce', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      c.allocate(0);
      const out = new Uint8Array(512);
      const to = { address: '', port: 0 };
      const n = c.pollTransmit(0, out, to);
      const first = decodeStunMessage(out.subarray(0, n));
      expect(first.ok && findAttribute(first.message, StunAttr.Username)).to.equal(undefined);
      expect(to).to.deep.equal(SERVER);
      lab.server.handleDatagram(0, { address: '203.0.113.5', port: 5000 }, out.slice(0, n));
      lab.pump();
      const e = lab.events(c);
      expect(e).to.have.length(1);
      expect(e[0]).to.deep.include({ type: 'allocated', lifetimeS: 600 });
      expect(e[0]!.type === 'allocated' && [e[0].relayed, e[0].mapped]).to.deep.equal([
        { family: 4, address: '198.51.100.1', port: 49152 }, { family: 4, address: '203.0.113.5', port: 5000 },
      ]);
      expect([c.state, c.counters.challenges, lab.server.counters.requests.allocate['401'], lab.server.counters.requests.allocate.ok]).to.deep.equal(['allocated', 1, 1, 1]);
    });

    it('fails unauthorized when the password is wrong (one challenge, no retry loop)', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a', { password: 'nope' });
      c.allocate(0);
      lab.pump();
      expect(lab.events(c)).to.deep.equal([{ type: 'failed', reason: 'unauthorized', code: 401 }]);
      expect([c.state, c.pollTimeout(), c.counters.requestsSent]).to.deep.equal(['failed', undefined, 2]);
    });

    it('fails with timeout after Rc requests when the server never answers, leaving no timer', () => {
      const c = new TurnClient({ server: SERVER, username: '1:a.b', password: 'p', hmacSha1: nodeHmacSha1, md5: nodeMd5, random: counterRandom(), rtoMs: 100, requestCount: 3, lastWaitFactor: 2 });
      c.allocate(0);
      const out = new Uint8Array(512);
      const to = { address: '', port: 0 };
      let sent = 0;
      for (let i = 0; i < 20; i++) {
        while (c.pollTransmit(0, out, to) > 0) sent++;
        const t = c.pollTimeout();
        if (t === undefined) break;
        c.handleTimeout(t);
      }
      expect([sent, c.state, c.pollEvent(), c.pollTimeout()]).to.deep.equal([3, 'failed', { type: 'failed', reason: 'timeout', code: undefined }, undefined]);
    });

    it('throws ERR_ALREADY_IN_USE when called twice', () => {
      const { c } = setup();
      expect(() => c.allocate(0)).to.throw(NatError, 'allocate() may be called once, the allocation is allocated').with.property('code', 'ERR_ALREADY_IN_USE');
    });
  });

  describe('#handleDatagram', () => {
    it('returns false for any source but the server, whatever the bytes (demultiplex by source first)', () => {
      const { c } = setup();
      const channelDataLike = bytes(0x40, 0x00, 0x00, 0x01, 0xff);
      expect(c.handleDatagram(0, PEER, channelDataLike)).to.equal(false);
      expect(c.handleDatagram(0, { address: SERVER.address, port: SERVER.port + 1 }, channelDataLike)).to.equal(false);
      expect([c.counters.malformed, c.counters.unboundChannel, c.counters.dataReceived]).to.deep.equal([0, 0, 0]);
    });

    it('leaves STUN Binding messages from the server to the caller (the relay shares the STUN responder port)', () => {
      const { c } = setup();
      const w = new StunWriter(new Uint8Array(64)).begin(StunClass.SuccessResponse, 0x001, new Uint8Array(12));
      w.addXorAddress(StunAttr.XorMappedAddress, '203.0.113.5', 5000).addFingerprint();
      expect(c.handleDatagram(0, SERVER, w.bytes())).to.equal(false);
      expect(c.accepts(SERVER, w.bytes())).to.equal(false);
      const t = new StunWriter(new Uint8Array(64)).begin(StunClass.SuccessResponse, TurnMethod.Refresh, new Uint8Array(12)).addFingerprint();
      expect(c.accepts(SERVER, t.bytes())).to.equal(true);
      expect(c.counters.unmatched).to.equal(0);
    });

    it('accepts the server as a v4-mapped source (udp6 sockets)', () => {
      const { c } = setup();
      expect(c.handleDatagram(0, { address: `::ffff:${SERVER.address}`, port: SERVER.port }, bytes(0x40, 0x00, 0, 0))).to.equal(true);
      expect(c.counters.unboundChannel).to.equal(1);
    });

    it('drops and counts ChannelData on an unbound channel and garbage from the server', () => {
      const { c } = setup();
      expect(c.handleDatagram(0, SERVER, bytes(0x40, 0x07, 0, 1, 9))).to.equal(true);
      expect(c.handleDatagram(0, SERVER, bytes(0x80, 1, 2, 3, 4))).to.equal(true);
      expect([c.counters.unboundChannel, c.counters.malformed, c.pollEvent()]).to.deep.equal([1, 1, undefined]);
    });

    it('drops a success response without a valid MESSAGE-INTEGRITY (RFC 8489 §9.2.5)', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      c.allocate(0);
      const out = new Uint8Array(512);
      const n = c.pollTransmit(0, out, { address: '', port: 0 });
      const req = decodeStunMessage(out.slice(0, n));
      if (!req.ok) throw new Error('bad request');
      const w = new StunWriter(new Uint8Array(256)).begin(StunClass.SuccessResponse, TurnMethod.Allocate, req.message.transactionId);
      w.addXorAddress(0x0016, '198.51.100.1', 50000).addFingerprint();
      expect(c.handleDatagram(0, SERVER, w.bytes())).to.equal(true);
      expect([c.state, c.counters.badIntegrity, c.pollEvent()]).to.deep.equal(['allocating', 1, undefined]);
    });
  });

  describe('#send and #bindChannel', () => {
    it('uses Send indications before the bind and 4-byte ChannelData after; both reach the peer', () => {
      const { lab, c, relayPort } = setup();
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      expect(lab.events(c).at(-1)).to.deep.equal({ type: 'permissionCreated', peerAddress: PEER.address });
      expect(c.send(PEER, bytes(1, 2, 3))).to.equal(true);
      lab.pump();
      const ch = c.bindChannel(lab.now, PEER);
      expect(ch).to.equal(0x4000);
      expect(c.channelFor(PEER)).to.equal(0);
      lab.pump();
      expect(lab.events(c).at(-1)).to.deep.equal({ type: 'channelBound', peer: PEER, channel: 0x4000 });
      const out = new Uint8Array(64);
      const n = c.encodeSend(PEER, bytes(4, 5), out);
      expect(Buffer.from(out.subarray(0, n)).toString('hex')).to.equal('400000020405');
      c.send(PEER, bytes(4, 5));
      lab.pump();
      expect(lab.toPeers.map((d) => [d.to, d.fromPort, [...d.bytes]])).to.deep.equal([
        ['203.0.113.20:40000', relayPort, [1, 2, 3]], ['203.0.113.20:40000', relayPort, [4, 5]],
      ]);
      expect([c.counters.indicationsSent, c.counters.channelDataSent]).to.deep.equal([1, 2]);
    });

    it('unwraps Data indications and ChannelData from the peer into data events with the peer address', () => {
      const { lab, c, relayPort } = setup();
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      lab.peerSend(PEER, relayPort, bytes(7, 7));
      c.bindChannel(lab.now, PEER);
      lab.pump();
      lab.peerSend(PEER, relayPort, bytes(8));
      const data = lab.events(c).filter((e) => e.type === 'data').map((e) => e.type === 'data' && [e.peer, [...e.payload], e.channel]);
      expect(data).to.deep.equal([[PEER, [7, 7], 0], [PEER, [8], 0x4000]]);
    });

    it('reports the permission a ChannelBind installed (so a waiting createPermission resolves)', () => {
      const { lab, c } = setup();
      c.bindChannel(lab.now, PEER);
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      expect(lab.events(c).slice(-2)).to.deep.equal([
        { type: 'permissionCreated', peerAddress: PEER.address }, { type: 'channelBound', peer: PEER, channel: 0x4000 },
      ]);
      expect(c.hasPermission(PEER.address)).to.equal(true);
    });

    it('throws ERR_UNCONFIGURED before allocation and past maxChannels', () => {
      const c = new TurnClient({ server: SERVER, username: '1:a.b', password: 'p', hmacSha1: nodeHmacSha1, md5: nodeMd5, random: counterRandom() });
      expect(() => c.createPermission(0, PEER.address)).to.throw(NatError, 'the allocation must be allocated first, it is idle');
      const lab = new TurnLab();
      const d = lab.client('203.0.113.5', 5000, 'lobby.a', { maxChannels: 1 });
      lab.allocate(d);
      d.bindChannel(lab.now, PEER);
      expect(() => d.bindChannel(lab.now, { address: PEER.address, port: 1 })).to.throw(NatError, 'at most 1 channels may be bound');
    });
  });

  describe('#handleTimeout', () => {
    it('refreshes the allocation, the permission and the channel before they expire (20 min of virtual time)', () => {
      const { lab, c, relayPort } = setup();
      c.bindChannel(lab.now, PEER);
      lab.pump();
      lab.advanceTo(20 * 60_000);
      expect(c.state).to.equal('allocated');
      expect(lab.events(c).filter((e) => e.type === 'refreshed').length).to.be.at.least(2);
      // The server still has the permission and the channel: peer data arrives as ChannelData.
      lab.peerSend(PEER, relayPort, bytes(1));
      expect(lab.events(c).at(-1)).to.deep.equal({ type: 'data', peer: PEER, payload: bytes(1), channel: 0x4000 });
      expect(lab.server.counters.allocationsEnded.expired).to.equal(0);
    });

    it('sends a Binding indication to the server after 15 s with nothing sent, and none while data flows', () => {
      const { lab, c } = setup();
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      const out = new Uint8Array(64);
      for (let t = 1000; t <= 60_000; t += 1000) {
        lab.advanceTo(t);
        c.encodeSend(PEER, Uint8Array.of(1), out);
      }
      expect(c.counters.keepalivesSent).to.equal(0);
      lab.advanceTo(60_000 + 31_000);
      expect(c.counters.keepalivesSent).to.equal(1);
    });

    it('survives a stale nonce (438) by retrying with the new one', () => {
      const lab = new TurnLab({ nonceBucketMs: 1000 });
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      lab.allocate(c);
      lab.now = 10_000;
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      expect(lab.events(c).at(-1)).to.deep.equal({ type: 'permissionCreated', peerAddress: PEER.address });
      expect([c.counters.staleNonces, lab.server.counters.requests.create_permission['438']]).to.deep.equal([1, 1]);
    });
  });

  describe('#close', () => {
    it('deletes the allocation with Refresh(0), reports closed and leaves no timer; the server frees the port', () => {
      const { lab, c, relayPort } = setup();
      c.close(lab.now);
      lab.pump();
      expect([lab.events(c).at(-1), c.state, c.pollTimeout()]).to.deep.equal([{ type: 'closed', reason: 'deleted' }, 'closed', undefined]);
      expect([lab.freedPorts, lab.server.allocations, lab.server.counters.allocationsEnded.deleted]).to.deep.equal([[relayPort], 0, 1]);
    });
  });
});
