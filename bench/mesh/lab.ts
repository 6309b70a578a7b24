// Mesh formation in the NAT lab: 8 agents, each behind its own port-restricted NAT with a 20 ms
// uplink delay, `meshpunch join` processes in their namespaces, signaling on the lab internet
// (one service with its relay, one with --no-relay), the variants interleaved run by run. The
// agents run with MESHPUNCH_TIMELINE=1; their trace lines give each link's phases (phases.ts).
// The lab code lives in test/natlab (compiled to test/dist); it is loaded at run time so the
// bench project does not compile test sources.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MeshRun } from './loopback.js';
import { timelineFromTrace } from './phases.js';
import type { MeshVariant } from './variants.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MESHPUNCH = join(ROOT, 'agent', 'dist', 'bin', 'meshpunch.cjs');
/** Extra node flags for the agents, e.g. MESH_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p' to profile them. */
const NODE_ARGS = (process.env.MESH_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/** The parts of the lab's LabProcess the bench uses. */
interface LabProcessLike {
  readonly lines: string[];
  readonly exited: Promise<number | string>;
  waitForLine(re: RegExp, timeoutMs: number): Promise<string>;
  tail(n?: number): string;
  stop(graceMs?: number): Promise<void>;
}

/** The parts of the lab's Lab the bench uses. */
interface LabLike {
  spawn(node: string, argv: readonly string[], label?: string): LabProcessLike;
  impair(router: string, up: { delayMs?: number }): Promise<void>;
  destroy(): Promise<void>;
}

interface LabModule {
  Lab: { create(options: { routers: Array<{ name: string; nat: string }>; stun?: boolean }): Promise<LabLike> };
  LAB_INTERNET: { stunPrimary: string; stunPort: number; third: string };
}

/** Runs `runs` mesh formations of `agents` agents per variant (interleaved); `skipped` says why when the lab cannot run. */
export async function labMeshRuns(agents: number, delayMs: number, runs: number, variants: readonly MeshVariant[], log: (line: string) => void, warmup = 0): Promise<{ skipped?: string; runs: Map<MeshVariant, MeshRun[]> }> {
  const out = new Map<MeshVariant, MeshRun[]>(variants.map((v) => [v, []]));
  const labJs = join(ROOT, 'test', 'dist', 'natlab', 'lab', 'lab.js');
  const prereqJs = join(ROOT, 'test', 'dist', 'natlab', 'lab', 'prereq.js');
  if (!existsSync(labJs)) return { skipped: 'test/natlab is not built (run tsc -b)', runs: out };
  const prereq = (await import(pathToFileURL(prereqJs).href)) as { labUnavailableReason(): string | null };
  const reason = prereq.labUnavailableReason();
  if (reason !== null) return { skipped: reason, runs: out };
  const mod = (await import(pathToFileURL(labJs).href)) as LabModule;
  const names = 'ABCDEFGHJK'.slice(0, agents).split('');
  log(`\nNAT lab: ${agents} agents behind ${agents} port-restricted NATs, ${delayMs} ms uplink delay each, ${runs} runs of ${variants.map((v) => v.name).join(', ')} (interleaved)`);
  const lab = await mod.Lab.create({ routers: names.map((name) => ({ name, nat: 'port-restricted' })) });
  try {
    for (const n of names) await lab.impair(n, { delayMs });
    const host = mod.LAB_INTERNET.third;
    // One service per relay setting, side by side for the whole run.
    const ports = new Map<boolean, number>();
    for (const relay of new Set(variants.map((v) => v.relay))) {
      const port = relay ? 8787 : 8788;
      const signal = lab.spawn('srv', [process.execPath, MESHPUNCH, 'signal', '--host', host, '--port', String(port), ...(relay ? [] : ['--no-relay'])], `srv:signal:${port}`);
      await signal.waitForLine(/listening/, 10_000);
      ports.set(relay, port);
    }
    const stun = `${mod.LAB_INTERNET.stunPrimary}:${mod.LAB_INTERNET.stunPort}`;
    // Untimed rounds first: in two interleaved 8-run comparisons at load 4-10 the first runs were
    // the slow ones whichever build (runs 1-3: 1.9-4.6 s, runs 6-8: 1.3-2.1 s); a third at load 3-4
    // saw none. The lab's service is one long-running process whose first lobbies run on cold
    // code, and a service in use has long been warm, so its first lobby stays out of the figures.
    // The agents stay cold: each run starts 8 new processes.
    for (let w = 0; w < warmup; w++) {
      for (const variant of variants) {
        const r = await labRun(lab, names, `ws://${host}:${ports.get(variant.relay)!}`, stun, `bench-lab-warm-up-${w}-${variant.name.replace(/^--/, '').replace(/[^a-z0-9-]+/gi, '-')}`, variant, log);
        log(`  warm-up ${variant.name} (untimed): ${Number.isFinite(r.ms) ? `${r.ms.toFixed(0)} ms` : `failed: ${r.failure}`}`);
      }
    }
    for (let run = 0; run < runs; run++) {
      for (const variant of variants) {
        const r = await labRun(lab, names, `ws://${host}:${ports.get(variant.relay)!}`, stun, `bench-lab-${run}-${variant.name.replace(/^--/, '').replace(/[^a-z0-9-]+/gi, '-')}`, variant, log);
        log(`  run ${run + 1} ${variant.name}: ${Number.isFinite(r.ms) ? `${r.ms.toFixed(0)} ms from launch, ${r.fromLastJoinMs.toFixed(0)} ms from the last join` : `failed: ${r.failure}`}`);
        out.get(variant)!.push(r);
      }
    }
  } finally {
    await lab.destroy();
  }
  return { runs: out };
}

/** One mesh formation: every agent runs the same command at once. */
async function labRun(lab: LabLike, names: readonly string[], signal: string, stun: string, lobby: string, variant: MeshVariant, log: (line: string) => void): Promise<MeshRun> {
  const agents = names.length;
  // Everyone runs the same command at once (--create-if-missing): the first join to reach the
  // service creates the lobby, nobody waits for a creator to start.
  const args = ['/usr/bin/env', 'MESHPUNCH_TIMELINE=1', process.execPath, ...NODE_ARGS, variant.agentBin ?? MESHPUNCH, 'join', '--signal', signal, '--lobby', lobby, '--stun', stun, '--create-if-missing', '--wait-peers', String(agents), '--timeout', '30', ...(variant.secure ? [] : ['--insecure'])];
  const t0 = performance.now();
  const procs = names.map((n) => lab.spawn(`${n.toLowerCase()}1`, args));
  // When each joined (line seen here), and when every agent printed its complete mesh.
  let lastJoin = 0;
  const joinedAt = new Map<LabProcessLike, number>(procs.map((p) => [p, 0]));
  for (const p of procs) {
    void p.waitForLine(/ as peer \d+/, 40_000).then(() => {
      joinedAt.set(p, performance.now());
      lastJoin = Math.max(lastJoin, performance.now());
    }, () => undefined);
  }
  let ms = Number.NaN;
  let fromLastJoinMs = Number.NaN;
  let failure: string | undefined;
  try {
    await Promise.all(procs.map((p) => p.waitForLine(new RegExp(`link\\(s\\) up, 0 failed`), 40_000)));
    ms = performance.now() - t0;
    fromLastJoinMs = performance.now() - lastJoin;
    const codes = await Promise.all(procs.map((p) => p.exited));
    if (codes.some((c) => c !== 0)) failure = `exit codes ${codes.join(',')}`;
  } catch (err) {
    failure = (err as Error).message.split('\n')[0];
  }
  await Promise.all(procs.map((p) => p.stop()));
  // MESH_BENCH_TRACE=1: the creator's and the last agent's timelines.
  if (process.env.MESH_BENCH_TRACE === '1') {
    const creator = procs.find((p) => p.lines.some((l) => / created '.*' as peer 1/.test(l))) ?? procs[0]!;
    const lastJoined = procs.reduce((a, p) => (joinedAt.get(p)! > joinedAt.get(a)! ? p : a));
    for (const [who, p] of [['creator', creator], ['last to join', lastJoined]] as const) {
      log(`    ${who}: ${p.lines.filter((l) => l.startsWith('trace ')).map((l) => l.replace(/^trace /, '').replace(/ ms /, 'ms ')).join(' | ')}`);
    }
  }
  return { agents, links: (agents * (agents - 1)) / 2, ms, fromLastJoinMs, failure, timelines: procs.map((p) => timelineFromTrace(p.lines)) };
}
