// ReconnectSchedule on a virtual clock: backoff with jitter, bounded delay and window, URL rotation.
import { expect } from 'chai';
import { Prng, SimClock, seedFromEnv } from '@meshpunch/sim';
import { RECONNECT_DEFAULTS, ReconnectSchedule } from '../../src/core/reconnect-schedule.js';
import type { ReconnectAttempt } from '../../src/core/reconnect-schedule.js';
import { SignalingError } from '../../src/errors.js';

function schedule(urlCount: number, windowMs: number, random: () => number): ReconnectSchedule {
  return new ReconnectSchedule({ urlCount, windowMs, random, ...RECONNECT_DEFAULTS });
}

/** Fails every attempt the moment it is due; returns the whole plan of one outage. */
function runOutage(s: ReconnectSchedule, clock: SimClock, immediate: boolean): ReconnectAttempt[] {
  const plan: ReconnectAttempt[] = [];
  for (let a: ReconnectAttempt | undefined = s.begin(clock.now, immediate); a !== undefined; a = s.next(clock.now)) {
    plan.push(a);
    clock.advanceTo(a.at);
    expect(plan.length, 'attempts stay bounded').to.be.below(10_000);
  }
  return plan;
}

describe('ReconnectSchedule', () => {
  describe('#next', () => {
    it('doubles the backoff from 100 ms up to the 5 s cap, jittered into [½, 1] of it', () => {
      const clock = new SimClock();
      const prng = new Prng(seedFromEnv(7));
      const plan = runOutage(schedule(1, 120_000, () => prng.float()), clock, false);
      const gaps = plan.map((a, i) => a.at - (i === 0 ? 0 : plan[i - 1]!.at));
      for (let i = 0; i < gaps.length; i++) {
        const base = Math.min(5000, 100 * 2 ** i);
        expect(gaps[i], `gap ${i}`).to.be.within(Math.floor(base / 2), base);
      }
      // Past the cap, every gap is 2.5..5 s: the loop neither spins nor sleeps unboundedly.
      expect(gaps.slice(8).every((g) => g >= 2500 && g <= 5000)).to.equal(true);
    });

    it('gives up instead of scheduling past the window', () => {
      const clock = new SimClock();
      const plan = runOutage(schedule(1, 60_000, () => 0.999), clock, true);
      expect(plan.at(-1)!.at).to.be.at.most(60_000);
      expect(plan.length).to.be.within(15, 25);
      const s = schedule(1, 0, () => 0.5);
      s.begin(0, true);
      expect(s.next(0)).to.equal(undefined);
    });

    it('tries every URL once even with a 0 ms window (retryConnectMs default: one try per URL), then gives up', () => {
      const clock = new SimClock();
      const plan = runOutage(schedule(3, 0, () => 0.999), clock, true);
      expect(plan.map((a) => a.url)).to.deep.equal([0, 1, 2]);
      // The next URL still follows within nextUrlDelayMs, however late the window ended.
      expect(plan[2]!.at - plan[1]!.at).to.be.at.most(50);
    });

    it('rotates over every URL: the others of a round follow at once, the round backs off', () => {
      const clock = new SimClock();
      const plan = runOutage(schedule(3, 10_000, () => 0.999), clock, true);
      expect(plan.slice(0, 7).map((a) => a.url)).to.deep.equal([0, 1, 2, 0, 1, 2, 0]);
      expect(plan[1]!.at - plan[0]!.at).to.be.at.most(50);
      expect(plan[3]!.at - plan[2]!.at).to.be.within(100, 200);
      expect(plan[6]!.at - plan[5]!.at).to.be.within(200, 400);
    });

    it('spreads a fleet that lost the same service at the same instant (jitter)', () => {
      const prng = new Prng(seedFromEnv(11));
      const firsts = new Set<number>();
      for (let i = 0; i < 50; i++) firsts.add(schedule(1, 10_000, () => prng.float()).begin(0, false).at);
      expect(firsts.size).to.be.above(20);
    });

    it('starts over on every begin (a new outage)', () => {
      const s = schedule(2, 5000, () => 0.5);
      s.begin(0, true);
      s.next(10);
      s.next(20);
      expect(s.attempts).to.equal(2);
      const a = s.begin(1000, true);
      expect(a).to.deep.equal({ at: 1000, url: 0, attempt: 0 });
      expect(s.deadline).to.equal(6000);
    });
  });

  describe('#constructor', () => {
    it('throws SignalingError ERR_INVALID_PARAMETER for an unbounded or empty configuration', () => {
      expect(() => schedule(0, 1000, Math.random)).to.throw(SignalingError, 'urlCount must be an integer ≥ 1, got 0');
      expect(() => schedule(1, Number.POSITIVE_INFINITY, Math.random)).to.throw(SignalingError, 'windowMs must be finite and ≥ 0, got Infinity');
    });
  });
});
