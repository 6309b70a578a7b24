// Conformance of the core: hello, version negotiation, timeouts, malformed input, limits.
import { expect } from 'chai';
import { CloseCode } from '@meshpunch/protocol';
import { heartbeatDue } from '../../src/core/heartbeat.js';
import { CoreHarness } from '../support/core-harness.js';

describe('SignalingCore', () => {
  describe('#handleMessage hello', () => {
    it('answers hello with welcome carrying version, caps, clock, limits and the first heartbeat\'s number (1.7), and no heartbeat of its own', () => {
      const h = new CoreHarness({ stunPort: 3478 });
      const c = h.open();
      h.send(c, { type: 'hello', rid: 7, versions: [1, 2], caps: ['resume', 'bogus', 'seal'], name: 'alice' });
      const all = h.take(c, true);
      expect(all.map((m) => m.type)).to.deep.equal(['welcome']);
      expect(all[0]).to.deep.equal({
        type: 'welcome', rid: 7, version: 1, caps: ['resume', 'seal'], now: h.now, graceMs: 30_000, heartbeatMs: 10_000,
        limits: { maxMessageBytes: 4096, maxCandidatesPerPair: 16, maxPeersCap: 64, messagesPerSecond: 50, messageBurst: 400 },
        stunPort: 3478, n: 1,
      });
    });

    it('takes the ack of the welcome (1.7) as the first RTT and clock-offset sample', () => {
      const h = new CoreHarness();
      h.autoAck = false;
      const c = h.open();
      h.send(c, { type: 'hello', rid: 1, versions: [1] });
      const welcome = h.takeType(c, 'welcome')[0]!;
      h.now += 30;
      h.send(c, { type: 'heartbeat.ack', n: welcome.n!, local: welcome.now + 15 + 2000 });
      h.advance(10_000 + 10_000 / 16);
      expect(h.takeType(c, 'heartbeat')[0]).to.deep.include({ n: 2, rttMs: 30, offsetMs: 2000 });
    });

    it('serves a client that never acks the welcome (before 1.7): the next heartbeat is numbered on and its ack is sampled', () => {
      const h = new CoreHarness();
      h.autoAck = false;
      const c = h.open();
      h.send(c, { type: 'hello', rid: 1, versions: [1] });
      h.take(c, true);
      h.advance(10_000 + 10_000 / 16);
      const hb = h.takeType(c, 'heartbeat')[0]!;
      expect(hb).to.deep.equal({ type: 'heartbeat', n: 2, now: hb.now });
      h.now = hb.now + 40;
      h.send(c, { type: 'heartbeat.ack', n: hb.n, local: hb.now + 20 });
      h.advance(10_000 + 10_000 / 16);
      expect(h.takeType(c, 'heartbeat')[0]).to.deep.include({ n: 3, rttMs: 40, offsetMs: 0 });
      expect(h.closed.has(c)).to.equal(false);
    });

    it('refuses any request before hello with SIG_HELLO_REQUIRED', () => {
      const h = new CoreHarness();
      const c = h.open();
      const err = h.expectError(c, { type: 'lobby.create' }, 'SIG_HELLO_REQUIRED');
      expect(err.message).to.equal('the first message must be hello');
    });

    it('refuses a second hello with SIG_ALREADY_HELLO', () => {
      const h = new CoreHarness();
      const c = h.client();
      h.expectError(c, { type: 'hello', versions: [1] }, 'SIG_ALREADY_HELLO');
    });

    it('answers SIG_UNSUPPORTED_VERSION and closes 4002 when no version is shared', () => {
      const h = new CoreHarness();
      const c = h.open();
      const err = h.expectError(c, { type: 'hello', versions: [7, 9] }, 'SIG_UNSUPPORTED_VERSION');
      expect(err.details).to.deep.equal({ supported: '1' });
      expect(h.closed.get(c)).to.deep.equal({ code: CloseCode.UnsupportedVersion, reason: 'unsupported version' });
    });

    it('closes with 4001 when no hello arrives within helloTimeoutMs, not before', () => {
      const h = new CoreHarness();
      const c = h.open();
      h.advance(4999);
      expect(h.closed.has(c)).to.equal(false);
      h.advance(1);
      expect(h.closed.get(c)).to.deep.equal({ code: CloseCode.HelloTimeout, reason: 'no hello within 5000 ms' });
      expect(h.core.connectionCount).to.equal(0);
    });
  });

  describe('#handleMessage malformed input', () => {
    it('answers SIG_BAD_MESSAGE for invalid JSON, non-objects and wrong field types, naming the field', () => {
      const h = new CoreHarness();
      const c = h.client();
      const cases: Array<[string, string, number | null]> = [
        ['{', 'message is not valid JSON', null],
        ['[1,2]', 'message must be a JSON object', null],
        ['{"type":5}', 'type must be a string', null],
        ['{"type":"lobby.join","rid":3}', 'lobby must be a string of 1..64 characters', 3],
        ['{"type":"lobby.join","rid":-1,"lobby":"x"}', 'rid must be an integer 0..4294967295', null],
        ['{"type":"lobby.create","rid":4,"maxPeers":1}', 'maxPeers must be an integer 2..4096', 4],
      ];
      for (const [text, message, rid] of cases) {
        h.send(c, text);
        expect(h.take(c), text).to.deep.equal([{ type: 'error', rid, code: 'SIG_BAD_MESSAGE', message }]);
      }
    });

    it('answers SIG_UNKNOWN_TYPE for a type it does not know, with the rid', () => {
      const h = new CoreHarness();
      const c = h.client();
      const err = h.expectError(c, { type: 'lobby.explode' }, 'SIG_UNKNOWN_TYPE');
      expect(err.message).to.equal('unknown message type "lobby.explode"');
      expect(h.core.metrics.messagesIn.invalid).to.equal(1);
    });

    it('answers SIG_BAD_MESSAGE for binary frames', () => {
      const h = new CoreHarness();
      const c = h.client();
      h.sendBinary(c, 10);
      expect(h.take(c)).to.deep.equal([{ type: 'error', rid: null, code: 'SIG_BAD_MESSAGE', message: 'binary frames are not accepted; send JSON text' }]);
      expect(h.core.metrics.messagesIn.binary).to.equal(1);
    });

    it('closes with 1009 when a frame is over maxMessageBytes', () => {
      const h = new CoreHarness();
      const c = h.client();
      h.send(c, `{"type":"lobby.join","rid":1,"lobby":"${'a'.repeat(5000)}"}`);
      expect(h.take(c)[0]).to.deep.include({ code: 'SIG_BAD_MESSAGE', message: 'message is 5040 bytes; the limit is 4096' });
      expect(h.closed.get(c)!.code).to.equal(CloseCode.MessageTooBig);
    });

    it('closes with 4000 after maxBadMessages malformed messages in a row', () => {
      const h = new CoreHarness({ maxBadMessages: 3 });
      const c = h.client();
      for (let i = 0; i < 3; i++) h.send(c, 'nope');
      expect(h.closed.has(c)).to.equal(false);
      h.send(c, 'nope');
      expect(h.closed.get(c)).to.deep.equal({ code: CloseCode.ProtocolError, reason: 'too many malformed messages' });
    });

    it('resets the malformed-message count after a good message', () => {
      const h = new CoreHarness({ maxBadMessages: 2 });
      const c = h.client();
      for (let i = 0; i < 10; i++) {
        h.send(c, 'nope');
        h.request(c, { type: 'lobby.leave' });
      }
      expect(h.closed.has(c)).to.equal(false);
    });
  });

  describe('#handleMessage rate limits', () => {
    it('answers SIG_RATE_LIMITED past the burst, then closes 4008 when the client keeps going', () => {
      const h = new CoreHarness({ messagesPerSecond: 10, messageBurst: 5 });
      const c = h.client();
      // hello and one heartbeat ack already took 2 tokens.
      for (let i = 0; i < 3; i++) expect(h.request(c, { type: 'lobby.leave' }).type).to.equal('ok');
      const err = h.expectError(c, { type: 'lobby.leave' }, 'SIG_RATE_LIMITED');
      expect(err.message).to.equal('more than 10 messages per second');
      for (let i = 0; i < 4; i++) h.expectError(c, { type: 'lobby.leave' }, 'SIG_RATE_LIMITED');
      h.send(c, { type: 'lobby.leave', rid: 1 });
      expect(h.closed.get(c)).to.deep.equal({ code: CloseCode.RateLimited, reason: 'rate limit' });
    });

    it('admits messages again once tokens refill', () => {
      const h = new CoreHarness({ messagesPerSecond: 10, messageBurst: 2 });
      const c = h.client();
      h.expectError(c, { type: 'lobby.leave' }, 'SIG_RATE_LIMITED');
      h.advance(100);
      expect(h.request(c, { type: 'lobby.leave' }).type).to.equal('ok');
    });

    it('refuses connections from one address past its burst with SIG_RATE_LIMITED and 4009', () => {
      const h = new CoreHarness({ connectionsPerSecondPerIp: 1, connectionBurstPerIp: 2 });
      h.open('10.1.1.1');
      h.open('10.1.1.1');
      const c = h.open('10.1.1.1');
      expect(h.take(c)[0]).to.deep.include({ code: 'SIG_RATE_LIMITED' });
      expect(h.closed.get(c)).to.deep.equal({ code: CloseCode.ServerFull, reason: 'connection rate limit' });
      const other = h.open('10.1.1.2');
      expect(h.closed.has(other)).to.equal(false);
    });

    it('forgets the oldest address when maxTrackedIps is reached', () => {
      const h = new CoreHarness({ connectionsPerSecondPerIp: 1, connectionBurstPerIp: 1, maxTrackedIps: 2 });
      h.open('10.0.0.1');
      h.open('10.0.0.2');
      h.open('10.0.0.3');
      const again = h.open('10.0.0.1');
      expect(h.closed.has(again)).to.equal(false);
    });

    it('closes connections past maxConnections with SIG_SERVER_FULL and 4009', () => {
      const h = new CoreHarness({ maxConnections: 2 });
      h.open();
      h.open();
      const c = h.open();
      expect(h.take(c)[0]).to.deep.include({ code: 'SIG_SERVER_FULL', message: 'the service is at its limit of 2 connections' });
      expect(h.closed.get(c)!.code).to.equal(CloseCode.ServerFull);
      expect(h.core.connectionCount).to.equal(2);
    });
  });

  describe('#handleTimeout heartbeat', () => {
    it('sends a heartbeat every heartbeatMs with the measured RTT and clock offset', () => {
      const h = new CoreHarness();
      h.autoAck = false;
      const c = h.open();
      h.send(c, { type: 'hello', rid: 1, versions: [1] });
      const hb1 = h.takeType(c, 'welcome')[0]!;
      h.now += 40;
      // The client's clock reads 5000 ms ahead; it acked 20 ms after the service sent (RTT 40).
      h.send(c, { type: 'heartbeat.ack', n: hb1.n!, local: hb1.now + 20 + 5000 });
      h.advance(10_000 + 10_000 / 16);
      const hb2 = h.takeType(c, 'heartbeat')[0]!;
      expect(hb2).to.deep.include({ rttMs: 40, offsetMs: 5000 });
    });

    it('sends the heartbeats of connections that became due within one heartbeatMs/16 slot in one timeout', () => {
      // Issue 19: one wake-up per slot, not one per connection.
      const h = new CoreHarness({ heartbeatMs: 1600 });
      h.now = 1010;
      const conns: number[] = [];
      for (let i = 0; i < 5; i++) {
        conns.push(h.client());
        h.now += 20;
      }
      for (const c of conns) h.take(c, true);
      // Hellos at 1010..1090 (slot 100 ms): every next heartbeat is due at 2700, not at 2610..2690.
      expect([heartbeatDue(1010, 1600), heartbeatDue(1090, 1600), heartbeatDue(1100, 1600)]).to.deep.equal([2700, 2700, 2700]);
      expect(h.core.pollTimeout()).to.equal(2700);
      h.now = 2700;
      h.core.handleTimeout(h.now);
      h.drain();
      for (const c of conns) expect(h.take(c, true).filter((m) => m.type === 'heartbeat')).to.have.length(1);
      expect(h.core.pollTimeout()).to.equal(4300);
    });

    it('closes with 4003 a connection silent for idleTimeoutMs', () => {
      const h = new CoreHarness({ heartbeatMs: 1000, idleTimeoutMs: 3000 });
      h.autoAck = false;
      const c = h.client();
      h.advance(2999);
      expect(h.closed.has(c)).to.equal(false);
      h.advance(1001);
      expect(h.closed.get(c)).to.deep.equal({ code: CloseCode.IdleTimeout, reason: 'no message for 3000 ms' });
    });

    it('keeps a connection that answers heartbeats open', () => {
      const h = new CoreHarness({ heartbeatMs: 1000, idleTimeoutMs: 3000 });
      const c = h.client();
      h.advance(60_000);
      expect(h.closed.has(c)).to.equal(false);
    });
  });

  describe('#shutdown', () => {
    it('tells every client, closes each with 1001 and refuses new connections', () => {
      const h = new CoreHarness();
      const a = h.client();
      const b = h.client();
      h.create(a);
      h.core.shutdown(h.now, 'maintenance');
      h.drain();
      expect(h.take(a)).to.deep.equal([{ type: 'shutdown', reason: 'maintenance' }]);
      expect(h.take(b)).to.deep.equal([{ type: 'shutdown', reason: 'maintenance' }]);
      expect(h.closed.get(a)).to.deep.equal({ code: CloseCode.GoingAway, reason: 'shutdown' });
      expect(h.core.lobbyCount).to.equal(0);
      const c = h.open();
      expect(h.take(c)[0]).to.deep.include({ code: 'SIG_SHUTTING_DOWN' });
      expect(h.closed.get(c)!.code).to.equal(CloseCode.GoingAway);
      expect(h.core.pollTimeout()).to.equal(undefined);
    });
  });
});
