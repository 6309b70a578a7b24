// The per-candidate probe record a failed link sends with pair.result (core/probe-report.ts,
// protocol 1.6): each check's outcome from the punch's history, bounded in count and bytes, and
// always a record the service's validator accepts.
import { expect } from 'chai';
import type { PunchCheckTimeline } from '@meshpunch/nat';
import { decodeClientMessage, MAX_PROBE_CHECKS } from '@meshpunch/protocol';
import { buildProbeReport } from '../../src/core/probe-report.js';

function check(over: Partial<PunchCheckTimeline>): PunchCheckTimeline {
  return {
    address: '203.0.113.7', port: 40000, kind: 'srflx', priority: 100, path: 'direct',
    requestsSent: 0, firstSentAt: undefined, lastSentAt: undefined, requestsReceived: 0, firstReceivedAt: undefined,
    provenAt: undefined, rttMs: undefined, ...over,
  };
}

/** The record as the service reads it: it must pass the wire validator. */
function accepted(probes: unknown): void {
  const res = decodeClientMessage(JSON.stringify({ type: 'pair.result', rid: 1, pair: 1, outcome: 'failed', reason: 'timeout', probes }));
  expect(res.ok, res.ok ? '' : res.message).to.equal(true);
}

describe('buildProbeReport', () => {
  it('says what became of each check, on the clock of the first punch, answered first and unprobed last', () => {
    const r = buildProbeReport([
      {
        startedAt: 1000,
        checks: [
          check({ kind: 'host', path: 'lan', address: '10.0.0.2', requestsSent: 30, firstSentAt: 1000.4 }),
          check({ requestsSent: 30, firstSentAt: 1002, requestsReceived: 4, firstReceivedAt: 1500 }),
          check({ kind: 'prflx', address: '203.0.113.8', port: 40001, requestsSent: 2, firstSentAt: 1600 }),
          check({ address: '203.0.113.9', requestsSent: 0 }),
        ],
      },
      { startedAt: 3000, checks: [check({ kind: 'relay', path: 'relay', address: '198.51.100.1', port: 50000, requestsSent: 3, firstSentAt: 3000, provenAt: 3020, rttMs: 19.6 })] },
    ], [{ kind: 'host', address: '192.168.9.9', port: 4000, reason: 'no-shared-lan' }, { kind: 'host', address: 'x<y', port: 1, reason: 'invalid' }], 6000, 3800);
    expect(r).to.deep.equal({
      ageMs: 5000,
      checks: [
        { kind: 'relay', path: 'relay', outcome: 'answered', sent: 3, address: '198.51.100.1', port: 50000, firstMs: 2000, answerMs: 2020, rttMs: 20 },
        { kind: 'srflx', path: 'direct', outcome: 'one-way', sent: 30, address: '203.0.113.7', port: 40000, firstMs: 2, heardMs: 500 },
        { kind: 'host', path: 'lan', outcome: 'timeout', sent: 30, address: '10.0.0.2', port: 40000, firstMs: 0 },
        { kind: 'prflx', path: 'direct', outcome: 'timeout', sent: 2, address: '203.0.113.8', port: 40001, firstMs: 600 },
        { kind: 'host', path: 'lan', outcome: 'unreachable', sent: 0, address: '192.168.9.9', port: 4000 },
        // A malformed candidate's text never goes on the wire.
        { kind: 'host', path: 'direct', outcome: 'refused', sent: 0 },
        { kind: 'srflx', path: 'direct', outcome: 'not-sent', sent: 0, address: '203.0.113.9', port: 40000 },
      ],
    });
    accepted(r);
  });

  it(`keeps at most ${MAX_PROBE_CHECKS} checks and counts the rest`, () => {
    const checks = Array.from({ length: 40 }, (_, i) => check({ port: 1000 + i, requestsSent: 5, firstSentAt: 10 + i }));
    const r = buildProbeReport([{ startedAt: 10, checks }], [], 100, 100_000)!;
    expect(r.checks).to.have.length(MAX_PROBE_CHECKS);
    expect(r.omitted).to.equal(40 - MAX_PROBE_CHECKS);
    accepted(r);
  });

  it('fits the byte budget by leaving out the least telling checks (IPv6 addresses, 16 checks)', () => {
    const checks = Array.from({ length: 16 }, (_, i) => check({ address: `2001:db8:1234:5678:9abc:def0:1234:${(0x1000 + i).toString(16)}`, port: 60000 + i, requestsSent: 100, firstSentAt: 123456 }));
    checks[15] = check({ address: '2001:db8::1', requestsSent: 3, firstSentAt: 200, provenAt: 300, rttMs: 100 });
    for (const budget of [3800, 1000, 400]) {
      const r = buildProbeReport([{ startedAt: 0, checks }], [], 200_000, budget)!;
      expect(JSON.stringify(r).length).to.be.at.most(budget);
      expect(r.checks[0]!.outcome, 'the answered check stays').to.equal('answered');
      expect(r.checks.length + (r.omitted ?? 0)).to.equal(16);
      accepted(r);
    }
    expect(buildProbeReport([{ startedAt: 0, checks }], [], 200_000, 20)).to.equal(undefined);
  });

  it('drops an address the wire does not take (zone id) but keeps the check; nothing probed or refused is no record', () => {
    const r = buildProbeReport([{ startedAt: undefined, checks: [check({ kind: 'host', path: 'lan', address: 'fe80::1%eth0', requestsSent: 0 })] }], [], 50, 4000)!;
    expect(r).to.deep.equal({ ageMs: 0, checks: [{ kind: 'host', path: 'lan', outcome: 'not-sent', sent: 0 }] });
    accepted(r);
    expect(buildProbeReport([], [], 50, 4000)).to.equal(undefined);
    expect(buildProbeReport([{ startedAt: 1, checks: [] }], [], 50, 4000)).to.equal(undefined);
  });
});
