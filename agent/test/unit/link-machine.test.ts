import { expect } from 'chai';
import { HANDSHAKE_ATTEMPTS, LinkMachine, type LinkAction, type LinkStart } from '../../src/core/link-machine.js';

type C = { a: string; p: number };
const T = { gatherMs: 100, exchangeMs: 200, punchMs: 300, connectMs: 400 };

function drain(m: LinkMachine<C>): LinkAction<C>[] {
  const out: LinkAction<C>[] = [];
  for (let a = m.pollAction(); a !== undefined; a = m.pollAction()) out.push(a);
  return out;
}

function machine(role: 'connect' | 'listen', startAt = 50): LinkMachine<C> {
  const s: LinkStart = { pairId: '7', remoteId: 42, role, startAt };
  return new LinkMachine<C>(s, T);
}

const local = { address: '10.0.0.1', port: 4000 };
const remote = { address: '10.0.0.2', port: 5000 };

describe('LinkMachine', () => {
  describe('#begin', () => {
    it('asks to gather and arms the gather deadline', () => {
      const m = machine('connect');
      m.begin(0);
      expect(m.phase).to.equal('gathering');
      expect(drain(m)).to.deep.equal([{ type: 'gather' }]);
      expect(m.pollTimeout()).to.equal(100);
    });

    it('throws when called twice', () => {
      const m = machine('connect');
      m.begin(0);
      expect(() => m.begin(1)).to.throw('begin() called in phase gathering');
    });
  });

  describe('happy path', () => {
    it('goes gather → exchange → punch → connect → add → connected (role connect)', () => {
      const m = machine('connect');
      m.begin(0);
      drain(m);
      m.handleGathered(10, [{ a: 'x', p: 1 }]);
      expect(m.phase).to.equal('exchanging');
      expect(drain(m)).to.deep.equal([{ type: 'sendCandidates', candidates: [{ a: 'x', p: 1 }] }]);
      expect(m.pollTimeout()).to.equal(50 + 200);
      m.handleRemoteCandidates(20, [{ a: 'y', p: 2 }]);
      expect(m.phase).to.equal('punching');
      expect(drain(m)).to.deep.equal([{ type: 'punch', remoteCandidates: [{ a: 'y', p: 2 }], startAt: 50 }]);
      expect(m.pollTimeout()).to.equal(50 + 300);
      m.handlePunchSucceeded(60, remote, 'direct');
      expect(m.phase).to.equal('connecting');
      expect(drain(m)).to.deep.equal([{ type: 'connect', remote }]);
      m.handleConnected(70, local, remote, 1.5);
      expect(m.phase).to.equal('adding');
      expect(drain(m)).to.deep.equal([{ type: 'addMeshPeer' }]);
      m.handleAdded(71);
      expect(m.phase).to.equal('connected');
      const outcome = { ok: true, path: 'direct', rttMs: 1.5, local, remote };
      expect(drain(m)).to.deep.equal([{ type: 'report', outcome }]);
      expect(m.outcome).to.deep.equal(outcome);
      expect(m.pollTimeout()).to.equal(undefined);
    });

    it('accepts instead of connecting when the role is listen, and keeps the ENet remote', () => {
      const m = machine('listen');
      m.begin(0);
      m.handleRemoteCandidates(5, [{ a: 'y', p: 2 }]);
      m.handleGathered(10, [{ a: 'x', p: 1 }]);
      expect(m.phase).to.equal('punching');
      drain(m);
      m.handlePunchSucceeded(60, remote, 'lan');
      expect(drain(m)).to.deep.equal([{ type: 'accept', remote }]);
      const seen = { address: '10.0.0.2', port: 5001 };
      m.handleConnected(70, local, seen, 0.4);
      m.handleAdded(70);
      expect(m.outcome).to.deep.equal({ ok: true, path: 'lan', rttMs: 0.4, local, remote: seen });
    });
  });

  describe('#handleTimeout', () => {
    it('does nothing before the deadline', () => {
      const m = machine('connect');
      m.begin(0);
      drain(m);
      m.handleTimeout(99);
      expect(m.phase).to.equal('gathering');
      expect(drain(m)).to.deep.equal([]);
    });

    const cases: Array<[string, (m: LinkMachine<C>) => void, number, string]> = [
      ['gathering', () => {}, 100, 'gather-failed'],
      ['exchanging', (m) => m.handleGathered(10, [{ a: 'x', p: 1 }]), 250, 'exchange-timeout'],
      ['punching', (m) => { m.handleGathered(10, [{ a: 'x', p: 1 }]); m.handleRemoteCandidates(11, [{ a: 'y', p: 1 }]); }, 350, 'punch-timeout'],
      // The last of HANDSHAKE_ATTEMPTS attempts (the first two are retried, see #handleHandshakeFailed).
      ['connecting', (m) => { m.handleGathered(10, [{ a: 'x', p: 1 }]); m.handleRemoteCandidates(11, [{ a: 'y', p: 1 }]); m.handlePunchSucceeded(60, remote, 'direct'); m.handleTimeout(460); m.handleTimeout(860); }, 1260, 'connect-timeout'],
    ];
    for (const [phase, setup, at, reason] of cases) {
      it(`fails with ${reason} when ${phase} passes its deadline`, () => {
        const m = machine('connect');
        m.begin(0);
        setup(m);
        expect(m.phase).to.equal(phase);
        drain(m);
        m.handleTimeout(at);
        expect(m.phase).to.equal('failed');
        const acts = drain(m);
        expect(acts.map((a) => a.type)).to.deep.equal(['report', 'release']);
        expect(m.outcome?.ok).to.equal(false);
        expect(m.outcome?.ok === false && m.outcome.reason).to.equal(reason);
        expect(m.pollTimeout()).to.equal(undefined);
      });
    }
  });

  describe('relay (relay.md §3)', () => {
    function punching(): LinkMachine<C> {
      const m = machine('listen');
      m.begin(0);
      m.handleGathered(10, [{ a: 'x', p: 1 }]);
      m.handleRemoteCandidates(11, [{ a: 'y', p: 1 }]);
      drain(m);
      return m;
    }

    it('a relay attempt moves the punching deadline to punchMs from its start, and missing it is relay-failed', () => {
      const m = punching();
      expect(m.pollTimeout()).to.equal(350);
      m.handleRelayStarted(300);
      expect(m.pollTimeout()).to.equal(600);
      m.handleTimeout(350);
      expect(m.phase).to.equal('punching');
      m.handleTimeout(600);
      expect(m.outcome?.ok === false && m.outcome.reason).to.equal('relay-failed');
    });

    it('a relayed path connects with path relay, and a later path change updates the outcome', () => {
      const m = punching();
      m.handleRelayStarted(100);
      m.handlePunchSucceeded(150, remote, 'relay');
      m.handleConnected(160, local, remote, 1.5, 'relay');
      m.handleAdded(161);
      expect(m.outcome?.ok === true && m.outcome.path).to.equal('relay');
      m.handlePathChanged('direct');
      expect(m.outcome?.ok === true && m.outcome.path).to.equal('direct');
    });

    it('handlePunchFailed with relay-failed ends the attempt with that reason', () => {
      const m = punching();
      m.handlePunchFailed(200, 'no check answered through the relay', 'relay-failed');
      expect(m.phase).to.equal('failed');
      expect(m.outcome?.ok === false && m.outcome.reason).to.equal('relay-failed');
    });
  });

  describe('#handleHandshakeFailed', () => {
    function proven(role: 'connect' | 'listen'): LinkMachine<C> {
      const m = machine(role);
      m.begin(0);
      m.handleGathered(10, [{ a: 'x', p: 1 }]);
      m.handleRemoteCandidates(11, [{ a: 'y', p: 1 }]);
      m.handlePunchSucceeded(60, remote, 'direct');
      drain(m);
      return m;
    }

    it(`retries a failed handshake with a fresh deadline, ${HANDSHAKE_ATTEMPTS} attempts in all (role connect)`, () => {
      const m = proven('connect');
      expect(m.handshakeAttempts).to.equal(1);
      m.handleHandshakeFailed(100, 'refused');
      expect(m.phase).to.equal('connecting');
      expect(drain(m)).to.deep.equal([{ type: 'connect', remote }]);
      expect(m.pollTimeout()).to.equal(100 + 400);
      m.handleTimeout(500);
      expect(drain(m)).to.deep.equal([{ type: 'connect', remote }]);
      expect(m.handshakeAttempts).to.equal(HANDSHAKE_ATTEMPTS);
      m.handleHandshakeFailed(600, 'refused');
      expect(m.phase).to.equal('failed');
      expect(m.outcome).to.deep.equal({ ok: false, reason: 'connect-timeout', detail: `refused (attempt 3 of ${HANDSHAKE_ATTEMPTS})` });
      expect(drain(m).map((a) => a.type)).to.deep.equal(['report', 'release']);
    });

    it('keeps accepting for another attempt when the listen side\'s deadline passes', () => {
      const m = proven('listen');
      m.handleTimeout(460);
      expect(m.phase).to.equal('accepting');
      expect(drain(m)).to.deep.equal([{ type: 'accept', remote }]);
      m.handleConnected(500, local, remote, 5);
      expect(m.phase).to.equal('adding');
    });

    it('is ignored outside the handshake', () => {
      const m = machine('connect');
      m.begin(0);
      drain(m);
      m.handleHandshakeFailed(5, 'late');
      expect(m.phase).to.equal('gathering');
      expect(drain(m)).to.deep.equal([]);
    });
  });

  describe('failures', () => {
    it('treats an empty gather result as gather-failed', () => {
      const m = machine('connect');
      m.begin(0);
      drain(m);
      m.handleGathered(5, []);
      expect(m.outcome).to.deep.equal({ ok: false, reason: 'gather-failed', detail: 'no local candidate could be gathered' });
    });

    it('reports punch-failed with the punch core detail', () => {
      const m = machine('connect');
      m.begin(0);
      m.handleGathered(5, [{ a: 'x', p: 1 }]);
      m.handleRemoteCandidates(6, [{ a: 'y', p: 1 }]);
      drain(m);
      m.handlePunchFailed(7, 'NAT_NO_CANDIDATES');
      expect(drain(m)).to.deep.equal([{ type: 'report', outcome: { ok: false, reason: 'punch-failed', detail: 'NAT_NO_CANDIDATES' } }, { type: 'release' }]);
    });

    it('releases without reporting when the remote leaves mid-attempt', () => {
      const m = machine('connect');
      m.begin(0);
      drain(m);
      m.handleRemoteLeft(5);
      expect(m.phase).to.equal('failed');
      expect(drain(m)).to.deep.equal([{ type: 'release' }]);
    });

    it('closes a connected link when the peer is lost', () => {
      const m = machine('listen');
      m.begin(0);
      m.handleGathered(1, [{ a: 'x', p: 1 }]);
      m.handleRemoteCandidates(2, [{ a: 'y', p: 1 }]);
      m.handlePunchSucceeded(3, remote, 'direct');
      m.handleConnected(4, local, remote, 1);
      m.handleAdded(5);
      drain(m);
      m.handleLost(6, 'timeout');
      expect(m.phase).to.equal('closed');
      expect(drain(m)).to.deep.equal([{ type: 'release' }]);
    });

    it('ignores inputs that do not fit the phase', () => {
      const m = machine('connect');
      m.handlePunchSucceeded(1, remote, 'direct');
      m.handleConnected(1, local, remote, 1);
      m.handleAdded(1);
      expect(m.phase).to.equal('pending');
      expect(drain(m)).to.deep.equal([]);
    });

    it('caps remote candidates at 32 and counts the rest', () => {
      const m = machine('connect');
      m.begin(0);
      const many = Array.from({ length: 40 }, (_, i) => ({ a: 'y', p: i + 1 }));
      m.handleRemoteCandidates(1, many);
      m.handleGathered(2, [{ a: 'x', p: 1 }]);
      const punch = drain(m).find((a) => a.type === 'punch');
      expect(punch?.type === 'punch' && punch.remoteCandidates.length).to.equal(32);
      expect(m.droppedCandidates).to.equal(8);
    });
  });

  describe('#close', () => {
    it('releases once and stops every deadline', () => {
      const m = machine('connect');
      m.begin(0);
      drain(m);
      m.close(3);
      m.close(4);
      expect(drain(m)).to.deep.equal([{ type: 'release' }]);
      expect(m.pollTimeout()).to.equal(undefined);
      expect(m.isActive).to.equal(false);
    });
  });
});
