import { expect } from 'chai';
import { runCli, type CliCommands } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import type { JoinSessionLike } from '../../src/cli/join-command.js';
import type { MeshEvent } from '../../src/core/mesh-events.js';
import { MeshView } from '../../src/core/mesh-view.js';

function memIo(tty = false): CliIo & { out: string[]; err: string[]; interrupt(): void } {
  const out: string[] = [];
  const err: string[] = [];
  let handler: (() => void) | undefined;
  let t = 0;
  return {
    out,
    err,
    stdout: { write: (s: string) => out.push(s), isTTY: tty },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    onInterrupt(h) {
      handler = h;
      return () => (handler = undefined);
    },
    interrupt: () => handler?.(),
    now: () => (t += 1),
  };
}

/** A session whose mesh grows on a script of events (no network). */
function fakeSession(view: MeshView, listeners: Set<(e: MeshEvent) => void>): JoinSessionLike & { closed: boolean; signalState: JoinSessionLike['signalState']; signalOutages: number } {
  return {
    id: view.id,
    closed: false,
    signalState: 'connected',
    signalOutages: 0,
    report: () => view.report(),
    get memberCount() { return view.memberCount; },
    get isFull() { return view.isFull; },
    get isSettled() { return view.isSettled; },
    onProgress(l) { listeners.add(l); return () => listeners.delete(l); },
    async exchangeMessages(count) { return new Map(view.report().peers.map((p) => [p.id, count])); },
    countExchangeMessages() {},
    async lobbySettled() { return true; },
    async close() { this.closed = true; },
  };
}

function commands(join: CliCommands['join']): CliCommands {
  return {
    version: '0.0.0-test',
    join,
    netcheck: async () => ({ udp: true, publicAddress: '203.0.113.5:4000', addressClass: 'public', publicAddressV6: null, mappingBehavior: 'endpoint-independent', filteringBehavior: 'address-dependent', portAllocation: 'preserving', upnp: null, stunRttMs: { '127.0.0.1:3478': 0.5 }, verdict: 'ok' }),
    signal: async () => 0,
    lobbies: async () => [{ name: 'party', host: '10.9.0.2:41000', members: 3, password: false, mode: 'mesh', hosts: 1 }],
  };
}

const up = { ok: true as const, path: 'lan' as const, rttMs: 0.5, local: { address: '127.0.0.1', port: 4001 }, remote: { address: '127.0.0.1', port: 4002 } };

describe('runCli', () => {
  it('prints help and exits 0', async () => {
    const io = memIo();
    expect(await runCli(['--help'], io, commands(async () => { throw new Error('unused'); }))).to.equal(0);
    expect(io.out.join('')).to.include('meshpunch join --signal ws://HOST:PORT --lobby NAME');
  });

  it('prints one line and exits 2 on a bad flag', async () => {
    const io = memIo();
    expect(await runCli(['join', '--nope'], io, commands(async () => { throw new Error('unused'); }))).to.equal(2);
    expect(io.err).to.deep.equal(["meshpunch join: unknown option '--nope' (see meshpunch join --help)\n"]);
  });

  it('exits 1 with the reason when joining fails', async () => {
    const io = memIo();
    const code = await runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x'], io, commands(async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:9\nmore'); }));
    expect(code).to.equal(1);
    expect(io.err).to.deep.equal(['meshpunch join: connect ECONNREFUSED 127.0.0.1:9\n']);
  });

  it('waits for --wait-peers members, prints the JSON report and exits 0', async () => {
    const io = memIo();
    const view = new MeshView(1, 'x');
    const listeners = new Set<(e: MeshEvent) => void>();
    let session: ReturnType<typeof fakeSession> | undefined;
    const code = runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--wait-peers', '2', '--json'], io, commands(async () => {
      session = fakeSession(view, listeners);
      setImmediate(() => {
        view.addMember(2);
        view.setLink(2, 'connected', up);
        for (const l of listeners) l({ type: 'memberJoined', id: 2 });
      });
      return session;
    }));
    expect(await code).to.equal(0);
    expect(session?.closed).to.equal(true);
    expect(JSON.parse(io.out.join(''))).to.deep.equal({
      id: 1, lobby: 'x', secure: true, peers: [{ id: 2, path: 'lan', rttMs: 0.5, local: '127.0.0.1:4001', remote: '127.0.0.1:4002' }], failures: [],
      signaling: { state: 'connected', outages: 0 },
    });
  });

  it('adds the message exchange to the JSON report with --exchange', async () => {
    const io = memIo();
    const view = new MeshView(1, 'x');
    view.addMember(2);
    view.setLink(2, 'connected', up);
    const code = await runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--wait-peers', '2', '--exchange', '5', '--json'], io, commands(async () => fakeSession(view, new Set())));
    expect(code).to.equal(0);
    expect(JSON.parse(io.out.join('')).exchange).to.deep.equal({ sent: 5, received: { '2': 5 } });
  });

  it('adds the session diagnosis (links, members, last lobby events) to an AGENT_TIMEOUT report, and to stderr without --json', async () => {
    const diagnosis = { members: [2], links: [{ id: 2, role: 'listen' as const, phase: 'connected', member: true, inMesh: true }, { id: 3, role: 'connect' as const, phase: 'connected', member: false, inMesh: true }], events: ['+12 pair 2 listen', '+15 pair 3 connect', '+900 left 3'] };
    const view = new MeshView(1, 'x');
    view.addMember(2);
    view.setLink(2, 'connected', up);
    const start = async () => ({ ...fakeSession(view, new Set()), diagnose: () => diagnosis });
    const io = memIo();
    expect(await runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--wait-peers', '3', '--timeout', '0.01', '--json'], io, commands(start))).to.equal(1);
    const report = JSON.parse(io.out.join(''));
    expect(report.error.code).to.equal('AGENT_TIMEOUT');
    expect(report.diagnosis).to.deep.equal(diagnosis);
    const text = memIo();
    expect(await runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--wait-peers', '3', '--timeout', '0.01'], text, commands(start))).to.equal(1);
    expect(text.err.join('')).to.include('link 3 connect connected (not a member in our view) in mesh').and.include('events: +12 pair 2 listen | +15 pair 3 connect | +900 left 3');
  });

  it('exits 1 naming the failed links when the mesh settles incomplete', async () => {
    const io = memIo();
    const view = new MeshView(1, 'x');
    view.addMember(5);
    view.setLink(5, 'failed', { ok: false, reason: 'punch-timeout', detail: 'no probe answered within 5000 ms' });
    const code = await runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--wait-peers', '2'], io, commands(async () => fakeSession(view, new Set())));
    expect(code).to.equal(1);
    expect(io.err).to.deep.equal(['meshpunch join: 1 of 1 link(s) failed: 5 punch-timeout\n']);
    expect(io.out.join('')).to.include('failures:');
  });

  it('stays until Ctrl-C without --wait-peers and exits 0 with the table', async () => {
    const io = memIo();
    const view = new MeshView(3, 'x');
    const code = runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x'], io, commands(async () => {
      setImmediate(() => io.interrupt());
      return fakeSession(view, new Set());
    }));
    expect(await code).to.equal(0);
    expect(io.out.join('')).to.include("mesh of lobby 'x': you are peer 3");
  });

  describe('--json and exit codes (issue #12 item 5)', () => {
    const typed = (code: string, message: string): Error => Object.assign(new Error(message), { code });

    it('prints exactly one object { error: { code, message } } when joining fails', async () => {
      const io = memIo();
      const code = await runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--json'], io, commands(async () => {
        throw typed('AGENT_LOBBY_FAILED', "joining lobby 'x' failed: no lobby has that code or name");
      }));
      expect(code).to.equal(1);
      expect(io.out).to.have.length(1);
      expect(JSON.parse(io.out[0]!)).to.deep.equal({ error: { code: 'AGENT_LOBBY_FAILED', message: "joining lobby 'x' failed: no lobby has that code or name" } });
      expect(io.err).to.deep.equal(["meshpunch join: joining lobby 'x' failed: no lobby has that code or name\n"]);
    });

    it('exits 130 with an AGENT_INTERRUPTED report when interrupted before the --wait-peers mesh is complete', async () => {
      const io = memIo();
      const view = new MeshView(1, 'x');
      let session: ReturnType<typeof fakeSession> | undefined;
      const code = runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--wait-peers', '3', '--json'], io, commands(async () => {
        setImmediate(() => io.interrupt());
        session = fakeSession(view, new Set());
        return session;
      }));
      expect(await code).to.equal(130);
      expect(session?.closed).to.equal(true);
      expect(io.out).to.have.length(1);
      expect(JSON.parse(io.out[0]!).error).to.deep.equal({ code: 'AGENT_INTERRUPTED', message: 'interrupted before the mesh was complete' });
    });

    it('exits 130 with one JSON object when interrupted while still reaching the service', async () => {
      const io = memIo();
      const code = runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--json'], io, commands(() => {
        setImmediate(() => io.interrupt());
        return new Promise(() => undefined);
      }));
      expect(await code).to.equal(130);
      expect(io.out.map((l) => JSON.parse(l))).to.deep.equal([{ error: { code: 'AGENT_INTERRUPTED', message: 'interrupted before joining the lobby' } }]);
    });
  });

  describe('--timeout (issue #12 item 6)', () => {
    it('bounds reaching the service: a start that never resolves fails at the deadline with AGENT_TIMEOUT', async () => {
      const io = memIo();
      let limit: number | undefined;
      const code = await runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--timeout', '0.2', '--json'], io, commands((_f, _p, limits) => {
        limit = limits.timeoutMs;
        return new Promise(() => undefined);
      }));
      expect(code).to.equal(1);
      expect(limit).to.be.within(1, 200);
      expect(io.out.map((l) => JSON.parse(l))).to.deep.equal([{ error: { code: 'AGENT_TIMEOUT', message: 'could not reach the signaling service and join within 0.2 s' } }]);
    });
  });

  describe('signaling loss (issue #12 item 1)', () => {
    it('keeps a --wait-peers join waiting through an outage and completes after the service is back', async () => {
      const io = memIo();
      const view = new MeshView(1, 'x');
      const listeners = new Set<(e: MeshEvent) => void>();
      const emit = (e: MeshEvent): void => listeners.forEach((l) => l(e));
      const session = fakeSession(view, listeners);
      const code = runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--wait-peers', '2', '--json'], io, commands(async (_f, onProgress) => {
        listeners.add(onProgress);
        setImmediate(() => {
          session.signalState = 'reconnecting';
          session.signalOutages = 1;
          emit({ type: 'signalDown', detail: 'connection closed (1001 shutdown)', willRetry: true });
          setImmediate(() => {
            session.signalState = 'connected';
            emit({ type: 'signalBack', url: 'ws://127.0.0.1:9/', restored: true });
            view.addMember(2);
            view.setLink(2, 'connected', up);
            emit({ type: 'memberJoined', id: 2 });
          });
        });
        return session;
      }));
      expect(await code).to.equal(0);
      expect(JSON.parse(io.out.join('')).signaling).to.deep.equal({ state: 'connected', outages: 1 });
      // Signaling-state changes go to stderr with --json even when it is not a terminal.
      expect(io.err.join('')).to.match(/signaling {2}lost: connection closed \(1001 shutdown\); the mesh stays, reconnecting\n/);
      expect(io.err.join('')).to.match(/signaling {2}restored the lobby on ws:\/\/127\.0\.0\.1:9\/ \(same peer id\)\n/);
    });

    it('fails a --wait-peers join that never completed when the service is gone for good (AGENT_SIGNAL_LOST)', async () => {
      const io = memIo();
      const view = new MeshView(1, 'x');
      const listeners = new Set<(e: MeshEvent) => void>();
      const code = await runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x', '--wait-peers', '2', '--json'], io, commands(async (_f, onProgress) => {
        listeners.add(onProgress);
        setImmediate(() => listeners.forEach((l) => l({ type: 'signalLost', detail: 'gave up (4010): could not get the lobby back' })));
        return fakeSession(view, listeners);
      }));
      expect(code).to.equal(1);
      expect(JSON.parse(io.out.join('')).error.code).to.equal('AGENT_SIGNAL_LOST');
    });

    it('keeps an open-ended join (no --wait-peers) running when the service is gone for good; Ctrl-C then exits 0', async () => {
      const io = memIo();
      const view = new MeshView(1, 'x');
      const listeners = new Set<(e: MeshEvent) => void>();
      let lostSeen = false;
      const code = runCli(['join', '--signal', 'ws://127.0.0.1:9', '--lobby', 'x'], io, commands(async (_f, onProgress) => {
        listeners.add(onProgress);
        setImmediate(() => {
          listeners.forEach((l) => l({ type: 'signalLost', detail: 'gave up' }));
          lostSeen = true;
          setTimeout(() => io.interrupt(), 20);
        });
        return fakeSession(view, listeners);
      }));
      expect(await code).to.equal(0);
      expect(lostSeen).to.equal(true);
      expect(io.out.join('')).to.include('signaling  gone: gave up; the mesh stays');
    });
  });

  it('prints the netcheck report as JSON', async () => {
    const io = memIo();
    expect(await runCli(['netcheck', '--stun', '127.0.0.1:3478', '--json'], io, commands(async () => { throw new Error('unused'); }))).to.equal(0);
    expect(JSON.parse(io.out.join('')).mappingBehavior).to.equal('endpoint-independent');
  });
});
