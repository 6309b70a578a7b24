// Interop: coturn's `turnutils_uclient -W <secret>` (a real TURN client) against our
// TurnRelayServer on 127.0.0.1. `-y` makes two client allocations echo to each other through the
// relay, so loopback peers (and the relay's own loopback address) are allowed in this test only.
// Needs the Debian `coturn` package; under CI=true its absence fails the suite.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { TurnRelayServer, answerBindingRequest } from '../../src/index.js';

const SECRET = 'uclient-interop-secret';

function hasUclient(): boolean {
  return spawnSync('turnutils_uclient', [], { stdio: 'ignore' }).error === undefined;
}

/** Runs turnutils_uclient to completion (killed by its own pid after 20 s) and returns its output. */
function runUclient(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn('turnutils_uclient', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    // 'close', not 'exit': the uclient's closing statistics may reach our pipe after it exited.
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, out });
    });
  });
}

describe('turnutils_uclient against TurnRelayServer (loopback)', function () {
  this.timeout(60_000);
  let control: Socket | undefined;
  let relay: TurnRelayServer | undefined;
  let port = 0;

  before(async function () {
    if (!hasUclient()) {
      if (process.env.CI === 'true') throw new Error('turnutils_uclient (Debian coturn) is missing; scripts/setup.mjs installs it');
      console.log('    skipped: turnutils_uclient (Debian coturn) is not installed; run scripts/setup.mjs as root');
      this.skip();
    }
  });

  beforeEach(async () => {
    const s = createSocket('udp4');
    control = s;
    await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
    port = s.address().port;
    const low = port >= 50_000 ? 40_000 : 52_000;
    relay = new TurnRelayServer({
      secret: SECRET, relayAddress: '127.0.0.1', bindAddress: '127.0.0.1', allowLoopback: true, isMember: () => true,
      relayPorts: { min: low, max: low + 999 }, controlPort: port,
      send: (address, p, bytes) => s.send(bytes, p, address),
    });
    const out = new Uint8Array(512);
    s.on('message', (msg, rinfo) => {
      if (relay!.handleControlDatagram(msg, rinfo)) return;
      // Binding requests stay with the STUN responder, as on the signaling service's socket.
      const a = answerBindingRequest(msg, rinfo, out);
      if (a.kind === 'success') s.send(Buffer.from(out.subarray(0, a.length)), rinfo.port, rinfo.address);
    });
  });

  afterEach(async () => {
    await relay?.close();
    control?.close();
  });

  for (const [name, flags] of [['ChannelData', []], ['Send/Data indications (-s)', ['-s']]] as const) {
    it(`allocates and echoes 30 messages of 200 B with no loss over ${name}`, async () => {
      const r = await runUclient(['-y', '-c', ...flags, '-W', SECRET, '-u', 'lobbyU.p1', '-p', String(port), '-n', '30', '-l', '200', '127.0.0.1']);
      const sent = /start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/.exec(r.out);
      expect(sent, r.out).to.not.equal(null);
      expect([Number(sent![1]), Number(sent![2])], r.out).to.deep.equal([60, 60]);
      expect(r.out).to.match(/Total lost packets 0 \(/);
      const c = relay!.counters;
      expect(c.allocationsTotal.created).to.be.at.least(2);
      expect([c.datagrams.to_peer, c.datagrams.to_client]).to.deep.equal([60, 60]);
      expect([c.bytes.to_peer, c.bytes.to_client]).to.deep.equal([12_000, 12_000]);
      if (flags.length === 0) expect(c.requests.channel_bind.ok).to.be.at.least(2);
      else expect(c.requests.create_permission.ok).to.be.at.least(2);
      expect(c.dropped).to.deep.equal({ no_permission: 0, forbidden_peer: 0, over_rate: 0, unbound_channel: 0, malformed: 0 });
    });
  }

  it('answers 401 to a uclient with the wrong secret: no allocation, no relayed port bound', async () => {
    const r = await runUclient(['-y', '-c', '-W', 'wrong-secret', '-u', 'lobbyU.p2', '-p', String(port), '-n', '2', '127.0.0.1']);
    expect(r.out).to.match(/Cannot complete Allocation/);
    expect(relay!.counters.requests.allocate['401']).to.be.at.least(2);
    expect([relay!.counters.allocationsTotal.created, relay!.counters.allocationsTotal.auth > 0, relay!.boundPorts]).to.deep.equal([0, true, []]);
  });
});
