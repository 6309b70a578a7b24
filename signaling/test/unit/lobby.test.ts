// Pair's records (core/lobby.ts): what each side sent and the live view's timeline, kept
// without an object per relayed message, read back as the events they stand for.
import { expect } from 'chai';
import type { Candidate } from '@meshpunch/protocol';
import { Connection } from '../../src/core/connection.js';
import { Lobby, Member, MAX_PAIR_EVENTS, Pair } from '../../src/core/lobby.js';
import type { PairReport } from '../../src/core/lobby.js';

function pair(): Pair {
  const lobby = new Lobby('game', 'mesh', 8, new Uint8Array(32), new Uint8Array(16), 'lobby-key', 'claim');
  const a = new Member(5, lobby, undefined, new Connection(1, '198.51.100.1', 0, 10), 'token-a');
  const b = new Member(2, lobby, undefined, new Connection(2, '198.51.100.2', 0, 10), 'token-b');
  return new Pair(1, a, b);
}

const HOST: Candidate = { kind: 'host', family: 4, address: '10.0.0.5', port: 4000 };
const RELAY: Candidate = { kind: 'relay', family: 4, address: '203.0.113.9', port: 3478 };

describe('Pair', () => {
  it('gives relayed candidates back as the events they stand for, in order with the other records, each side\'s list as it came', () => {
    const p = pair();
    const listA = [HOST, RELAY];
    const listB = [{ ...HOST, address: '10.0.0.6' }];
    const report: PairReport = { outcome: 'connected', path: 'direct', rttMs: 12, reason: undefined };
    p.record({ at: 1000, kind: 'start' });
    p.recordCandidates(1010, true, listA, false);
    p.recordCandidates(2_000_000_123, false, listB, true);
    p.record({ at: 2_000_000_200, kind: 'result', from: 2, report });
    p.recordCandidates(2_000_000_300, true, [], true);
    const events = p.events;
    expect(events).to.deep.equal([
      { at: 1000, kind: 'start' },
      { at: 1010, kind: 'candidates', from: 5, candidates: listA, done: false },
      { at: 2_000_000_123, kind: 'candidates', from: 2, candidates: listB, done: true },
      { at: 2_000_000_200, kind: 'result', from: 2, report },
      { at: 2_000_000_300, kind: 'candidates', from: 5, candidates: [], done: true },
    ]);
    expect(events[1]!.kind === 'candidates' && events[1]!.candidates).to.equal(listA);
    // The result's record is the one kept (the relay path drops an older report's probes through it).
    expect(events[3]!.kind === 'result' && events[3]!.report).to.equal(report);
    expect(p.eventCount).to.equal(5);
  });

  it('counts compact and whole records against MAX_PAIR_EVENTS alike', () => {
    const p = pair();
    p.record({ at: 1, kind: 'start' });
    for (let i = 0; i < 100; i++) {
      if (i % 3 === 0) p.record({ at: 10 + i, kind: 'result', from: 5, report: { outcome: 'failed', path: undefined, rttMs: undefined, reason: 'timeout' } });
      else p.recordCandidates(10 + i, i % 2 === 0, [HOST], false);
    }
    expect(p.eventCount).to.equal(MAX_PAIR_EVENTS);
    expect(p.events).to.have.length(MAX_PAIR_EVENTS);
    expect(p.events.at(-1)!.at).to.equal(10 + MAX_PAIR_EVENTS - 2);
  });

  it('keeps each side\'s relayed lists for the cap and the relay\'s permissions, the first one itself', () => {
    const p = pair();
    const first = [HOST, RELAY];
    p.noteCandidates(true, first);
    p.noteCandidates(true, []);
    expect(p.candidatesFromA).to.equal(2);
    expect(p.candidatesFromB).to.equal(0);
    p.noteCandidates(true, [{ ...HOST, address: '10.0.0.7' }]);
    expect(p.candidatesFromA).to.equal(3);
    expect(first).to.have.length(2);
    expect(p.sentAddress(true, '10.0.0.7')).to.equal(true);
    expect(p.sentAddress(true, HOST.address)).to.equal(true);
    expect(p.sentAddress(true, RELAY.address), 'a relay candidate is not where the member is').to.equal(false);
    expect(p.sentAddress(false, HOST.address)).to.equal(false);
  });
});
