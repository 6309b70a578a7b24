// `npm run bench:dtls`: the base for the later ENet-over-DTLS row (issue 18). Handshake time on
// loopback (two node:dgram sockets, DtlsServer with its cookie exchange, pinned mutual auth) and
// in-process (the cores alone, CPU only); encrypt + decrypt throughput of 1000 B application
// records through a session pair for each suite. Never part of `npm test`.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  CipherSuite, DtlsServer, DtlsSession, DtlsUdpDriver, generateIdentity, monotonicNow, nodeDtlsCrypto, nodeRandom,
  type CipherSuiteId, type DtlsEvent, type DtlsServerEvent,
} from '@meshpunch/dtls';
import { renderTable, type Row } from '../common/table.js';
import { percentile } from '../mesh/stats.js';
import { benchArgs, benchUsage } from '../common/args.js';

const OPTIONS = {
    handshakes: { type: 'string', default: '50' },
    records: { type: 'string', default: '100000' },
} as const;
const opt = benchArgs(benchUsage('npm run bench:dtls --', 'DTLS handshake time on loopback and in-process, and record seal/open throughput per suite.', OPTIONS), OPTIONS);
const HANDSHAKES = Number(opt.handshakes);
const RECORDS = Number(opt.records);

const serverId = generateIdentity({ commonName: 'bench-server' });
const clientId = generateIdentity({ commonName: 'bench-client' });
const base = { crypto: nodeDtlsCrypto, random: nodeRandom };
const clientOptions = (suite: CipherSuiteId) => ({ ...base, role: 'client' as const, identity: clientId.identity, expectedFingerprint: serverId.fingerprint, cipherSuites: [suite] });
const serverOptions = { ...base, identity: serverId.identity, expectedFingerprint: clientId.fingerprint };
const LOCAL = { address: '127.0.0.1', port: 1 };
const OUT = new Uint8Array(65536);
const TO = { address: '', port: 0 };

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** One loopback handshake through real sockets; ms from connect() until both sides report connected. */
async function loopbackHandshake(suite: CipherSuiteId): Promise<number> {
  const [cs, ss] = [await bound(), await bound()];
  const server = new DtlsServer(serverOptions);
  const client = new DtlsSession(clientOptions(suite), { address: '127.0.0.1', port: ss.address().port });
  let done = 0;
  let finish: () => void = () => {};
  const both = new Promise<void>((r) => { finish = r; });
  const onEvent = (e: DtlsEvent | DtlsServerEvent): void => {
    if (e.type === 'connected' && ++done === 2) finish();
    if (e.type === 'error') throw e.error;
  };
  const sd = new DtlsUdpDriver<DtlsServerEvent>(server, ss, onEvent);
  const cd = new DtlsUdpDriver<DtlsEvent>(client, cs, onEvent);
  const t0 = performance.now();
  client.connect(monotonicNow());
  cd.pump();
  await both;
  const ms = performance.now() - t0;
  sd.stop();
  cd.stop();
  cs.close();
  ss.close();
  return ms;
}

/** Moves every pending datagram from one core to the other; returns how many moved. */
function shuttle(from: { pollTransmit(now: number, out: Uint8Array, to: typeof TO): number }, to: { handleDatagram(now: number, f: typeof LOCAL, b: Uint8Array): void }): number {
  let n = 0;
  for (let len = from.pollTransmit(0, OUT, TO); len > 0; len = from.pollTransmit(0, OUT, TO)) {
    to.handleDatagram(0, LOCAL, OUT.slice(0, len));
    n++;
  }
  return n;
}

/** A connected pair driven by hand in this process (no sockets, no timers). */
function inProcessPair(suite: CipherSuiteId): { client: DtlsSession; server: DtlsServer; ms: number } {
  const server = new DtlsServer(serverOptions);
  const client = new DtlsSession(clientOptions(suite), LOCAL);
  const t0 = performance.now();
  client.connect(0);
  for (let i = 0; i < 20 && !client.isConnected; i++) shuttle(client, server) + shuttle(server, client);
  shuttle(client, server);
  const ms = performance.now() - t0;
  if (!client.isConnected || server.sessionCount !== 1) throw new Error('in-process handshake did not complete');
  while (server.pollEvent() !== undefined);
  while (client.pollEvent() !== undefined);
  return { client, server, ms };
}

/** Seal RECORDS × 1000 B at the client and open them at the server; records per second. */
function throughput(pair: { client: DtlsSession; server: DtlsServer }, count: number): number {
  const { client, server } = pair;
  const payload = new Uint8Array(1000).fill(0x5a);
  let got = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    client.send(0, payload);
    const len = client.pollTransmit(0, OUT, TO);
    server.handleDatagram(0, LOCAL, OUT.subarray(0, len));
    const e = server.pollEvent();
    if (e?.type === 'data') got++;
  }
  const s = (performance.now() - t0) / 1000;
  if (got !== count) throw new Error(`only ${got} of ${count} records arrived`);
  return s;
}

/**
 * node:crypto alone sealing and opening 1000 B with a fresh cipher object each: the ceiling of our
 * AES-128-GCM path (which must do that); ChaCha20-Poly1305 runs in WebAssembly and beats it.
 */
function rawCrypto(suite: CipherSuiteId, count: number): number {
  const alg = suite === CipherSuite.EcdheEcdsaAes128GcmSha256 ? 'aes-128-gcm' : 'chacha20-poly1305';
  const key = Buffer.alloc(alg === 'aes-128-gcm' ? 16 : 32, 1);
  const nonce = Buffer.alloc(12, 2);
  const aad = Buffer.alloc(13, 3);
  const pt = Buffer.alloc(1000, 4);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const c = createCipheriv(alg as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: 1000 });
    const ct = c.update(pt);
    c.final();
    const d = createDecipheriv(alg as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
    d.setAuthTag(c.getAuthTag());
    d.setAAD(aad, { plaintextLength: 1000 });
    d.update(ct);
    d.final();
  }
  return (performance.now() - t0) / 1000;
}

/** Ours and the raw ceiling in alternating slices, so load from other processes hits both alike. */
function interleaved(suite: CipherSuiteId): { ours: number; raw: number } {
  const pair = inProcessPair(suite);
  const slices = 10;
  const per = Math.ceil(RECORDS / slices);
  let oursS = 0;
  let rawS = 0;
  for (let i = 0; i < slices; i++) {
    oursS += throughput(pair, per);
    rawS += rawCrypto(suite, per);
  }
  return { ours: (per * slices) / oursS, raw: (per * slices) / rawS };
}

const rows: Row[] = [];
const suites: Array<[string, CipherSuiteId]> = [['AES-128-GCM', CipherSuite.EcdheEcdsaAes128GcmSha256], ['ChaCha20-Poly1305', CipherSuite.EcdheEcdsaChacha20Poly1305Sha256]];
for (const [name, suite] of suites) {
  process.stderr.write(`[bench] ${name}: ${HANDSHAKES} loopback handshakes …\n`);
  const loop: number[] = [];
  for (let i = 0; i < HANDSHAKES; i++) loop.push(await loopbackHandshake(suite));
  const cpu: number[] = [];
  for (let i = 0; i < HANDSHAKES; i++) cpu.push(inProcessPair(suite).ms);
  process.stderr.write(`[bench] ${name}: ${RECORDS} × 1000 B records …\n`);
  const { ours: rps, raw } = interleaved(suite);
  rows.push({
    name: `ECDHE-ECDSA X25519 ${name}`,
    cells: {
      'loopback hs p50 ms': percentile(loop, 50), 'loopback hs p95 ms': percentile(loop, 95),
      'in-process hs p50 ms': percentile(cpu, 50), '1000 B rec/s': rps, '1000 B MB/s': (rps * 1000) / 1e6,
      'node:crypto alone rec/s': raw, 'ours / node:crypto': rps / raw,
    },
  });
}
console.log(`\nDTLS 1.2, pinned mutual auth, cookie exchange; ${HANDSHAKES} handshakes, ${RECORDS} records (seal + open, one process)`);
console.log(renderTable(['loopback hs p50 ms', 'loopback hs p95 ms', 'in-process hs p50 ms', '1000 B rec/s', '1000 B MB/s', 'node:crypto alone rec/s', 'ours / node:crypto'], rows));
console.log('target (issue 18): handshake ≤ 20 ms on loopback');
process.exit(0);
