// What the live view shows (core/live-view.ts): built field by field, no secret ever, no
// address in the lobby view, endpoints in the operator's; a page's first message read safely.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { Connection } from '../../src/core/connection.js';
import { Lobby, Member, MAX_PAIR_EVENTS, Pair } from '../../src/core/lobby.js';
import { liveLobby, liveLobbyRows, parseLiveHello } from '../../src/core/live-view.js';

const SECRETS = ['resume-token-aaaaaaaaaaaa', 'resume-token-bbbbbbbbbbbb', 'pair-secret-cccccccccccc', 'lobby-key-dddddddddddd', 'claim-eeeeeeeeeeeeeeee', 'view-token-ffffffffffff'];

function lobbyWithFailedPair(): { lobby: Lobby; pair: Pair } {
  const lobby = new Lobby('game', 'mesh', 8, new Uint8Array(32).fill(7), new Uint8Array(16), SECRETS[3], SECRETS[4]);
  lobby.createdAt = 1000;
  lobby.viewToken = SECRETS[5];
  const a = new Member(1, lobby, 'alice', new Connection(1, '198.51.100.1', 0, 10), SECRETS[0]!);
  const b = new Member(9, lobby, '<b>bob</b>', new Connection(2, '2001:db8::2', 0, 10), SECRETS[1]!);
  lobby.members.set(1, a);
  lobby.members.set(9, b);
  // A pair keeps no secret (it goes out in pair.start only); SECRETS[2] stays in the never-shown list.
  const pair = new Pair(1, a, b);
  lobby.pairs.set(1, pair);
  pair.record({ at: 1100, kind: 'start' });
  pair.record({ at: 1150, kind: 'candidates', from: 1, candidates: [{ kind: 'host', family: 4, address: '10.0.0.5', port: 4000 }, { kind: 'srflx', family: 6, address: '2001:db8::9', port: 4001 }], done: true });
  const report = { outcome: 'failed' as const, path: undefined, rttMs: undefined, reason: 'timeout' as const };
  pair.reportB = report;
  pair.record({ at: 6100, kind: 'result', from: 9, report });
  return { lobby, pair };
}

describe('live view (core)', () => {
  describe('#liveLobby', () => {
    it('shows members, the link with its reason and timeline, and no address or secret in the lobby view', () => {
      const { lobby } = lobbyWithFailedPair();
      const v = liveLobby(lobby, 7100, { endpoints: false });
      expect(v).to.deep.equal({
        code: 'game', mode: 'mesh', sealed: false, owner: 1, maxPeers: 8, hasPassword: true, ageMs: 6100,
        members: [{ id: 1, name: 'alice', away: false }, { id: 9, name: '<b>bob</b>', away: false }],
        links: [{
          pair: 1, a: 1, b: 9, state: 'failed', reason: 'timeout', ageMs: 6000,
          events: [
            { t: 0, kind: 'start' },
            { t: 50, kind: 'candidates', from: 1, candidates: [{ kind: 'host' }, { kind: 'srflx' }], done: true },
            { t: 5000, kind: 'result', from: 9, outcome: 'failed', reason: 'timeout' },
          ],
        }],
      });
      const text = JSON.stringify(v);
      for (const s of SECRETS) expect(text).not.to.include(s);
      expect(text).not.to.match(/\d+\.\d+\.\d+\.\d+|2001:db8/);
    });

    it('adds endpoints for the operator (WebSocket source, candidates as address:port, [v6]:port) and still no secret', () => {
      const { lobby } = lobbyWithFailedPair();
      const v = liveLobby(lobby, 7100, { endpoints: true });
      expect(v.members.map((m) => m.endpoint)).to.deep.equal(['198.51.100.1', '2001:db8::2']);
      expect(v.links[0]!.events[1]).to.deep.include({ candidates: [{ kind: 'host', endpoint: '10.0.0.5:4000' }, { kind: 'srflx', endpoint: '[2001:db8::9]:4001' }] });
      const text = JSON.stringify(v);
      for (const s of SECRETS) expect(text).not.to.include(s);
    });
  });

  describe('Pair#record', () => {
    it(`keeps at most ${MAX_PAIR_EVENTS} events per pair`, () => {
      const { pair } = lobbyWithFailedPair();
      for (let i = 0; i < 100; i++) pair.record({ at: 7000 + i, kind: 'start' });
      expect(pair.events).to.have.length(MAX_PAIR_EVENTS);
    });
  });

  describe('#liveLobbyRows', () => {
    it('lists the newest lobbies first, at most `limit`, and counts the rest', () => {
      const lobbies = [1, 2, 3].map((i) => {
        const l = new Lobby(`l${i}`, 'mesh', 8, undefined, undefined);
        l.createdAt = i * 100;
        return l;
      });
      const { rows, omitted } = liveLobbyRows(lobbies, 3, 1000, 2, (l) => Number(l.code.slice(1)) * 10);
      expect(rows.map((r) => [r.id, r.code, r.ageMs, r.claimed])).to.deep.equal([[30, 'l3', 700, false], [20, 'l2', 800, false]]);
      expect(omitted).to.equal(1);
    });
  });

  describe('#parseLiveHello', () => {
    it('reads the two view requests and nothing else', () => {
      expect(parseLiveHello('{"view":"lobby","lobby":"game","token":"t"}')).to.deep.equal({ view: 'lobby', lobby: 'game', token: 't' });
      expect(parseLiveHello('{"view":"operator","token":"t","lobby":3}')).to.deep.equal({ view: 'operator', token: 't', lobby: 3 });
      for (const bad of ['', 'null', '[]', '{"view":"lobby","lobby":"g"}', '{"view":"operator","token":""}', '{"view":"operator","token":"t","lobby":"3"}',
        `{"view":"lobby","lobby":"g","token":"${'x'.repeat(257)}"}`, '{"view":"admin","token":"t"}', '{"__proto__":{"view":"lobby"}}']) {
        expect(parseLiveHello(bad), bad).to.equal(undefined);
      }
    });

    it('never throws on random or mutated input (5000 cases)', () => {
      const prng = new Prng(seedFromEnv(17));
      const base = '{"view":"lobby","lobby":"game","token":"abc"}';
      for (let i = 0; i < 5000; i++) {
        const chars = [...base];
        for (let k = prng.int(1, 4); k > 0; k--) chars[prng.int(0, chars.length - 1)] = String.fromCharCode(prng.int(0, 0x7f));
        expect(() => parseLiveHello(chars.join(''))).not.to.throw();
      }
    });
  });
});
