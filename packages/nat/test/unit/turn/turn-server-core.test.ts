import { expect } from 'chai';
import {
  NatError,
  StunClass,
  StunWriter,
  TurnAttr,
  TurnMethod,
  TurnServerCore,
  classifyPeerAddress,
  decodeStunMessage,
  getErrorCode,
  getNonce,
  getXorRelayedAddress,
  longTermKey,
  nodeHmacSha1,
  nodeMd5,
  type TurnClient,
} from '../../../src/index.js';
import { SERVER, TurnLab, counterRandom } from './turn-lab.js';

const PEER = { address: '203.0.113.20', port: 40000 };

function failure(lab: TurnLab, c: TurnClient): unknown {
  return lab.events(c).find((e) => e.type === 'failed' || e.type === 'permissionFailed' || e.type === 'channelBindFailed');
}

describe('TurnServerCore', () => {
  describe('constructor', () => {
    it('refuses an IPv6 relayAddress and a missing isMember with exact messages', () => {
      const base = { secret: 's', relayAddress: '::1', hmacSha1: nodeHmacSha1, md5: nodeMd5, random: counterRandom(), unixMsAtZero: 0, isMember: () => true };
      expect(() => new TurnServerCore(base)).to.throw(NatError, 'relayAddress must be an IPv4 literal, got "::1"');
      expect(() => new TurnServerCore({ ...base, relayAddress: '1.2.3.4', isMember: undefined as never })).to.throw(NatError, 'isMember must be a function');
    });
  });

  describe('authentication (abuse)', () => {
    it('answers 401 to a wrong secret and counts allocations_total{auth}', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a', lab.credential('lobby.a', 600, 'wrong-secret'));
      c.allocate(0);
      lab.pump();
      expect(failure(lab, c)).to.deep.equal({ type: 'failed', reason: 'unauthorized', code: 401 });
      expect([lab.server.counters.allocationsTotal.auth, lab.server.allocations]).to.deep.equal([1, 0]);
    });

    it('answers 401 to an expired REST username at Allocate', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a', lab.credential('lobby.a', -1));
      c.allocate(0);
      lab.pump();
      expect(failure(lab, c)).to.deep.equal({ type: 'failed', reason: 'unauthorized', code: 401 });
      expect(lab.server.counters.allocationsTotal.auth).to.equal(1);
    });

    it('keeps an allocation whose credential expires later (TTL matters only at Allocate, like coturn)', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a', lab.credential('lobby.a', 30));
      lab.allocate(c);
      lab.advanceTo(15 * 60_000);
      expect([c.state, lab.server.allocations]).to.deep.equal(['allocated', 1]);
    });

    it('answers 401 to a non-member and counts allocations_total{membership}', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.z');
      c.allocate(0);
      lab.pump();
      expect(failure(lab, c)).to.deep.equal({ type: 'failed', reason: 'unauthorized', code: 401 });
      expect(lab.server.counters.allocationsTotal.membership).to.equal(1);
    });

    it('ends a revoked member\'s allocations at once (ports freed, relayed port dead) and then answers it 401', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      const d = lab.client('203.0.113.5', 5001, 'lobby.a');
      const p1 = lab.allocate(c);
      const p2 = lab.allocate(d);
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      lab.members.delete('lobby.a');
      expect(lab.server.revokeMember(lab.now, 'lobby.a')).to.equal(2);
      lab.pump();
      expect([lab.freedPorts, lab.server.allocations, lab.server.counters.allocationsEnded.member_left]).to.deep.equal([[p1, p2], 0, 2]);
      lab.peerSend(PEER, p1, Uint8Array.of(1));
      expect(lab.events(c).some((e) => e.type === 'data')).to.equal(false);
      // Its refresh now meets 401 (membership is checked on every request), so the client sees the end.
      lab.advanceTo(10 * 60_000);
      expect(c.state).to.equal('closed');
      expect(lab.server.counters.requests.refresh['401']).to.be.at.least(1);
    });
  });

  describe('permissions (abuse)', () => {
    const forbidden = ['127.0.0.1', '10.0.1.2', '192.168.1.1', '172.16.0.1', '100.64.0.1', '169.254.1.1', '224.0.0.1', '255.255.255.255', '240.0.0.1', '0.0.0.0', SERVER.address];
    for (const ip of forbidden) {
      it(`answers 403 to CreatePermission toward ${ip}`, () => {
        const lab = new TurnLab();
        const c = lab.client('203.0.113.5', 5000, 'lobby.a');
        lab.allocate(c);
        c.createPermission(lab.now, ip);
        lab.pump();
        expect(failure(lab, c)).to.deep.equal({ type: 'permissionFailed', peerAddress: ip, reason: 'error-response', code: 403 });
        expect(lab.server.counters.requests.create_permission['403']).to.equal(1);
      });
    }

    it('answers 403 to ChannelBind toward a peer the membership callback refuses', () => {
      const lab = new TurnLab({ mayPermit: (_m, ip) => ip !== '203.0.113.99' });
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      lab.allocate(c);
      c.bindChannel(lab.now, { address: '203.0.113.99', port: 1 });
      lab.pump();
      expect(failure(lab, c)).to.deep.equal({ type: 'channelBindFailed', peer: { address: '203.0.113.99', port: 1 }, channel: 0x4000, reason: 'error-response', code: 403 });
    });

    it('permits the lab internet (203.0.113/24, 198.51.100/24), private only with allowPrivate, loopback only with allowLoopback', () => {
      const rules = { allowPrivate: false, allowLoopback: false, ownAddresses: new Set(['198.51.100.1']) };
      expect(['203.0.113.7', '198.51.100.9', '10.0.0.1', '127.0.0.1', '2001:db8::1', '::ffff:203.0.113.7'].map((ip) => classifyPeerAddress(ip, rules)))
        .to.deep.equal(['ok', 'ok', 'forbidden', 'forbidden', 'family', 'ok']);
      expect(classifyPeerAddress('10.0.0.1', { ...rules, allowPrivate: true })).to.equal('ok');
      expect(classifyPeerAddress('127.0.0.1', { ...rules, allowLoopback: true })).to.equal('ok');
      expect(classifyPeerAddress('127.0.0.1', { ...rules, allowPrivate: true })).to.equal('forbidden');
    });

    it('drops and counts peer datagrams from a source without permission; the client sees nothing', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      const port = lab.allocate(c);
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      for (let i = 0; i < 50; i++) lab.peerSend({ address: '203.0.113.66', port: 1000 + i }, port, Uint8Array.of(i));
      expect([lab.server.counters.dropped.no_permission, lab.events(c).some((e) => e.type === 'data')]).to.deep.equal([50, false]);
    });

    it('lets a permission lapse after 300 s without refresh: peer data is then dropped (and never refreshed it)', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      const port = lab.allocate(c);
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      // Stop the client's own refreshes by deleting it from the lab: only the peer keeps talking.
      lab.clients.clear();
      for (let t = 10_000; t <= 320_000; t += 10_000) {
        lab.advanceTo(t);
        lab.peerSend(PEER, port, Uint8Array.of(1));
      }
      // Sent at 300, 310 and 320 s: the permission (installed at 0) ended at 300 s.
      expect(lab.server.counters.dropped.no_permission).to.equal(3);
    });
  });

  describe('quotas (abuse)', () => {
    it('answers 486 beyond allocations per member and 508 beyond the total', () => {
      const lab = new TurnLab({ maxAllocationsPerMember: 2, maxAllocations: 3 });
      lab.allocate(lab.client('203.0.113.5', 1, 'lobby.a'));
      lab.allocate(lab.client('203.0.113.5', 2, 'lobby.a'));
      const third = lab.client('203.0.113.5', 3, 'lobby.a');
      third.allocate(lab.now);
      lab.pump();
      expect(failure(lab, third)).to.deep.equal({ type: 'failed', reason: 'error-response', code: 486 });
      lab.allocate(lab.client('203.0.113.6', 1, 'lobby.b'));
      const fifth = lab.client('203.0.113.6', 2, 'lobby.b');
      fifth.allocate(lab.now);
      lab.pump();
      expect(failure(lab, fifth)).to.deep.equal({ type: 'failed', reason: 'error-response', code: 508 });
      expect([lab.server.counters.allocationsTotal.quota, lab.server.counters.allocationsTotal.capacity]).to.deep.equal([1, 1]);
    });

    it('answers 508 beyond permissions and channels per allocation, and when no port can be bound', () => {
      const lab = new TurnLab({ maxPermissionsPerAllocation: 2, maxChannelsPerAllocation: 1 });
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      lab.allocate(c);
      for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) c.createPermission(lab.now, ip);
      lab.pump();
      expect(failure(lab, c)).to.deep.equal({ type: 'permissionFailed', peerAddress: '203.0.113.3', reason: 'error-response', code: 508 });
      c.bindChannel(lab.now, { address: '203.0.113.1', port: 1 });
      c.bindChannel(lab.now, { address: '203.0.113.2', port: 1 });
      lab.pump();
      expect(lab.events(c).filter((e) => e.type === 'channelBindFailed').map((e) => e.type === 'channelBindFailed' && e.code)).to.deep.equal([508]);
      lab.failBinds = true;
      const d = lab.client('203.0.113.6', 1, 'lobby.b');
      d.allocate(lab.now);
      lab.pump();
      expect(failure(lab, d)).to.deep.equal({ type: 'failed', reason: 'error-response', code: 508 });
    });
  });

  describe('rate caps (abuse)', () => {
    it('holds a 10x bandwidth flood to the per-allocation cap and counts the drops', () => {
      const cap = 10_000;
      const lab = new TurnLab({ bytesPerSecondPerAllocation: cap, datagramsPerSecondPerAllocation: 1_000_000 });
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      lab.allocate(c);
      c.bindChannel(lab.now, PEER);
      lab.pump();
      const payload = new Uint8Array(1000);
      const out = new Uint8Array(1100);
      const start = lab.now;
      // 10 s at 10x the cap: 100 datagrams of 1000 B per second, one every 10 ms.
      for (let i = 0; i < 1000; i++) {
        lab.now = start + i * 10;
        const n = c.encodeSend(PEER, payload, out);
        lab.server.handleDatagram(lab.now, { address: '203.0.113.5', port: 5000 }, out.slice(0, n));
      }
      lab.pump();
      const delivered = lab.server.counters.bytes.to_peer;
      // 10 s of cap plus the initial burst (cap/4).
      expect(delivered).to.be.at.most(cap * 10 + cap / 4);
      expect(delivered).to.be.at.least(cap * 9);
      expect(lab.server.counters.dropped.over_rate).to.equal(1000 - delivered / 1000);
    });

    it('holds a datagram-rate flood to the per-allocation cap', () => {
      const lab = new TurnLab({ datagramsPerSecondPerAllocation: 100 });
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      const port = lab.allocate(c);
      c.createPermission(lab.now, PEER.address);
      lab.pump();
      const start = lab.now;
      for (let i = 0; i < 2000; i++) {
        lab.now = start + i; // 1000/s for 2 s
        lab.server.handleRelayDatagram(lab.now, port, PEER, Uint8Array.of(1));
      }
      expect(lab.server.counters.datagrams.to_client).to.be.at.most(2 * 100 + 25);
      expect(lab.server.counters.dropped.over_rate).to.equal(2000 - lab.server.counters.datagrams.to_client);
    });
  });

  describe('unauthenticated flood (abuse)', () => {
    it('keeps no state per unauthenticated Allocate and answers at most its budget', () => {
      const lab = new TurnLab({ unauthenticatedPerSecond: 100 });
      const w = new StunWriter(new Uint8Array(128));
      const txid = new Uint8Array(12);
      let answered = 0;
      const out = new Uint8Array(512);
      const to = { address: '', port: 0, relayPort: 0 };
      for (let i = 0; i < 100_000; i++) {
        lab.now = Math.floor(i / 10); // 10 000 requests/s for 10 s
        txid[0] = i & 0xff; txid[1] = (i >> 8) & 0xff; txid[2] = i >> 16;
        w.begin(StunClass.Request, TurnMethod.Allocate, txid).addUint32(TurnAttr.RequestedTransport, 17 << 24);
        lab.server.handleDatagram(lab.now, { address: '203.0.113.66', port: 1 + (i % 60000) }, w.bytes());
        while (lab.server.pollTransmit(lab.now, out, to) > 0) answered++;
      }
      expect(answered).to.be.at.most(100 * 10 + 100);
      expect(lab.server.counters.unauthenticatedDropped).to.equal(100_000 - answered);
      expect([lab.server.allocations, lab.server.queuedTransmits, lab.server.pollTimeout()]).to.deep.equal([0, 0, undefined]);
    });
  });

  describe('protocol', () => {
    it('answers a retransmitted Allocate with the same success, and another transaction from the same 5-tuple with 437', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      c.allocate(0);
      const out = new Uint8Array(512);
      const from = { address: '203.0.113.5', port: 5000 };
      const to = { address: '', port: 0, relayPort: 0 };
      let n = c.pollTransmit(0, out, { address: '', port: 0 });
      lab.server.handleDatagram(0, from, out.slice(0, n));
      n = lab.server.pollTransmit(0, out, to);
      c.handleDatagram(0, SERVER, out.slice(0, n));
      n = c.pollTransmit(0, out, { address: '', port: 0 });
      const authed = out.slice(0, n);
      lab.server.handleDatagram(0, from, authed);
      lab.pump();
      const answers: string[] = [];
      lab.server.handleDatagram(0, from, authed);
      n = lab.server.pollTransmit(0, out, to);
      answers.push(Buffer.from(out.subarray(0, n)).toString('hex'));
      lab.server.handleDatagram(0, from, authed);
      n = lab.server.pollTransmit(0, out, to);
      answers.push(Buffer.from(out.subarray(0, n)).toString('hex'));
      expect(answers[0]).to.equal(answers[1]);
      expect(lab.server.allocations).to.equal(1);
      authed[8] ^= 1; // another transaction id (integrity no longer matches → 401, not a second allocation)
      lab.server.handleDatagram(0, from, authed);
      expect(lab.server.allocations).to.equal(1);
    });

    it('answers 420 naming an unknown comprehension-required attribute (DONT-FRAGMENT)', () => {
      const lab = new TurnLab();
      const w = new StunWriter(new Uint8Array(128)).begin(StunClass.Request, TurnMethod.Allocate, new Uint8Array(12));
      w.addUint32(TurnAttr.RequestedTransport, 17 << 24).addFlag(TurnAttr.DontFragment);
      lab.server.handleDatagram(0, { address: '203.0.113.5', port: 1 }, w.bytes());
      const out = new Uint8Array(256);
      const n = lab.server.pollTransmit(0, out, { address: '', port: 0, relayPort: 0 });
      const m = decodeStunMessage(out.subarray(0, n));
      expect(m.ok && getErrorCode(m.message)?.code).to.equal(420);
    });

    it('binds an even port for EVEN-PORT and answers 508 when the R bit asks to reserve the next one', () => {
      const lab = new TurnLab();
      const allocateWith = (port: number, flags: number) => {
        const from = { address: '203.0.113.5', port };
        const out = new Uint8Array(512);
        const to = { address: '', port: 0, relayPort: 0 };
        const { username, password } = lab.credential('lobby.a');
        const request = (nonce: string | undefined) => {
          const w = new StunWriter(new Uint8Array(512)).begin(StunClass.Request, TurnMethod.Allocate, Uint8Array.from({ length: 12 }, (_, i) => i + port));
          w.addUint32(TurnAttr.RequestedTransport, 17 << 24).addAttribute(TurnAttr.EvenPort, Uint8Array.of(flags));
          if (nonce !== undefined) {
            w.addString(TurnAttr.Username, username).addString(TurnAttr.Realm, 'meshpunch').addString(TurnAttr.Nonce, nonce);
            w.addMessageIntegrity(longTermKey(username, 'meshpunch', password, nodeMd5), nodeHmacSha1);
          }
          lab.server.handleDatagram(lab.now, from, w.addFingerprint().bytes().slice());
          for (let e = lab.server.pollEvent(); e; e = lab.server.pollEvent()) {
            if (e.type === 'bindPort') lab.server.portBound(lab.now, e.allocation, e.evenPort ? 49154 : 49155);
          }
          const n = lab.server.pollTransmit(lab.now, out, to);
          const m = decodeStunMessage(out.slice(0, n));
          if (!m.ok) throw new Error('no answer');
          return m.message;
        };
        const challenge = request(undefined);
        return request(getNonce(challenge));
      };
      const ok = allocateWith(6000, 0x00);
      expect(ok.class).to.equal(StunClass.SuccessResponse);
      expect((getXorRelayedAddress(ok)?.port ?? 1) % 2).to.equal(0);
      expect(getErrorCode(allocateWith(6001, 0x80))?.code).to.equal(508);
    });

    it('ends an allocation nobody refreshes within 1 s of its lifetime', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a', { lifetimeS: 600 });
      lab.allocate(c);
      lab.clients.clear();
      lab.advanceTo(600_000 - 1);
      expect(lab.server.allocations).to.equal(1);
      lab.advanceTo(601_000);
      expect([lab.server.allocations, lab.server.counters.allocationsEnded.expired, lab.server.pollTimeout()]).to.deep.equal([0, 1, undefined]);
    });

    it('pollTransmitParts gives what pollTransmit encodes, relayed payloads as views of the received bytes (no copy)', () => {
      const lab = new TurnLab();
      const c = lab.client('203.0.113.5', 5000, 'lobby.a');
      const port = lab.allocate(c);
      const other = { address: '203.0.113.21', port: 40001 };
      c.createPermission(lab.now, other.address);
      c.bindChannel(lab.now, PEER);
      lab.pump();
      const client = lab.addressOf(c);
      const payload = Uint8Array.from({ length: 999 }, (_, i) => i & 0xff);
      const channelData = new Uint8Array(4 + payload.length);
      channelData.set([0x40, 0x00, payload.length >> 8, payload.length & 0xff]);
      channelData.set(payload, 4);
      // The same three datagrams through both outputs: peer → client on the channel, a peer
      // without a channel (Data indication), client → peer (ChannelData unwrapped).
      const feed = (): void => {
        lab.server.handleRelayDatagram(lab.now, port, PEER, payload);
        lab.server.handleRelayDatagram(lab.now, port, other, payload);
        lab.server.handleDatagram(lab.now, client, channelData);
      };
      feed();
      const out = new Uint8Array(2048);
      const to = { address: '', port: 0, relayPort: 0 };
      const encoded: Array<{ to: string; bytes: number[] }> = [];
      for (let n = lab.server.pollTransmit(lab.now, out, to); n > 0; n = lab.server.pollTransmit(lab.now, out, to)) {
        encoded.push({ to: `${to.address}:${to.port}/${to.relayPort}`, bytes: [...out.subarray(0, n)] });
      }
      feed();
      const parts = { address: '', port: 0, relayPort: 0, channel: 0 };
      const joined: typeof encoded = [];
      const bodies: Uint8Array[] = [];
      for (let body = lab.server.pollTransmitParts(lab.now, parts); body !== undefined; body = lab.server.pollTransmitParts(lab.now, parts)) {
        bodies.push(body);
        const head = parts.channel === 0 ? [] : [parts.channel >> 8, parts.channel & 0xff, body.length >> 8, body.length & 0xff];
        joined.push({ to: `${parts.address}:${parts.port}/${parts.relayPort}`, bytes: [...head, ...body] });
      }
      expect(encoded.map((e) => e.to)).to.deep.equal([`${client.address}:${client.port}/0`, `${client.address}:${client.port}/0`, `${PEER.address}:${PEER.port}/${port}`]);
      // Data indications carry a random transaction id (bytes 8..20) and so a FINGERPRINT (the last 4) of their own.
      const masked = (l: typeof encoded) => l.map((e, i) => (i === 1 ? { ...e, bytes: [...e.bytes.slice(0, 8), ...e.bytes.slice(20, -4)] } : e));
      expect(masked(joined)).to.deep.equal(masked(encoded));
      expect([bodies[0]!.buffer === payload.buffer, bodies[2]!.buffer === channelData.buffer]).to.deep.equal([true, true]);
    });

    it('leaves Binding requests to the caller (returns false, counts nothing)', () => {
      const lab = new TurnLab();
      const w = new StunWriter(new Uint8Array(64)).begin(StunClass.Request, 0x001, new Uint8Array(12));
      expect(lab.server.handleDatagram(0, { address: '203.0.113.5', port: 1 }, w.bytes())).to.equal(false);
      expect(lab.server.counters.dropped.malformed).to.equal(0);
    });
  });
});
