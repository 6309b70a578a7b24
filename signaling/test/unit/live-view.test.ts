// What the live view shows (core/live-view.ts): built field by field, no secret ever, no
// address in the lobby view, endpoints in the operator's; a page's first message read safely.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { Connection } from '../../src/core/connection.js';
import { Lobby, Member, MAX_PAIR_EVENTS, Pair } from '../../src/core/lobby.js';
import { liveLobby, liveLobbyRows, MAX_LIVE_PROBE_LINKS, parseLiveHello } from '../../src/core/live-view.js';
import type { PairReport } from '../../src/core/lobby.js';

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

  describe('per-candidate probe records (protocol 1.6)', () => {
    /** Side 9's failure with its checks: probing began 3000 ms before the report arrived at 6100. */
    function withProbes(): { lobby: Lobby; pair: Pair; report: PairReport } {
      const { lobby, pair } = lobbyWithFailedPair();
      const report = pair.events[2]!.kind === 'result' ? pair.events[2]!.report : undefined;
      report!.probes = {
        ageMs: 3000,
        checks: [
          { kind: 'srflx', path: 'direct', outcome: 'timeout', sent: 20, firstMs: 5, address: '2001:db8::9', port: 4001 },
          { kind: 'host', path: 'lan', outcome: 'timeout', sent: 20, firstMs: 0, address: '10.0.0.5', port: 4000 },
          { kind: 'host', path: 'lan', outcome: 'unreachable', sent: 0, address: '192.168.7.7', port: 4002 },
        ],
        omitted: 2,
      };
      return { lobby, pair, report: report! };
    }

    it('places each check on the pair\'s clock (first probe first, unprobed last) with no address in the lobby view', () => {
      const { lobby } = withProbes();
      const v = liveLobby(lobby, 7100, { endpoints: false });
      // The pair started at 1100; probing began at 6100 − 3000 = 3100: t = 2000 + firstMs.
      expect(v.links[0]!.events[2]).to.deep.equal({
        t: 5000, kind: 'result', from: 9, outcome: 'failed', reason: 'timeout', probesOmitted: 2,
        probes: [
          { kind: 'host', path: 'lan', outcome: 'timeout', sent: 20, firstT: 2000 },
          { kind: 'srflx', path: 'direct', outcome: 'timeout', sent: 20, firstT: 2005 },
          { kind: 'host', path: 'lan', outcome: 'unreachable', sent: 0 },
        ],
      });
      expect(JSON.stringify(v)).not.to.match(/\d+\.\d+\.\d+\.\d+|2001:db8|4000|4001/);
    });

    it('gives the operator each check\'s address', () => {
      const { lobby } = withProbes();
      const e = liveLobby(lobby, 7100, { endpoints: true }).links[0]!.events[2]!;
      expect(e.kind === 'result' ? e.probes!.map((p) => p.endpoint) : []).to.deep.equal(['10.0.0.5:4000', '[2001:db8::9]:4001', '192.168.7.7:4002']);
    });

    it(`carries the records of at most ${MAX_LIVE_PROBE_LINKS} links per rendering, failed links first`, () => {
      const lobby = new Lobby('big', 'mesh', 200, undefined, undefined);
      lobby.createdAt = 0;
      const members = Array.from({ length: 14 }, (_, i) => new Member(i + 1, lobby, undefined, new Connection(i + 1, '198.51.100.1', 0, 10), `token-${i}`));
      for (const m of members) lobby.members.set(m.id, m);
      let id = 0;
      for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) {
          const pair = new Pair(++id, members[i]!, members[j]!);
          lobby.pairs.set(id, pair);
          pair.record({ at: 10, kind: 'start' });
          // Every 3rd pair failed; all carry a record.
          const failed = id % 3 === 0;
          const report: PairReport = failed
            ? { outcome: 'failed', path: undefined, rttMs: undefined, reason: 'timeout', probes: { ageMs: 5, checks: [{ kind: 'srflx', path: 'direct', outcome: 'timeout', sent: 3 }] } }
            : { outcome: 'connected', path: 'direct', rttMs: 3, reason: undefined, probes: { ageMs: 5, checks: [{ kind: 'srflx', path: 'direct', outcome: 'answered', sent: 1, answerMs: 3 }] } };
          pair.reportA = report;
          pair.record({ at: 20, kind: 'result', from: members[i]!.id, report });
        }
      }
      expect(lobby.pairs.size).to.equal(91);
      const v = liveLobby(lobby, 100, { endpoints: false });
      const results = v.links.map((l) => ({ state: l.state, e: l.events[1]! })).filter((x) => x.e.kind === 'result');
      const shown = results.filter((x) => x.e.kind === 'result' && x.e.probes !== undefined);
      const hidden = results.filter((x) => x.e.kind === 'result' && x.e.probesHidden === true);
      expect(shown).to.have.length(MAX_LIVE_PROBE_LINKS);
      expect(hidden).to.have.length(91 - MAX_LIVE_PROBE_LINKS);
      expect(shown.filter((x) => x.state === 'failed')).to.have.length(30);
      expect(hidden.every((x) => x.state === 'connected')).to.equal(true);
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
