// Fuzz over real WebSockets: 10 000 malformed, oversized, wrong-typed and binary messages.
// Every answer must be a valid typed message, every close a documented code; the process
// survives and honest clients in other lobbies are unaffected (issue #5, docs/benchmarks.md).
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { decodeServerMessage } from '@meshpunch/protocol';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { startTestServer } from '../support/server.js';

const TOTAL = 10_000;
const CONNECTIONS = 8;
/** Close codes a hostile client may legitimately see (RFC 6455 + docs/protocol.md). */
const ALLOWED_CLOSES = new Set([1002, 1007, 1009, 4000, 4001, 4008]);

const VALID = [
  '{"type":"hello","rid":1,"versions":[1]}',
  '{"type":"lobby.create","rid":2,"maxPeers":4}',
  '{"type":"lobby.join","rid":3,"lobby":"ABCD-EFGH","password":"x"}',
  '{"type":"pair.candidates","rid":4,"pair":1,"candidates":[{"kind":"host","family":4,"address":"1.2.3.4","port":5}]}',
  '{"type":"pair.result","rid":5,"pair":1,"outcome":"failed","reason":"timeout"}',
  '{"type":"pair.result","rid":8,"pair":1,"outcome":"failed","reason":"timeout","probes":{"ageMs":5000,"checks":[{"kind":"srflx","path":"direct","outcome":"timeout","sent":9,"firstMs":3,"address":"203.0.113.5","port":4000}]}}',
  '{"type":"resume","rid":6,"token":"abcdefabcdefabcdefabcdef"}',
  '{"type":"lobby.seal","rid":7}',
  '{"type":"heartbeat.ack","n":1,"local":3}',
];

function hostile(prng: Prng): string | Buffer {
  switch (prng.int(0, 9)) {
    case 0: return prng.bytes(prng.int(1, 512)) as Buffer;
    case 1: return Buffer.from(prng.bytes(prng.int(4097, 70_000)));
    case 2: return 'x'.repeat(prng.int(4097, 20_000));
    case 3: return '['.repeat(prng.int(1, 3000)) + ']'.repeat(prng.int(0, 3000));
    case 4: return JSON.stringify({ type: prng.pick(['hello', 'lobby.join', 'pair.candidates', 'x'.repeat(200)]), rid: prng.pick([-1, 1.5, 'a', null, 2 ** 53, {}]), versions: prng.pick([[], 'x', [0], Array(100).fill(1)]) });
    case 5: return `{"type":"lobby.create","rid":1,"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"name":"${'a'.repeat(prng.int(0, 80))}"}`;
    case 6: return JSON.stringify({ type: 'pair.candidates', rid: 9, pair: prng.int(0, 5), candidates: Array.from({ length: prng.int(0, 40) }, () => ({ kind: 'host', family: prng.pick([4, 6, 5]), address: prng.pick(['1.2.3.4', '::1', '999.1.1.1', 7]), port: prng.int(-5, 70_000) })) });
    case 7: {
      const chars = [...prng.pick(VALID)];
      for (let k = prng.int(1, 6); k > 0; k--) chars[prng.int(0, chars.length - 1)] = String.fromCharCode(prng.int(0, 0xffff));
      return chars.join('');
    }
    case 8: return String(prng.pick([0, 'null', 'true', '"str"', '1e999', '{}', '{"type":null}']));
    default: return prng.pick(VALID);
  }
}

describe('fuzz over WebSocket', function () {
  // 43 s of wall time at load ~14 (a few s quiet): 60 s left no margin on a loaded machine.
  this.timeout(180_000);
  let server: SignalingServer;

  before(async () => {
    server = await startTestServer({ messageBurst: 1_000_000, helloTimeoutMs: 2000, graceMs: 500 });
  });

  after(async () => {
    await server.close();
  });

  it(`survives ${TOTAL} hostile messages while honest clients in other lobbies carry on`, async () => {
    const prng = new Prng(seedFromEnv(0xf022));
    // Honest clients: two lobbies of two.
    const honest: SignalingClient[] = [];
    const pairs: Array<{ a: SignalingClient; b: SignalingClient; pair: number; pairB: number }> = [];
    for (let l = 0; l < 2; l++) {
      const a = await SignalingClient.connect(server.url);
      const b = await SignalingClient.connect(server.url);
      honest.push(a, b);
      const { lobby } = await a.createLobby();
      const sa = a.next('pairStart');
      const sb = b.next('pairStart');
      await b.joinLobby(lobby.code);
      pairs.push({ a, b, pair: (await sa).pair, pairB: (await sb).pair });
    }
    const honestErrors: unknown[] = [];
    for (const c of honest) {
      c.on('error', (e) => honestErrors.push(e));
      c.on('disconnected', (e) => honestErrors.push(e));
    }
    let sent = 0;
    let answers = 0;
    const closes = new Map<number, number>();
    const invalid: string[] = [];
    const fuzzOne = async (): Promise<void> => {
      while (sent < TOTAL) {
        const ws = new WebSocket(server.url, { perMessageDeflate: false, maxPayload: 1 << 20 });
        ws.on('error', () => undefined);
        let wake: (() => void) | undefined;
        ws.on('message', (data: Buffer) => {
          answers++;
          wake?.();
          const r = decodeServerMessage(data.toString('utf8'));
          if (!r.ok && invalid.length < 5) invalid.push(`${r.message}: ${data.toString('utf8').slice(0, 200)}`);
        });
        let closedWith: (code: number) => void = () => undefined;
        const closed = new Promise<number>((resolve) => {
          closedWith = resolve;
          ws.once('close', (code: number) => resolve(code));
        });
        const opened = await new Promise<boolean>((resolve) => {
          ws.once('open', () => resolve(true));
          ws.once('close', () => resolve(false));
        });
        if (opened) {
          if (prng.chance(0.5)) ws.send(VALID[0]!);
          while (sent < TOTAL && ws.readyState === WebSocket.OPEN && prng.chance(0.995)) {
            const m = hostile(prng);
            sent++;
            // Lockstep: wait for the answer (or the close) so every message is really processed.
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, 200);
              wake = () => {
                clearTimeout(t);
                resolve();
              };
              ws.once('close', wake);
              ws.send(m, { binary: typeof m !== 'string' });
            });
            ws.removeAllListeners('close');
            ws.once('close', (code: number) => closedWith(code));
          }
          if (ws.readyState === WebSocket.OPEN) ws.close(1000);
        }
        const code = await closed;
        closes.set(code, (closes.get(code) ?? 0) + 1);
      }
    };
    const honestTraffic = (async () => {
      let rounds = 0;
      while (sent < TOTAL) {
        for (const p of pairs) {
          // A bound, not a speed test: the service in this process also answers 8 fuzzing sockets.
          const got = p.b.next('candidates', { timeoutMs: 30_000 });
          await p.a.sendCandidates(p.pair, [{ kind: 'host', family: 4, address: '10.0.0.1', port: 1000 + (rounds % 16) }]).catch((e: unknown) => honestErrors.push(e));
          await got;
        }
        rounds++;
        if (rounds % 15 === 14) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return rounds;
    })();
    await Promise.all([...Array.from({ length: CONNECTIONS }, fuzzOne), honestTraffic]);
    expect(sent).to.equal(TOTAL);
    expect(invalid, 'every message the service sent validates').to.deep.equal([]);
    expect(answers).to.be.greaterThan(TOTAL / 4);
    for (const code of closes.keys()) expect(ALLOWED_CLOSES.has(code) || code === 1000 || code === 1005, `close code ${code}`).to.equal(true);
    expect(honestErrors).to.deep.equal([]);
    // The honest pairs still work end to end after the storm.
    for (const p of pairs) {
      const link = p.a.next('linkUpdated');
      await p.b.reportPairResult(p.pairB, { outcome: 'connected', path: 'lan' });
      expect((await link).state).to.equal('connected');
    }
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`).then((r) => r.json() as Promise<{ status: string; connections: number }>);
    expect(health.status).to.equal('ok');
    // Fuzz sockets are gone: only the four honest ones remain, and no junk became a metric series.
    for (let i = 0; i < 500 && server.core.connectionCount > 4; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.core.connectionCount).to.equal(4);
    expect(server.metricsText().split('\n').length).to.be.lessThan(200);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    await Promise.all(honest.map((c) => c.close()));
    // Lobbies the fuzzers created and dropped live out their (short) grace period, then go.
    for (let i = 0; i < 500 && server.core.lobbyCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.core.lobbyCount).to.equal(0);
    expect(server.core.memberCount).to.equal(0);
  });
});
