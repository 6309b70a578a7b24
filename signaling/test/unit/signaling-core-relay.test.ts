// The core's relay side (relay.md §1, §2(b), §4): welcome.relay and the capability,
// relay.credentials (REST form, lobby tag, rate limit, refusals), the NAT hint passed on,
// membership and permission answers for the embedded relay, revocation when a member leaves.
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { nodeHmacSha1 } from '@meshpunch/nat';
import type { RelayCredentialsMessage, WelcomeMessage } from '@meshpunch/protocol';
import { renderPrometheus } from '../../src/core/prometheus.js';
import { CoreHarness } from '../support/core-harness.js';

const SECRET = 'relay-test-secret';
const UNIX_AT_ZERO = 1_767_225_600_000;
const EMBEDDED = { port: 8787, transport: 'udp' as const };

function relayHarness(extra: Record<string, unknown> = {}): CoreHarness {
  return new CoreHarness({ relay: { secret: SECRET, hmacSha1: nodeHmacSha1, unixMsAtZero: UNIX_AT_ZERO, servers: [EMBEDDED], ...extra } });
}

/** A two-member lobby: a (id 1) from 198.51.100.7, b from 203.0.113.9. */
function duo(h: CoreHarness): { a: number; b: number; bId: number; code: string } {
  const a = h.client('a', '198.51.100.7');
  const { lobby } = h.create(a);
  const b = h.client('b', '203.0.113.9');
  const bId = h.join(b, lobby.code).you;
  h.take(a);
  h.take(b);
  return { a, b, bId, code: lobby.code };
}

function credentials(h: CoreHarness, c: number): RelayCredentialsMessage {
  const msg = h.request(c, { type: 'relay.credentials' });
  if (msg.type !== 'relay.credentials') expect.fail(JSON.stringify(msg));
  return msg;
}

describe('SignalingCore relay', () => {
  describe('welcome', () => {
    it('offers the relay capability and welcome.relay when a relay is configured', () => {
      const h = relayHarness();
      const c = h.open();
      const w = h.request(c, { type: 'hello', versions: [1], caps: ['relay', 'stun'] }) as WelcomeMessage;
      expect(w.caps).to.deep.equal(['stun', 'relay']);
      expect(w.relay).to.deep.equal({ servers: [EMBEDDED] });
    });

    it('offers neither without a relay (--no-relay), and answers relay.credentials SIG_RELAY_UNAVAILABLE', () => {
      const h = new CoreHarness();
      const c = h.open();
      const w = h.request(c, { type: 'hello', versions: [1], caps: ['relay'] }) as WelcomeMessage;
      expect(w.caps).to.deep.equal([]);
      expect(w).to.not.have.property('relay');
      h.create(c);
      const err = h.expectError(c, { type: 'relay.credentials' }, 'SIG_RELAY_UNAVAILABLE');
      expect(err.message).to.equal('this service offers no relay');
      expect(h.core.metrics.relayCredentials).to.deep.equal({ minted: 0, refused: 1 });
    });

    it('offers neither while the server list is empty (the embedded relay not bound yet, no coturn)', () => {
      const h = relayHarness({ servers: [] });
      const c = h.open();
      const w = h.request(c, { type: 'hello', versions: [1], caps: ['relay'] }) as WelcomeMessage;
      expect(w.caps).to.deep.equal([]);
      expect(w).to.not.have.property('relay');
    });
  });

  describe('relay.credentials', () => {
    it('mints a REST credential: <expiry>:<lobbyTag>.<peerId>, base64 HMAC-SHA1 password, the tag never the code', () => {
      const h = relayHarness();
      const { a, b, bId, code } = duo(h);
      const ca = credentials(h, a);
      const cb = credentials(h, b);
      const expiry = Math.floor((UNIX_AT_ZERO + h.now) / 1000) + 600;
      const m = /^(\d+):([A-Za-z0-9_-]{12})\.(\d+)$/.exec(ca.username);
      expect(m, ca.username).to.not.equal(null);
      expect(Number(m![1])).to.equal(expiry);
      expect(m![3]).to.equal('1');
      expect(cb.username).to.equal(`${expiry}:${m![2]}.${bId}`);
      expect(ca.username).to.not.include(code);
      expect(ca.password).to.equal(createHmac('sha1', SECRET).update(ca.username).digest('base64'));
      expect(ca).to.deep.include({ ttlS: 600, realm: 'meshpunch', servers: [EMBEDDED] });
      expect(h.core.metrics.relayCredentials.minted).to.equal(2);
    });

    it('gives each lobby its own tag', () => {
      const h = relayHarness();
      const x = h.client();
      h.create(x);
      const y = h.client();
      h.create(y);
      const tx = credentials(h, x).username.split(':')[1]!.split('.')[0];
      const ty = credentials(h, y).username.split(':')[1]!.split('.')[0];
      expect(tx).to.not.equal(ty);
    });

    it('refuses outside a lobby with SIG_NOT_IN_LOBBY', () => {
      const h = relayHarness();
      const c = h.client();
      h.expectError(c, { type: 'relay.credentials' }, 'SIG_NOT_IN_LOBBY');
    });

    it('allows 6 per minute per member, then SIG_RATE_LIMITED; one more after 10 s', () => {
      const h = relayHarness();
      const { a, b } = duo(h);
      for (let i = 0; i < 6; i++) credentials(h, a);
      const err = h.expectError(a, { type: 'relay.credentials' }, 'SIG_RATE_LIMITED');
      expect(err.message).to.equal('more than 6 relay.credentials per minute');
      credentials(h, b); // another member has its own budget
      h.advance(10_000);
      credentials(h, a);
      h.expectError(a, { type: 'relay.credentials' }, 'SIG_RATE_LIMITED');
      expect(h.core.metrics.relayCredentials).to.deep.equal({ minted: 8, refused: 2 });
    });

    it('answers SIG_RELAY_UNAVAILABLE while the relay says it is full', () => {
      const h = relayHarness();
      const { a } = duo(h);
      h.core.relay!.isFull = () => true;
      const err = h.expectError(a, { type: 'relay.credentials' }, 'SIG_RELAY_UNAVAILABLE');
      expect(err.message).to.equal('the relay is at capacity');
      h.core.relay!.isFull = () => false;
      credentials(h, a);
    });

    it('counts both results in /metrics', () => {
      const h = relayHarness();
      const { a } = duo(h);
      credentials(h, a);
      h.core.relay!.isFull = () => true;
      h.expectError(a, { type: 'relay.credentials' }, 'SIG_RELAY_UNAVAILABLE');
      const text = renderPrometheus(h.core.metrics, { connections: 0, lobbies: 0, members: 0, residentBytes: 0, heapUsedBytes: 0 }, undefined);
      expect(text).to.include('meshpunch_signal_relay_credentials_total{result="minted"} 1\n');
      expect(text).to.include('meshpunch_signal_relay_credentials_total{result="refused"} 1\n');
    });
  });

  describe('pair.candidates nat hint', () => {
    it('passes the hint to the other side unchanged, and relay candidates too', () => {
      const h = relayHarness();
      const { a, b } = duo(h);
      const relayCand = { kind: 'relay', family: 4, address: '203.0.113.10', port: 50000 };
      const nat = { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' };
      expect(h.request(a, { type: 'pair.candidates', pair: 1, candidates: [relayCand], nat }).type).to.equal('ok');
      const [ev] = h.takeType(b, 'pair.candidates');
      expect(ev).to.deep.equal({ type: 'pair.candidates', pair: 1, from: 1, candidates: [relayCand], done: false, nat });
      expect(h.request(a, { type: 'pair.candidates', pair: 1, candidates: [] }).type).to.equal('ok');
      expect(h.takeType(b, 'pair.candidates')[0]).to.not.have.property('nat');
    });
  });

  describe('membership and permissions for the embedded relay', () => {
    it('knows current members by <lobbyTag>.<peerId>, away ones included, and forgets them when they leave', () => {
      const h = relayHarness({});
      const { a, b, bId } = duo(h);
      const tag = credentials(h, a).username.split(':')[1]!.split('.')[0]!;
      const relay = h.core.relay!;
      expect(relay.memberOf(`${tag}.1`)?.id).to.equal(1);
      expect(relay.memberOf(`${tag}.${bId}`)?.id).to.equal(bId);
      expect(relay.memberOf(`${tag}.77`)).to.equal(undefined);
      expect(relay.memberOf(`nottag.1`)).to.equal(undefined);
      expect(relay.memberOf(`${tag}.01`)).to.equal(undefined);
      h.drop(b); // away: grace
      expect(relay.memberOf(`${tag}.${bId}`)?.id).to.equal(bId);
      expect(h.relayRevoked).to.deep.equal([]);
      h.advance(30_000); // grace over
      expect(relay.memberOf(`${tag}.${bId}`)).to.equal(undefined);
      expect(h.relayRevoked).to.deep.equal([`${tag}.${bId}`]);
    });

    it('asks the adapter to revoke a member at once when it leaves, and forgets the tag with the lobby', () => {
      const h = relayHarness();
      const { a, b, bId } = duo(h);
      const tag = credentials(h, a).username.split(':')[1]!.split('.')[0]!;
      expect(h.request(b, { type: 'lobby.leave' }).type).to.equal('ok');
      expect(h.relayRevoked).to.deep.equal([`${tag}.${bId}`]);
      expect(h.core.relay!.tagCount).to.equal(1);
      expect(h.request(a, { type: 'lobby.leave' }).type).to.equal('ok');
      expect(h.relayRevoked).to.deep.equal([`${tag}.${bId}`, `${tag}.1`]);
      expect(h.core.relay!.tagCount).to.equal(0);
      expect(h.core.relay!.memberOf(`${tag}.1`)).to.equal(undefined);
    });

    it('permits only IPs seen for another member of the same lobby', () => {
      const h = relayHarness();
      const { a, b, bId } = duo(h);
      const tag = credentials(h, a).username.split(':')[1]!.split('.')[0]!;
      const relay = h.core.relay!;
      const nameA = `${tag}.1`;
      const nameB = `${tag}.${bId}`;
      // WebSocket sources of the other member.
      expect(relay.mayPermit(nameA, '203.0.113.9')).to.equal(true);
      expect(relay.mayPermit(nameB, '198.51.100.7')).to.equal(true);
      // Never its own, never an unseen one.
      expect(relay.mayPermit(nameA, '198.51.100.7')).to.equal(false);
      expect(relay.mayPermit(nameA, '203.0.113.50')).to.equal(false);
      // A srflx candidate b sent for the pair with a.
      h.request(b, { type: 'pair.candidates', pair: 1, candidates: [{ kind: 'srflx', family: 4, address: '203.0.113.50', port: 4000 }] });
      expect(relay.mayPermit(nameA, '203.0.113.50')).to.equal(true);
      expect(relay.mayPermit(nameB, '203.0.113.50')).to.equal(false);
      // A relay candidate is not an address of the member.
      h.request(b, { type: 'pair.candidates', pair: 1, candidates: [{ kind: 'relay', family: 4, address: '203.0.113.60', port: 4000 }] });
      expect(relay.mayPermit(nameA, '203.0.113.60')).to.equal(false);
      // The source of b's authenticated TURN traffic.
      relay.noteSource(nameB, '203.0.113.70');
      expect(relay.mayPermit(nameA, '203.0.113.70')).to.equal(true);
      // A member of another lobby at an IP is not a reason.
      const x = h.client('x', '203.0.113.80');
      h.create(x);
      expect(relay.mayPermit(nameA, '203.0.113.80')).to.equal(false);
      // Unknown requester: nothing.
      expect(relay.mayPermit(`${tag}.99`, '203.0.113.9')).to.equal(false);
    });

    it('keeps at most 8 TURN sources per member (oldest forgotten)', () => {
      const h = relayHarness();
      const { a, bId } = duo(h);
      const tag = credentials(h, a).username.split(':')[1]!.split('.')[0]!;
      const relay = h.core.relay!;
      for (let i = 1; i <= 9; i++) relay.noteSource(`${tag}.${bId}`, `203.0.113.${100 + i}`);
      expect(relay.mayPermit(`${tag}.1`, '203.0.113.101')).to.equal(false);
      expect(relay.mayPermit(`${tag}.1`, '203.0.113.109')).to.equal(true);
      expect(relay.memberOf(`${tag}.${bId}`)!.relaySources).to.have.length(8);
    });
  });
});
