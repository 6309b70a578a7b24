// `npm run bench:relay`: ENet reliable throughput (1000 B) and ping-pong RTT (32 B) on loopback,
// directly and through a TURN relay spoken from the ENet socket — meshpunch-signal's embedded
// relay (the real CLI process) and coturn, side by side in one run — plus each relay process's
// CPU per relayed datagram (from /proc/<pid>/stat), and the ratios: relayed/direct throughput,
// added RTT, embedded/coturn throughput (issue 11 target ≥ 0.8). A bare node:dgram forwarder
// process (no TURN) runs beside them as the ceiling of any relay on node:dgram. Both relays are started here on
// loopback and stopped by their own pids. Never part of `npm test`.
// `--baseline <path to another build's signaling/dist/bin/meshpunch-signal.js>` adds that build's
// embedded relay as one more path in the same interleaved rounds (before/after of a change).
import { ratio, renderTable, type Row } from '../common/table.js';
import { quantile } from '../enet/contender.js';
import { directPair, forwardedPair, pingPong, relayedPair, throughput, type LinkedPair } from './enet-paths.js';
import { hasCoturn, startCoturn, startEmbedded, type RelayUnderTest } from './relays.js';
import { benchArgs, benchUsage } from '../common/args.js';

const OPTIONS = {
    count: { type: 'string', default: '50000' },
    pings: { type: 'string', default: '3000' },
    inflight: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '2' },
    baseline: { type: 'string' },
} as const;
const opt = benchArgs(benchUsage('npm run bench:relay --', "ENet throughput and RTT direct and through the embedded relay and coturn, side by side, and each\nrelay's CPU per relayed datagram.", OPTIONS), OPTIONS);
const COUNT = Number(opt.count);
const PINGS = Number(opt.pings);
const INFLIGHT = Number(opt.inflight);
const ROUNDS = Number(opt.rounds);

const COLS = ['1000 B pkt/s', 'MB/s', 'RTT median µs', 'RTT p99 µs', 'relay CPU µs/datagram'] as const;
type Cells = Partial<Record<(typeof COLS)[number], number>>;

const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);

/** One path measured once: throughput, then ping-pong, with the relay's CPU over the throughput part. */
async function measure(name: string, make: () => Promise<LinkedPair & { cpuSeconds?: () => number }>, relayProcess: RelayUnderTest | undefined): Promise<Cells> {
  log(`${name}: ${COUNT} × 1000 B reliable, ${INFLIGHT} in flight …`);
  const p = await make();
  const relay = relayProcess ?? (p.cpuSeconds === undefined ? undefined : { cpuSeconds: p.cpuSeconds });
  try {
    const cpu0 = relay?.cpuSeconds() ?? 0;
    const d0 = p.relayedDatagrams();
    const t = await throughput(p, 1000, COUNT, INFLIGHT);
    const cpu = (relay?.cpuSeconds() ?? 0) - cpu0;
    const datagrams = p.relayedDatagrams() - d0;
    if (datagrams > 0) log(`${name}: ${(datagrams / t.packets).toFixed(2)} datagrams through the relay per packet delivered (ENet retransmissions raise it)`);
    log(`${name}: ${PINGS} round trips of 32 B …`);
    const rtts = await pingPong(p, PINGS, 32);
    return {
      '1000 B pkt/s': t.packets / t.seconds, 'MB/s': (t.packets * 1000) / t.seconds / 1e6,
      'RTT median µs': quantile(rtts, 0.5), 'RTT p99 µs': quantile(rtts, 0.99),
      'relay CPU µs/datagram': relay === undefined || datagrams === 0 ? Number.NaN : (cpu * 1e6) / datagrams,
    };
  } finally {
    p.close();
  }
}

/** The best (highest throughput, lowest latency and CPU) of each column over the rounds. */
function best(runs: Cells[]): Cells {
  const out: Cells = {};
  for (const c of COLS) {
    const v = runs.map((r) => r[c]).filter((x): x is number => x !== undefined && Number.isFinite(x));
    if (v.length === 0) continue;
    out[c] = c === '1000 B pkt/s' || c === 'MB/s' ? Math.max(...v) : Math.min(...v);
  }
  return out;
}

if (!hasCoturn()) {
  console.error('bench:relay needs coturn (turnserver): run `npm run bench:relay` (scripts/setup.mjs --profile bench installs it, as root)');
  process.exit(1);
}
const base = 20_000 + Math.floor(Math.random() * 10_000);
const embedded = await startEmbedded(`${base}-${base + 99}`);
let coturn: RelayUnderTest | undefined;
let baseline: RelayUnderTest | undefined;
const results: Record<string, Cells[]> = { direct: [], dgram: [], embedded: [], coturn: [], baseline: [] };
try {
  coturn = await startCoturn(base + 200, base + 300, base + 399);
  if (opt.baseline !== undefined) baseline = await startEmbedded(`${base + 400}-${base + 499}`, opt.baseline);
  // Interleaved rounds, so drift on a shared machine hits every path alike.
  for (let r = 0; r < ROUNDS; r++) {
    results.direct!.push(await measure('direct', directPair, undefined));
    results.dgram!.push(await measure('node:dgram forwarder', forwardedPair, undefined));
    results.embedded!.push(await measure('embedded relay', () => relayedPair(embedded), embedded));
    results.coturn!.push(await measure('coturn', () => relayedPair(coturn!), coturn));
    if (baseline !== undefined) results.baseline!.push(await measure('embedded relay, baseline build', () => relayedPair(baseline!), baseline));
  }
} finally {
  await embedded.stop();
  await coturn?.stop();
  await baseline?.stop();
}

const direct = best(results.direct!);
const emb = best(results.embedded!);
const cot = best(results.coturn!);
const fwd = best(results.dgram!);
const added = (x: Cells, col: 'RTT median µs' | 'RTT p99 µs'): number => (x[col] ?? Number.NaN) - (direct[col] ?? Number.NaN);
const rows: Row[] = [
  { name: 'direct', cells: direct },
  { name: 'embedded relay (meshpunch-signal)', cells: emb },
  { name: 'coturn 4.6', cells: cot },
  { name: 'node:dgram forwarder, no TURN', cells: fwd },
  { name: 'embedded / direct', cells: { '1000 B pkt/s': ratio(emb['1000 B pkt/s'], direct['1000 B pkt/s']), 'RTT median µs': added(emb, 'RTT median µs'), 'RTT p99 µs': added(emb, 'RTT p99 µs') } },
  { name: 'coturn / direct', cells: { '1000 B pkt/s': ratio(cot['1000 B pkt/s'], direct['1000 B pkt/s']), 'RTT median µs': added(cot, 'RTT median µs'), 'RTT p99 µs': added(cot, 'RTT p99 µs') } },
  { name: 'embedded / coturn', cells: { '1000 B pkt/s': ratio(emb['1000 B pkt/s'], cot['1000 B pkt/s']), 'relay CPU µs/datagram': ratio(emb['relay CPU µs/datagram'], cot['relay CPU µs/datagram']) } },
  { name: 'embedded / node:dgram forwarder', cells: { '1000 B pkt/s': ratio(emb['1000 B pkt/s'], fwd['1000 B pkt/s']), 'relay CPU µs/datagram': ratio(emb['relay CPU µs/datagram'], fwd['relay CPU µs/datagram']) } },
];
if (baseline !== undefined) {
  const bl = best(results.baseline!);
  rows.push(
    { name: 'embedded relay, baseline build', cells: bl },
    { name: 'embedded / baseline', cells: { '1000 B pkt/s': ratio(emb['1000 B pkt/s'], bl['1000 B pkt/s']), 'relay CPU µs/datagram': ratio(emb['relay CPU µs/datagram'], bl['relay CPU µs/datagram']) } },
    { name: 'baseline / coturn', cells: { '1000 B pkt/s': ratio(bl['1000 B pkt/s'], cot['1000 B pkt/s']), 'relay CPU µs/datagram': ratio(bl['relay CPU µs/datagram'], cot['relay CPU µs/datagram']) } },
  );
}
console.log(`\nENet over TURN from the ENet socket, loopback; best of ${ROUNDS} interleaved rounds; ${COUNT} reliable 1000 B packets, ${INFLIGHT} in flight; ${PINGS} round trips of 32 B`);
console.log('(ratio rows: throughput as a ratio, RTT columns as µs added over direct; relay CPU = the relay process\'s user+system time / datagrams it relayed, both directions)\n');
console.log(renderTable(COLS, rows));
console.log(`\ntargets (issue 11): embedded/coturn throughput ≥ 0.8 → ${ratio(emb['1000 B pkt/s'], cot['1000 B pkt/s']).toFixed(2)}; embedded CPU ≤ 15 µs/datagram → ${(emb['relay CPU µs/datagram'] ?? Number.NaN).toFixed(1)}; added RTT median ≤ 200 µs → ${added(emb, 'RTT median µs').toFixed(0)}`);
