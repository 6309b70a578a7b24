// --workers with Redis (issue 14): each worker accepts connections itself and sends those whose
// lobby (`?lobby=` in the URL) another worker runs to that worker through the primary, so a
// lobby's members meet on its home worker and none of their frames cross the bus (counted by each worker's /metrics, reached with `?worker=N`); and when
// that worker dies, the hand-off still brings its members back.
import { connect } from 'node:net';
import { expect } from 'chai';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import { freePort, haveRedis, startRedis } from '../support/redis-server.js';
import type { TestRedis } from '../support/redis-server.js';
import { killAllSignalProcesses, startSignalProcess } from '../support/signal-process.js';
import type { SignalProcess } from '../support/signal-process.js';

// 3 s, not 1 s: a worker whose event loop stalls past its lease under a loaded CI loses its
// node key, and a replacement may then claim a lobby that worker still holds in its core (it
// lets go at its next write to it); the kill -9 test's "exactly one worker holds the lobby" saw
// both at 1 s once (clean-clone CI at load ~10). A takeover still comes within 2 × 3 s.
const LEASE_MS = 3000;

/** Every `meshpunch_signal_*` sample of worker `w`'s /metrics, by name with labels. */
async function workerMetrics(port: number, w: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics?worker=${w}`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

const BUS_IN = 'meshpunch_signal_cluster_bus_messages_total{direction="in"}';
const BUS_OUT = 'meshpunch_signal_cluster_bus_messages_total{direction="out"}';
const MOVED = 'meshpunch_signal_cluster_worker_connections_total{route="moved"}';
const SIBLINGS = 'meshpunch_signal_cluster_worker_siblings';

/** A client's masked text frame (RFC 6455 §5.2; payloads under 64 KiB). */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

/** The first whole server frame in `b` (unmasked): its size, and its text for a text frame. */
function serverFrame(b: Buffer): { size: number; text?: string } | undefined {
  if (b.length < 2) return undefined;
  let len = b[1]! & 0x7f;
  let at = 2;
  if (len === 126) {
    if (b.length < 4) return undefined;
    len = b.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (b.length < 10) return undefined;
    len = b.readUInt32BE(6);
    at = 10;
  }
  if (b.length < at + len) return undefined;
  return (b[0]! & 0x0f) === 1 ? { size: at + len, text: b.toString('utf8', at, at + len) } : { size: at + len };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startWorkers(redis: TestRedis, prefix: string): Promise<SignalProcess> {
  // --hello-timeout-ms: about hand-over, not hello timing. With the default 5 s, one of 400
  // members opening 32 at a time through both workers at load ~15 was closed 4001 (no hello
  // within 5000 ms) before its hello got through (a signaling group run, 2026-12-07).
  const primary = await startSignalProcess(['--redis', redis.url, '--redis-prefix', prefix, '--redis-lease-ms', String(LEASE_MS), '--grace-ms', '30000', '--workers', '2', '--hello-timeout-ms', '60000']);
  // Each worker logs `worker.ready` once the primary hands it connections.
  await until('both workers ready', () => primary.log.filter((r) => r.event === 'worker.ready').length >= 2);
  // And knows the other's node (from the primary, a message later), so it can move members there.
  await until('each worker knowing the other\'s node', async () => {
    const m = [await workerMetrics(primary.port, 0), await workerMetrics(primary.port, 1)];
    return m.every((x) => x.get(SIBLINGS) === 1);
  });
  return primary;
}

describe('cluster on Redis: --workers hands each connection to its lobby\'s home worker', function () {
  this.timeout(120_000);
  let redis: TestRedis | undefined;
  const clients: SignalingClient[] = [];

  before(async function () {
    if (!haveRedis()) this.skip();
    redis = await startRedis();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await killAllSignalProcesses();
  });

  after(async () => {
    await redis?.stop();
  });

  it('members naming their lobby all reach its home worker: no bus traffic; a client without the hint is still served', async () => {
    const primary = await startWorkers(redis!, 'handoff:');
    const ids: number[] = [];
    const members: SignalingClient[] = [];
    const ownerPairs: Array<{ pair: number; remote: number }> = [];
    for (let i = 0; i < 8; i++) {
      const c = await SignalingClient.connect(primary.url, { lobby: 'meet' });
      clients.push(c);
      members.push(c);
      if (i === 0) c.on('pairStart', (s) => ownerPairs.push(s));
      ids.push(i === 0 ? (await c.createLobby({ name: 'meet' })).you : (await c.joinLobby('meet')).you);
    }
    expect(new Set(ids).size).to.equal(8);
    // Candidates from the owner to member 1 go through the home's core only.
    await until('the owner paired with all 7', () => ownerPairs.length === 7);
    const got = members[1]!.next('candidates');
    await members[0]!.sendCandidates(ownerPairs.find((p) => p.remote === ids[1])!.pair, [{ kind: 'host', family: 4, address: '198.51.100.7', port: 4000 }], { done: true });
    expect((await got).candidates[0]!.address).to.equal('198.51.100.7');
    const m = [await workerMetrics(primary.port, 0), await workerMetrics(primary.port, 1)];
    const home = m.findIndex((x) => x.get('meshpunch_signal_lobbies') === 1);
    expect(home).to.be.oneOf([0, 1]);
    expect(m[home]!.get('meshpunch_signal_connections')).to.equal(8);
    expect(m[1 - home]!.get('meshpunch_signal_lobbies')).to.equal(0);
    expect(m[1 - home]!.get('meshpunch_signal_connections')).to.equal(0);
    for (const x of m) {
      expect(x.get(BUS_IN)).to.equal(0);
      expect(x.get(BUS_OUT)).to.equal(0);
    }
    // An old client (no hint) may reach either worker; on the other one it moves to the home at its join.
    const old = await SignalingClient.connect(primary.url);
    clients.push(old);
    const j = await old.joinLobby('meet');
    expect(ids).to.not.include(j.you);
    expect((await old.getLobby()).members).to.have.length(9);
    await primary.stop();
  });

  it('each worker accepts for itself and sends on only the connections whose lobby the other homes: 400 members of 16 lobbies all get their answers and meet on their home', async () => {
    const primary = await startWorkers(redis!, 'front:');
    const patient = { connectTimeoutMs: 60_000, requestTimeoutMs: 60_000 };
    const names = Array.from({ length: 16 }, (_v, i) => `front-${i}`);
    const owners = await Promise.all(names.map((name) => SignalingClient.connect(primary.url, { lobby: name, ...patient })));
    clients.push(...owners);
    await Promise.all(owners.map((c, i) => c.createLobby({ name: names[i]!, maxPeers: 64, mode: 'server' })));
    // 24 more members per lobby, 32 opening at once: the connections land on either worker
    // (the kernel picks) and about half belong to the other one. Every one must get its answer:
    // a socket that stalls after its 101 (bytes read by a process it passed through) fails here.
    const items = names.flatMap((name) => Array.from({ length: 24 }, () => name));
    const joined: Array<number | string> = [];
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < items.length) {
        const name = items[next++]!;
        const c = await SignalingClient.connect(primary.url, { lobby: name, autoResume: false, ...patient });
        clients.push(c);
        joined.push(await c.joinLobby(name).then((j) => j.you, (e: { code: string }) => e.code));
      }
    }));
    expect(joined.filter((j) => typeof j === 'number'), JSON.stringify(joined.filter((j) => typeof j !== 'number').slice(0, 5))).to.have.length(items.length);
    const m = [await workerMetrics(primary.port, 0), await workerMetrics(primary.port, 1)];
    const here = 'meshpunch_signal_cluster_worker_connections_total{route="here"}';
    const forwarded = 'meshpunch_signal_cluster_worker_connections_total{route="forwarded"}';
    // Both workers accepted connections, and each sent some on (the other half of a lobby's members).
    for (const x of m) {
      expect(x.get(here)).to.be.greaterThan(0);
      expect(x.get(forwarded)).to.be.greaterThan(0);
      expect(x.get(BUS_IN)).to.equal(0);
      expect(x.get(BUS_OUT)).to.equal(0);
    }
    // Every member sits on its lobby's home worker.
    expect(m[0]!.get('meshpunch_signal_lobbies')! + m[1]!.get('meshpunch_signal_lobbies')!).to.equal(16);
    expect(m[0]!.get('meshpunch_signal_connections')! + m[1]!.get('meshpunch_signal_connections')!).to.equal(16 + items.length);
    await primary.stop();
  });

  it('upgrade requests whose line comes in pieces are handed over whole, to either worker', async () => {
    const primary = await startWorkers(redis!, 'pieces:');
    // Eight lobby names, which hash to both workers: the primary reads each line in two pieces
    // and hands the socket over with both.
    for (let i = 0; i < 8; i++) {
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(primary.port, '127.0.0.1');
        let buf = '';
        s.on('error', reject);
        s.on('data', (d: Buffer) => {
          buf += d.toString('latin1');
          if (buf.includes('\r\n\r\n')) {
            s.destroy();
            resolve(buf);
          }
        });
        s.once('connect', () => {
          s.write(`GET /?lobby=piece${i}&x=`);
          // The rest once the first piece has surely been read on its own (nothing is answered
          // before the line is complete, so this waits on the clock, bounded).
          setTimeout(() => s.write(`1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`), 100);
        });
      });
      expect(answer.startsWith('HTTP/1.1 101'), answer.slice(0, 60)).to.equal(true);
    }
    await primary.stop();
  });

  it('connections that come while the workers start, their request lines in two pieces, are all served, their first frames too', async () => {
    // The port is known before the process starts: the connections below try it from the
    // start on, so they reach the workers while those still connect to Redis (a worker then
    // keeps what it accepted until its server is up, and sends on what another worker homes).
    const port = await freePort();
    const starting = startSignalProcess(['--redis', redis!.url, '--redis-prefix', 'starting:', '--redis-lease-ms', String(LEASE_MS), '--workers', '2'], port);
    const deadline = Date.now() + 45_000;
    const one = async (i: number): Promise<string> => {
      for (;;) {
        const answer = await new Promise<string | undefined>((resolve, reject) => {
          const s = connect(port, '127.0.0.1');
          let buf = Buffer.alloc(0);
          let upgraded = false;
          s.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? resolve(undefined) : reject(err)));
          s.on('data', (d: Buffer) => {
            buf = Buffer.concat([buf, d]);
            if (!upgraded) {
              const end = buf.indexOf('\r\n\r\n');
              if (end < 0) return;
              if (buf.toString('latin1', 0, 12) !== 'HTTP/1.1 101') {
                s.destroy();
                resolve(buf.toString('latin1', 0, 60));
                return;
              }
              upgraded = true;
              buf = buf.subarray(end + 4);
              s.write(clientFrame('{"type":"hello","rid":1,"versions":[1]}'));
            }
            const f = serverFrame(buf);
            if (f?.text !== undefined) {
              s.destroy();
              resolve(String((JSON.parse(f.text) as { type: unknown }).type));
            }
          });
          s.once('connect', () => {
            s.write(`GET /?lobby=early-${i}&x=`);
            setTimeout(() => s.write(`1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`), 20);
          });
        });
        if (answer !== undefined) return answer;
        if (Date.now() > deadline) throw new Error('the port never accepted');
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const answers = await Promise.all(Array.from({ length: 16 }, (_v, i) => one(i)));
    const primary = await starting;
    expect(answers).to.deep.equal(Array.from({ length: 16 }, () => 'welcome'));
    await primary.stop();
  });

  it('members that reach the other worker after their upgrade (no lobby hint) move there with their sockets at their join: no bus traffic, every answer', async () => {
    const primary = await startWorkers(redis!, 'moves:');
    // The owner on worker 0 makes it the lobby's home; every member is sent to worker 1
    // (`?worker=1`, no lobby hint), which finds the home at the join and hands the socket over.
    const owner = await SignalingClient.connect(`${primary.url}?worker=0`);
    clients.push(owner);
    const ownerPairs: Array<{ pair: number; remote: number }> = [];
    owner.on('pairStart', (p) => ownerPairs.push(p));
    const ids = [(await owner.createLobby({ name: 'moves' })).you];
    const members: SignalingClient[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await SignalingClient.connect(`${primary.url}?worker=1`);
      clients.push(c);
      members.push(c);
      ids.push((await c.joinLobby('moves')).you);
    }
    expect(new Set(ids).size).to.equal(7);
    await until('the owner paired with all 6', () => ownerPairs.length === 6);
    const got = members[5]!.next('candidates');
    await owner.sendCandidates(ownerPairs.find((p) => p.remote === ids[6])!.pair, [{ kind: 'host', family: 4, address: '198.51.100.9', port: 4001 }], { done: true });
    expect((await got).candidates[0]!.address).to.equal('198.51.100.9');
    expect((await members[2]!.getLobby()).members).to.have.length(7);
    const m = [await workerMetrics(primary.port, 0), await workerMetrics(primary.port, 1)];
    expect(m[0]!.get('meshpunch_signal_lobbies')).to.equal(1);
    expect(m[0]!.get('meshpunch_signal_connections')).to.equal(7);
    expect(m[1]!.get('meshpunch_signal_connections')).to.equal(0);
    expect(m[1]!.get(MOVED)).to.equal(6);
    for (const x of m) {
      expect(x.get(BUS_IN)).to.equal(0);
      expect(x.get(BUS_OUT)).to.equal(0);
    }
    await primary.stop();
  });

  it('a moved connection keeps every frame: those read before the move (a partial one among them) and those after, each answered once, in order', async () => {
    const primary = await startWorkers(redis!, 'moves-raw:');
    const owner = await SignalingClient.connect(`${primary.url}?worker=0`);
    clients.push(owner);
    await owner.createLobby({ name: 'intact' });
    const s = connect(primary.port, '127.0.0.1');
    const frames: Array<Record<string, unknown>> = [];
    let buf = Buffer.alloc(0);
    let upgraded = false;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        expect(buf.toString('latin1', 0, 12)).to.equal('HTTP/1.1 101');
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      for (let f = serverFrame(buf); f !== undefined; f = serverFrame(buf)) {
        buf = buf.subarray(f.size);
        if (f.text !== undefined) frames.push(JSON.parse(f.text) as Record<string, unknown>);
      }
    });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    const gets = Array.from({ length: 10 }, (_v, i) => clientFrame(JSON.stringify({ type: 'lobby.get', rid: 3 + i })));
    const last = clientFrame(JSON.stringify({ type: 'lobby.get', rid: 13 }));
    // One write: the upgrade request to worker 1, the hello, the join (which worker 1 routes:
    // the lobby is worker 0's), ten requests and half of an eleventh. What worker 1 read past
    // the join waits for the route and moves with the socket, the partial frame's bytes too.
    s.write(Buffer.concat([
      Buffer.from(`GET /?worker=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`, 'latin1'),
      clientFrame('{"type":"hello","rid":1,"versions":[1]}'),
      clientFrame(JSON.stringify({ type: 'lobby.join', rid: 2, lobby: 'intact' })),
      ...gets,
      last.subarray(0, 9),
    ]));
    await until('lobby.joined and ten lobby states', () => frames.filter((f) => f.type === 'lobby.state').length >= 10);
    // The rest of the eleventh, read by the worker the connection moved to.
    s.write(last.subarray(9));
    await until('the eleventh lobby state', () => frames.filter((f) => f.type === 'lobby.state').length >= 11);
    const answered = frames.filter((f) => typeof f.rid === 'number').map((f) => `${String(f.type)}:${String(f.rid)}`);
    expect(answered).to.deep.equal(['welcome:1', 'lobby.joined:2', ...Array.from({ length: 11 }, (_v, i) => `lobby.state:${3 + i}`)]);
    expect(frames.filter((f) => f.type === 'error')).to.deep.equal([]);
    const m = [await workerMetrics(primary.port, 0), await workerMetrics(primary.port, 1)];
    expect(m[1]!.get(MOVED)).to.equal(1);
    expect(m[0]!.get('meshpunch_signal_connections')).to.equal(2);
    expect(m[1]!.get('meshpunch_signal_connections')).to.equal(0);
    s.destroy();
    await primary.stop();
  });

  it('kill -9 of the home worker: members naming their lobby are handed to a live worker, resume with their ids, a newcomer joins', async () => {
    const primary = await startWorkers(redis!, 'handoff-kill:');
    const ids: number[] = [];
    const members: SignalingClient[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await SignalingClient.connect(primary.url, { lobby: 'phoenix' });
      clients.push(c);
      members.push(c);
      ids.push(i === 0 ? (await c.createLobby({ name: 'phoenix' })).you : (await c.joinLobby('phoenix')).you);
    }
    const m = [await workerMetrics(primary.port, 0), await workerMetrics(primary.port, 1)];
    const home = m.findIndex((x) => x.get('meshpunch_signal_lobbies') === 1);
    expect(home).to.be.oneOf([0, 1]);
    expect(m[home]!.get('meshpunch_signal_connections')).to.equal(4);
    const resumed = members.map((c) => c.next('resumed', { timeoutMs: 45_000 }));
    const ready = primary.log.filter((r) => r.event === 'worker.ready').length;
    process.kill(workerPid(primary, home), 'SIGKILL');
    const back = await Promise.all(resumed);
    expect(back.map((r) => r.you)).to.deep.equal(ids);
    const newcomer = await SignalingClient.connect(primary.url, { lobby: 'phoenix' });
    clients.push(newcomer);
    const starts: number[] = [];
    newcomer.on('pairStart', (s) => starts.push(s.remote));
    const j = await newcomer.joinLobby('phoenix');
    expect(ids).to.not.include(j.you);
    await until('pair starts with all 4', () => starts.length === 4);
    expect([...starts].sort()).to.deep.equal([...ids].sort());
    // The killed worker was replaced, and exactly one live worker holds the lobby.
    await until('the replacement worker ready', () => primary.log.filter((r) => r.event === 'worker.ready').length > ready, 45_000);
    const after = [await workerMetrics(primary.port, 0), await workerMetrics(primary.port, 1)];
    expect(after.map((x) => x.get('meshpunch_signal_lobbies')).sort()).to.deep.equal([0, 1]);
    await primary.stop();
  });
});

/** The pid of worker `index` of a --workers primary, from the last `worker.ready` record it logged. */
function workerPid(primary: SignalProcess, index: number): number {
  const rec = primary.log.filter((r) => r.event === 'worker.ready' && r.index === index).at(-1);
  if (rec === undefined) throw new Error(`worker ${index} logged no worker.ready`);
  return Number(rec.pid);
}
