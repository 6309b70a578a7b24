// The shared real-time runner and its deadline timer (issue #15), on a clock the test sets: what is
// checked is which calls the core gets and with which time, never how long anything took.
import { expect } from 'chai';
import { CoreRunner } from '../../src/adapter/core-runner.js';
import { DeadlineTimer } from '../../src/adapter/deadline-timer.js';
import type { Endpoint, MutableEndpoint, SansIoCore } from '../../src/core/sans-io-core.js';

/** Resolves after the timers due now have run (a 0 ms timer queued after them). */
function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1));
}

/** A core that echoes every datagram once and asks for a timeout at `deadline`. */
class EchoCore implements SansIoCore {
  readonly calls: string[] = [];
  deadline: number | undefined = undefined;
  #queue: Array<{ to: Endpoint; bytes: Uint8Array }> = [];

  handleDatagram(now: number, from: Endpoint, bytes: Uint8Array): void {
    this.calls.push(`datagram@${now}`);
    this.#queue.push({ to: { ...from }, bytes: bytes.slice() });
  }

  handleTimeout(now: number): void {
    this.calls.push(`timeout@${now}`);
    if (this.deadline !== undefined && now >= this.deadline) this.deadline = undefined;
  }

  pollTransmit(_now: number, out: Uint8Array, to: MutableEndpoint): number {
    const d = this.#queue.shift();
    if (d === undefined) return 0;
    out.set(d.bytes);
    to.address = d.to.address;
    to.port = d.to.port;
    return d.bytes.length;
  }

  pollTimeout(): number | undefined {
    return this.deadline;
  }
}

describe('DeadlineTimer', () => {
  describe('#arm', () => {
    it('waits again when it fires before the deadline on the given clock, then calls once with a due time', async () => {
      let clock = 100;
      const due: number[] = [];
      const t = new DeadlineTimer((now) => due.push(now), { now: () => clock });
      t.arm(100);
      // The OS timer fires (0 ms) but the clock says 99: too early, nothing is called.
      clock = 99;
      await tick();
      expect(due).to.deep.equal([]);
      expect(t.armedFor).to.equal(100);
      clock = 100;
      await tick();
      await tick();
      expect(due).to.deep.equal([100]);
      expect(t.armedFor).to.equal(undefined);
    });

    it('keeps one OS timer for the same deadline and disarms with undefined', async () => {
      const clock = 50;
      const due: number[] = [];
      const t = new DeadlineTimer((now) => due.push(now), { now: () => clock });
      t.arm(40);
      t.arm(40);
      t.arm(undefined);
      await tick();
      expect(due).to.deep.equal([]);
      t.arm(40);
      await tick();
      expect(due).to.deep.equal([50]);
    });
  });

  describe('#armNoLaterThan', () => {
    it('keeps an earlier armed deadline, moves a later one earlier, and disarms with undefined', async () => {
      let clock = 0;
      const due: number[] = [];
      const t = new DeadlineTimer((now) => due.push(now), { now: () => clock });
      t.armNoLaterThan(10);
      t.armNoLaterThan(30);
      expect(t.armedFor, 'the earlier deadline stays').to.equal(10);
      t.armNoLaterThan(5);
      expect(t.armedFor, 'an earlier one replaces it').to.equal(5);
      t.armNoLaterThan(undefined);
      expect(t.armedFor).to.equal(undefined);
      clock = 20;
      t.armNoLaterThan(20);
      expect(t.armedFor, 'nothing armed: arms').to.equal(20);
      await tick();
      await tick();
      expect(due).to.deep.equal([20]);
    });
  });
});

describe('CoreRunner', () => {
  describe('#handleDatagram', () => {
    it('hands datagrams to the core only between start and stop, and sends what it transmits', () => {
      const core = new EchoCore();
      const sent: string[] = [];
      let after = 0;
      const r = new CoreRunner(core, { send: (b, to) => sent.push(`${to.address}:${to.port}:${b.length}`), afterInput: () => after++, now: () => 7 });
      r.handleDatagram({ address: '127.0.0.1', port: 9 }, new Uint8Array(3));
      expect(core.calls).to.deep.equal([]);
      r.start();
      r.handleDatagram({ address: '127.0.0.1', port: 9 }, new Uint8Array(3));
      expect(core.calls).to.deep.equal(['datagram@7']);
      expect(sent).to.deep.equal(['127.0.0.1:9:3']);
      expect(after).to.equal(1);
      r.stop();
      r.handleDatagram({ address: '127.0.0.1', port: 9 }, new Uint8Array(3));
      expect(core.calls).to.have.length(1);
    });
  });

  describe('#kick', () => {
    it('fires the core\'s deadline once due on the runner\'s clock, never before', async () => {
      const core = new EchoCore();
      let clock = 10;
      const r = new CoreRunner(core, { send: () => undefined, now: () => clock });
      core.deadline = 12;
      r.start();
      r.kick();
      await tick();
      await tick();
      expect(core.calls, 'clock at 10: not yet due').to.deep.equal([]);
      clock = 12;
      await tick();
      await tick();
      expect(core.calls).to.deep.equal(['timeout@12']);
      r.stop();
    });

    it('stop() leaves no timer behind (the group would not exit otherwise)', () => {
      const core = new EchoCore();
      const r = new CoreRunner(core, { send: () => undefined, now: () => 0 });
      core.deadline = 1_000_000;
      r.start();
      r.kick();
      r.stop();
      expect(r.running).to.equal(false);
    });
  });
});
