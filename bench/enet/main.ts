// `npm run bench:enet`: libenet, npm `enet` and @meshpunch/enet side by side on loopback, in one
// run: reliable throughput (1000 B and 100 B, 256 in flight) and ping-pong RTT (32 B), then the
// ratios ours/libenet and ours/npm-enet (docs/benchmarks.md). Never part of `npm test`.
import { parseArgs } from 'node:util';
import { ratio, renderTable, type Row } from '../common/table.js';
import { quantile, type Contender } from './contender.js';
import { libenet } from './libenet.js';
import { npmEnet } from './npm-enet.js';
import { ours } from './ours.js';
import { rawDgram } from './raw-dgram.js';

const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '200000' },
    pings: { type: 'string', default: '10000' },
    inflight: { type: 'string', default: '256' },
    only: { type: 'string' },
  },
});
const COUNT = Number(opt.count);
const PINGS = Number(opt.pings);
const INFLIGHT = Number(opt.inflight);

const COLS = ['1000 B pkt/s', '1000 B MB/s', '100 B pkt/s', 'ping median µs', 'ping p99 µs'] as const;
type Cells = Partial<Record<(typeof COLS)[number], number>>;

async function measure(c: Contender): Promise<Cells> {
  const cells: Cells = {};
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    process.stderr.write(`[bench] ${c.name}: ${what} …\n`);
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`[bench] ${c.name}: ${what} failed: ${(err as Error).message}\n`);
    }
  };
  await step(`${COUNT} × 1000 B`, async () => {
    const r = await c.throughput(1000, COUNT, INFLIGHT);
    cells['1000 B pkt/s'] = r.packets / r.seconds;
    cells['1000 B MB/s'] = (r.packets * 1000) / r.seconds / 1e6;
  });
  await step(`${COUNT} × 100 B`, async () => {
    const r = await c.throughput(100, COUNT, INFLIGHT);
    cells['100 B pkt/s'] = r.packets / r.seconds;
  });
  await step(`${PINGS} round trips of 32 B`, async () => {
    const rtts = await c.pingPong(PINGS, 32);
    cells['ping median µs'] = quantile(rtts, 0.5);
    cells['ping p99 µs'] = quantile(rtts, 0.99);
  });
  return cells;
}

const lib = await libenet();
const contenders: Array<[string, Contender]> = [
  ['libenet', lib],
  ['npm enet', npmEnet()],
  ['ours', ours()],
  ['dgram', rawDgram()],
];
const results: Record<string, Cells> = {};
for (const [key, c] of contenders) {
  if (opt.only !== undefined && !opt.only.split(',').includes(key)) continue;
  results[key] = await measure(c);
}
lib.cleanup();

const rows: Row[] = contenders.filter(([k]) => results[k] !== undefined).map(([k, c]) => ({ name: c.name, cells: results[k]! }));
const ratioRow = (name: string, base: Cells | undefined): Row => ({
  name,
  cells: Object.fromEntries(COLS.map((col) => [col, ratio(results.ours?.[col], base?.[col])])),
});
rows.push(ratioRow('ours / libenet', results.libenet), ratioRow('ours / npm enet', results['npm enet']));
if (results.dgram !== undefined) rows.push(ratioRow('ours / node:dgram only', results.dgram));
console.log(`\nENet on loopback, one process drives both hosts; ${COUNT} reliable packets, ${INFLIGHT} in flight; ${PINGS} round trips`);
console.log(`(ratios: > 1 = ours higher; for latency columns lower is better)\n`);
console.log(renderTable(COLS, rows));
