// Interop: coturn's `turnutils_uclient -W <secret>` against the embedded relay of the real
// meshpunch-signal process (started by this test, stopped by its pid). The uclient's user is a
// lobby member's `<lobbyTag>.<peerId>` from relay.credentials; `-y` echoes between two of its
// allocations on 127.0.0.1, so the service runs with --relay-allow-private (loopback peers).
// Needs the Debian `coturn` package; under CI=true its absence fails the suite.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseTurnRestUsername } from '@meshpunch/nat';
import { SignalingClient } from '../../src/adapter/signaling-client.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'meshpunch-signal.js');
const SECRET = 'uclient-cli-secret';

function hasUclient(): boolean {
  return spawnSync('turnutils_uclient', [], { stdio: 'ignore' }).error === undefined;
}

/** Runs turnutils_uclient to completion (killed by its own pid after 20 s); returns its output. */
function runUclient(args: string[]): Promise<string> {
  return new Promise((res) => {
    const child = spawn('turnutils_uclient', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    // 'close', not 'exit': the uclient's closing statistics may reach our pipe after it exited.
    child.on('close', () => {
      clearTimeout(timer);
      res(out);
    });
  });
}

describe('turnutils_uclient -W against meshpunch-signal\'s embedded relay (CLI process)', function () {
  this.timeout(60_000);
  let child: ChildProcessWithoutNullStreams | undefined;
  const clients: SignalingClient[] = [];

  before(function () {
    if (!hasUclient()) {
      if (process.env.CI === 'true') throw new Error('turnutils_uclient (Debian coturn) is missing; scripts/setup.mjs installs it');
      console.log('    skipped: turnutils_uclient (Debian coturn) is not installed; run scripts/setup.mjs as root');
      this.skip();
    }
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('allocates, binds channels and echoes 30 × 200 B with no loss; /metrics of the process counts it', async () => {
    const base = randomInt(20_000, 30_000);
    child = spawn(process.execPath, [BIN, '--host', '127.0.0.1', '--port', '0', '--log-format', 'json', '--relay-secret', SECRET,
      '--relay-allow-private', '--relay-ports', `${base}-${base + 99}`], { env: { PATH: process.env.PATH ?? '' } });
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    let port = 0;
    // Up to 45 s for the listening record (a bound on an event: Node loading the service took
    // seconds at load ~20; 800 polls of 10 ms allowed 8 s).
    const end = performance.now() + 45_000;
    while (port === 0 && performance.now() < end && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 10));
      const line = log.split('\n').find((l) => l.includes('"listening"'));
      if (line !== undefined) port = (JSON.parse(line) as { port: number }).port;
    }
    expect(port, log).to.be.greaterThan(0);
    expect(log).to.include('"relay.listening"');
    const a = await SignalingClient.connect(`ws://127.0.0.1:${port}/`);
    const b = await SignalingClient.connect(`ws://127.0.0.1:${port}/`);
    clients.push(a, b);
    expect(a.relay).to.deep.equal({ servers: [{ port, transport: 'udp' }] });
    const { lobby } = await a.createLobby();
    await b.joinLobby(lobby.code);
    const member = parseTurnRestUsername((await a.relayCredentials()).username)!.member;
    const out = await runUclient(['-y', '-c', '-W', SECRET, '-u', member, '-p', String(port), '-n', '30', '-l', '200', '127.0.0.1']);
    const sent = /start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/.exec(out);
    expect(sent, out).to.not.equal(null);
    expect([Number(sent![1]), Number(sent![2])], out).to.deep.equal([60, 60]);
    expect(out).to.match(/Total lost packets 0 \(/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const n = (series: string): number => Number(new RegExp(`^meshpunch_signal_${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    expect(n('relay_allocations_total{result="created"}')).to.be.at.least(2);
    expect(n('relay_datagrams_total{direction="to_peer"}')).to.equal(60);
    expect(n('relay_datagrams_total{direction="to_client"}')).to.equal(60);
    expect(n('relay_bytes_total{direction="to_peer"}')).to.equal(12_000);
    expect(n('relay_requests_total{method="channel_bind",code="ok"}')).to.be.at.least(2);
    // A user that is no lobby member is refused even with the right secret.
    const stranger = await runUclient(['-y', '-c', '-W', SECRET, '-u', 'AAAAAAAAAAAA.9', '-p', String(port), '-n', '2', '127.0.0.1']);
    expect(stranger).to.match(/Cannot complete Allocation/);
    const after = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(Number(/relay_allocations_total\{result="membership"\} (\d+)/.exec(after)![1])).to.be.at.least(1);
  });
});
