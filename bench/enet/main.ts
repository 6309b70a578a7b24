// `npm run bench:enet`: libenet, npm `enet` and @meshpunch/enet side by side on loopback, in one
// run: reliable throughput (1000 B and 100 B, 256 in flight) and ping-pong RTT (32 B), then the
// ratios ours/libenet and ours/npm-enet (docs/benchmarks.md); ours again over DTLS (issue 18:
// target ≥ 0.7× plain throughput, connect incl. handshake ≤ 20 ms). Never part of `npm test`.
import { ratio, renderTable, type Row } from '../common/table.js';
import { quantile, type Contender } from './contender.js';
import { libenet } from './libenet.js';
import { npmEnet } from './npm-enet.js';
import { ours } from './ours.js';
import { rawDgram } from './raw-dgram.js';
import { benchArgs, benchUsage } from '../common/args.js';

const OPTIONS = {
    count: { type: 'string', default: '200000' },
    pings: { type: 'string', default: '10000' },
    inflight: { type: 'string', default: '256' },
    connects: { type: 'string', default: '50' },
    slices: { type: 'string', default: '4' },
    only: { type: 'string' },
} as const;
const opt = benchArgs(benchUsage('npm run bench:enet --', 'libenet, npm enet and @meshpunch/enet (plain and DTLS) side by side on loopback: reliable\nthroughput, ping-pong RTT, connect time, and the ratios.', OPTIONS), OPTIONS);
const COUNT = Number(opt.count);
const PINGS = Number(opt.pings);
const INFLIGHT = Number(opt.inflight);
const CONNECTS = Number(opt.connects);
const SLICES = Number(opt.slices);

const COLS = ['1000 B pkt/s', '1000 B MB/s', '1000 B pkt/CPU s', '100 B pkt/s', '100 B pkt/CPU s', 'ping median µs', 'ping p99 µs', 'connect p50 ms', 'connect p95 ms'] as const;
type Cells = Partial<Record<(typeof COLS)[number], number>>;

/**
 * Measures contenders side by side: each step runs in `slices` alternating slices (a, b, a, b …)
 * so load from other processes on a shared machine hits all of them alike.
 */
async function measure(cs: readonly Contender[], slices: number): Promise<Cells[]> {
  const cells: Cells[] = cs.map(() => ({}));
  const step = async (what: string, fn: (c: Contender, i: number) => Promise<void>): Promise<void> => {
    for (let r = 0; r < slices; r++) {
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        process.stderr.write(`[bench] ${c.name}: ${what}${slices > 1 ? ` (slice ${r + 1}/${slices})` : ''} …\n`);
        try {
          await fn(c, i);
        } catch (err) {
          process.stderr.write(`[bench] ${c.name}: ${what} failed: ${(err as Error).message}\n`);
        }
      }
    }
  };
  const per = (n: number): number => Math.max(1, Math.round(n / slices));
  const sums = cs.map(() => ({ p1000: 0, s1000: 0, c1000: 0, p100: 0, s100: 0, c100: 0, rtts: [] as number[], connects: [] as number[] }));
  await step(`${COUNT} × 1000 B`, async (c, i) => {
    const r = await c.throughput(1000, per(COUNT), INFLIGHT);
    sums[i]!.p1000 += r.packets;
    sums[i]!.s1000 += r.seconds;
    sums[i]!.c1000 += r.cpuSeconds ?? Number.NaN;
  });
  await step(`${COUNT} × 100 B`, async (c, i) => {
    const r = await c.throughput(100, per(COUNT), INFLIGHT);
    sums[i]!.p100 += r.packets;
    sums[i]!.s100 += r.seconds;
    sums[i]!.c100 += r.cpuSeconds ?? Number.NaN;
  });
  await step(`${PINGS} round trips of 32 B`, async (c, i) => {
    sums[i]!.rtts.push(...await c.pingPong(per(PINGS), 32));
  });
  await step(`${CONNECTS} connects (host creation to CONNECT on both sides)`, async (c, i) => {
    if (c.connectTimes !== undefined) sums[i]!.connects.push(...await c.connectTimes(per(CONNECTS)));
  });
  for (let i = 0; i < cs.length; i++) {
    const s = sums[i]!;
    const out = cells[i]!;
    if (s.s1000 > 0) {
      out['1000 B pkt/s'] = s.p1000 / s.s1000;
      out['1000 B MB/s'] = (s.p1000 * 1000) / s.s1000 / 1e6;
    }
    if (s.c1000 > 0) out['1000 B pkt/CPU s'] = s.p1000 / s.c1000;
    if (s.s100 > 0) out['100 B pkt/s'] = s.p100 / s.s100;
    if (s.c100 > 0) out['100 B pkt/CPU s'] = s.p100 / s.c100;
    if (s.rtts.length > 0) {
      out['ping median µs'] = quantile(s.rtts, 0.5);
      out['ping p99 µs'] = quantile(s.rtts, 0.99);
    }
    if (s.connects.length > 0) {
      out['connect p50 ms'] = quantile(s.connects, 0.5);
      out['connect p95 ms'] = quantile(s.connects, 0.95);
    }
  }
  return cells;
}

const lib = await libenet();
const contenders: Array<[string, Contender]> = [
  ['libenet', lib],
  ['npm enet', npmEnet()],
  ['ours', ours()],
  ['dtls', ours({ dtls: true })],
  ['dgram', rawDgram()],
];
const results: Record<string, Cells> = {};
const wanted = (key: string): boolean => opt.only === undefined || opt.only.split(',').includes(key);
// Every contender in alternating slices: on a shared machine the load of the moment hits all of
// them alike, so each ratio row (ours / node:dgram above all) compares like with like.
const chosen = contenders.filter(([k]) => wanted(k));
const cells = await measure(chosen.map(([, c]) => c), chosen.length > 1 ? SLICES : 1);
chosen.forEach(([k], i) => { results[k] = cells[i]!; });
lib.cleanup();

const rows: Row[] = contenders.filter(([k]) => results[k] !== undefined).map(([k, c]) => ({ name: c.name, cells: results[k]! }));
const ratioRow = (name: string, base: Cells | undefined): Row => ({
  name,
  cells: Object.fromEntries(COLS.map((col) => [col, ratio(results.ours?.[col], base?.[col])])),
});
rows.push(ratioRow('ours / libenet', results.libenet), ratioRow('ours / npm enet', results['npm enet']));
if (results.dgram !== undefined) rows.push(ratioRow('ours / node:dgram only', results.dgram));
if (results.dtls !== undefined && results.ours !== undefined) {
  rows.push({ name: 'DTLS / plain (ours)', cells: Object.fromEntries(COLS.map((col) => [col, ratio(results.dtls?.[col], results.ours?.[col])])) });
}
console.log(`\nENet on loopback, one process drives both hosts; ${COUNT} reliable packets, ${INFLIGHT} in flight; ${PINGS} round trips`);
console.log(`(ratios: > 1 = ours higher; for latency columns lower is better; pkt/CPU s: packets per second of this`);
console.log(`process's CPU time, both hosts in it (ours, node:dgram), which other processes' load moves far less than pkt/s)\n`);
console.log(renderTable(COLS, rows));
