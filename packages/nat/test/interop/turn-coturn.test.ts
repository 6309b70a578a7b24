// Interop: our TurnClient (TurnSocketClient on a real node:dgram socket) against coturn started
// as a TURN server with a REST secret (`use-auth-secret`) on 127.0.0.1, peers allowed on loopback.
// Needs the Debian `coturn` package; under CI=true its absence fails the suite.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachTurnClient, mintTurnRestCredential, nodeHmacSha1, stunBinding, udpTransport } from '../../src/index.js';

const SECRET = 'coturn-interop-secret';

function hasTurnserver(): boolean {
  return spawnSync('turnserver', ['--help'], { stdio: 'ignore' }).error === undefined;
}

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  return s;
}

function nextMessage(s: Socket, timeoutMs = 5000): Promise<{ msg: Buffer; from: { address: string; port: number } }> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => {
      s.off('message', on);
      rej(new Error(`no datagram within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (msg: Buffer, rinfo: { address: string; port: number }) => {
      clearTimeout(t);
      s.off('message', on);
      res({ msg, from: { address: rinfo.address, port: rinfo.port } });
    };
    s.on('message', on);
  });
}

describe('TurnSocketClient against coturn (loopback, REST secret)', function () {
  this.timeout(30_000);
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  let port = 0;
  const sockets: Socket[] = [];

  before(async function () {
    if (!hasTurnserver()) {
      if (process.env.CI === 'true') throw new Error('turnserver (Debian coturn) is missing; scripts/setup.mjs installs it');
      console.log('    skipped: turnserver (Debian coturn) is not installed; run scripts/setup.mjs as root');
      this.skip();
    }
    const probe = await bound();
    port = probe.address().port;
    probe.close();
    dir = mkdtempSync(join(tmpdir(), 'meshpunch-coturn-turn-'));
    child = spawn('turnserver', [
      '-n', '--no-tcp', '--no-tls', '--no-dtls', '--no-cli', '--no-tcp-relay', '-L', '127.0.0.1', '--relay-ip', '127.0.0.1',
      '--listening-port', String(port), '--min-port', '47000', '--max-port', '47999', '--use-auth-secret',
      '--static-auth-secret', SECRET, '--realm', 'meshpunch', '--allow-loopback-peers', '--fingerprint',
      '--stale-nonce=2', '--log-file', 'stdout', '--simple-log', '--pidfile', join(dir, 'coturn.pid'), '--db', join(dir, 'turndb'),
    ], { stdio: 'ignore' });
    const s = await bound();
    const t = udpTransport(s);
    try {
      // Wait (bounded: 75 tries, about 15 s) until it answers; coturn starts slowly on a loaded 2-core box.
      for (let i = 0; i < 75; i++) {
        if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode} before answering`);
        const ok = await stunBinding(t, { address: '127.0.0.1', port }, { rtoMs: 50, requestCount: 2, lastWaitFactor: 2 }).then(() => true, () => false);
        if (ok) break;
        if (i === 74) throw new Error('coturn did not answer within 15 s');
      }
    } finally {
      t.detach();
      s.close();
    }
  });

  after(async () => {
    for (const s of sockets.splice(0)) s.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((res) => child!.once('exit', res));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((res) => setTimeout(res, 2000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('allocates, permits, relays both ways by Send/Data then by ChannelData, survives a stale nonce, refreshes and deletes', async () => {
    const local = await bound();
    const peer = await bound();
    sockets.push(local, peer);
    const peerAddr = { address: '127.0.0.1', port: peer.address().port };
    const expiry = Math.floor(Date.now() / 1000) + 600;
    const cred = mintTurnRestCredential(new TextEncoder().encode(SECRET), 'lobbyT', 'p1', expiry, nodeHmacSha1);
    const client = attachTurnClient(local, { server: { address: '127.0.0.1', port }, ...cred });
    const got: Array<[string, number, string, number]> = [];
    client.on('data', (payload, from, channel) => got.push([Buffer.from(payload).toString(), from.port, from.address, channel]));

    const a = await client.allocate();
    expect(a.relayed.address).to.equal('127.0.0.1');
    expect(a.relayed.port).to.be.within(47000, 47999);
    expect(a.mapped).to.deep.equal({ family: 4, address: '127.0.0.1', port: local.address().port });
    expect(client.core.counters.challenges).to.equal(1);

    await client.createPermission('127.0.0.1');
    // Client → peer by Send indication: the peer sees the payload from the relayed address.
    let arrival = nextMessage(peer);
    expect(client.send(peerAddr, new TextEncoder().encode('via-send'))).to.equal(true);
    let m = await arrival;
    expect([m.msg.toString(), m.from]).to.deep.equal(['via-send', { address: '127.0.0.1', port: a.relayed.port }]);
    // Peer → client by Data indication.
    peer.send('via-data', a.relayed.port, '127.0.0.1');
    await waitFor(() => got.length === 1);
    expect(got[0]).to.deep.equal(['via-data', peerAddr.port, '127.0.0.1', 0]);

    // A nonce older than stale-nonce=2 s: the next request meets 438 and is retried with the new one.
    await new Promise((res) => setTimeout(res, 3000));
    const channel = await client.bindChannel(peerAddr);
    expect(channel).to.equal(0x4000);
    expect(client.core.counters.staleNonces).to.be.at.least(1);
    arrival = nextMessage(peer);
    client.send(peerAddr, new TextEncoder().encode('via-channel'));
    m = await arrival;
    expect([m.msg.toString(), m.from.port]).to.deep.equal(['via-channel', a.relayed.port]);
    expect(client.core.counters.channelDataSent).to.equal(1);
    peer.send('back-on-channel', a.relayed.port, '127.0.0.1');
    await waitFor(() => got.length === 2);
    expect(got[1]).to.deep.equal(['back-on-channel', peerAddr.port, '127.0.0.1', 0x4000]);

    expect(await client.refresh()).to.be.at.least(600);
    await client.close();
    expect(client.core.state).to.equal('closed');
    client.detach();
    // After the delete the relayed port forwards nothing: the client sees no more data.
    peer.send('after-delete', a.relayed.port, '127.0.0.1');
    await new Promise((res) => setTimeout(res, 200));
    expect(got).to.have.length(2);
  });

  it('is refused (401, reported as unauthorized) with a credential signed by another secret', async () => {
    const local = await bound();
    sockets.push(local);
    const cred = mintTurnRestCredential(new TextEncoder().encode('not-the-secret'), 'lobbyT', 'p2', Math.floor(Date.now() / 1000) + 600, nodeHmacSha1);
    const client = attachTurnClient(local, { server: { address: '127.0.0.1', port }, ...cred });
    const err = await client.allocate().then(() => undefined, (e: unknown) => e);
    expect(err).to.have.property('code', 'NAT_TURN_FAILED');
    expect(err).to.have.nested.property('details.reason', 'unauthorized');
    client.detach();
  });
});

async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; !pred(); waited += 10) {
    if (waited >= timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 10));
  }
}
