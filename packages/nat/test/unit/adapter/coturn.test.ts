// Interop: our STUN client, codec and RFC 5780 discovery against coturn (a real RFC 5780 server)
// listening on 127.0.0.1 and 127.0.0.2 — loopback only. Needs the Debian `coturn` package.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:dgram';
import {
  decodeStunMessage,
  discoverNat,
  encodeBindingRequest,
  getSoftware,
  getXorMappedAddress,
  stunBinding,
  udpTransport,
  verifyFingerprint,
} from '../../../src/index.js';
import { boundSocket } from './loopback-stun.js';

function hasTurnserver(): boolean {
  return spawnSync('turnserver', ['--help'], { stdio: 'ignore' }).error === undefined;
}

describe('coturn interop (loopback)', function () {
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
    // Pick a free port pair by binding and releasing an ephemeral socket.
    const probe = await boundSocket();
    port = probe.address().port;
    probe.close();
    if (port >= 65535) port = 40000;
    dir = mkdtempSync(join(tmpdir(), 'meshpunch-coturn-'));
    child = spawn('turnserver', [
      '-n', '--stun-only', '--no-tcp', '-L', '127.0.0.1', '-L', '127.0.0.2', '--listening-port', String(port),
      '--alt-listening-port', String(port + 1), '--no-tls', '--no-dtls', '--no-cli', '--log-file', 'stdout',
      '--simple-log', '--pidfile', join(dir, 'coturn.pid'), '--db', join(dir, 'turndb'),
    ], { stdio: 'ignore' });
    // Wait (bounded: 75 tries, about 15 s) until it answers; coturn starts slowly on a loaded 2-core box.
    const s = await boundSocket();
    sockets.push(s);
    const t = udpTransport(s);
    for (let i = 0; i < 75; i++) {
      if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode} before answering`);
      const ok = await stunBinding(t, { address: '127.0.0.1', port }, { rtoMs: 50, requestCount: 2, lastWaitFactor: 2 }).then(() => true, () => false);
      if (ok) break;
      if (i === 74) throw new Error('coturn did not answer within 15 s');
    }
    t.detach();
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

  it('answers our Binding with XOR-MAPPED-ADDRESS, OTHER-ADDRESS and RESPONSE-ORIGIN', async () => {
    const s = await boundSocket();
    sockets.push(s);
    const r = await stunBinding(udpTransport(s), `127.0.0.1:${port}`);
    expect(r.mapped).to.deep.equal({ family: 4, address: '127.0.0.1', port: s.address().port });
    expect(r.otherAddress).to.deep.equal({ family: 4, address: '127.0.0.2', port: port + 1 });
    expect(r.responseOrigin).to.deep.equal({ family: 4, address: '127.0.0.1', port });
  });

  it('sends responses our decoder accepts, with a valid FINGERPRINT and coturn\'s SOFTWARE', async () => {
    const s = await boundSocket();
    sockets.push(s);
    const out = new Uint8Array(64);
    const id = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
    const req = out.slice(0, encodeBindingRequest(out, id));
    const reply = new Promise<Buffer>((res) => s.once('message', (m) => res(m)));
    s.send(req, port, '127.0.0.1');
    const bytes = await reply;
    const d = decodeStunMessage(bytes);
    expect(d.ok).to.equal(true);
    if (!d.ok) return;
    expect(getXorMappedAddress(d.message)?.port).to.equal(s.address().port);
    expect(getSoftware(d.message)).to.match(/^Coturn-/);
    expect(verifyFingerprint(d.message)).to.equal(true);
  });

  it('classifies loopback as no NAT with endpoint-independent filtering through RFC 5780 tests', async () => {
    const s = await boundSocket();
    sockets.push(s);
    const r = await discoverNat(udpTransport(s), {
      servers: [`127.0.0.1:${port}`],
      localAddresses: [{ address: '127.0.0.1', port: s.address().port }],
    });
    expect([r.udp, r.rfc5780, r.mapping, r.filtering]).to.deep.equal([true, true, 'none', 'endpoint-independent']);
    // Every test answered: I, filtering II and III (answers from the changed address), mapping II and III.
    expect(r.samples.map((x) => x.test).sort()).to.deep.equal(['I', 'II', 'III', 'filter-II', 'filter-III']);
  });
});
