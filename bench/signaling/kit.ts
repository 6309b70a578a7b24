// Drives the shared same-run comparison kit (shared/anchors/signaling: the Godot demo server,
// noray and meshpunch-signal, each loaded by the kit's own driver) and reads its raw results, so
// every ratio bench:signaling prints comes from one run with one driver method (issue 19).
// The kit is not copied here: it is run where it lies (it needs root for its network namespace).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The systems the kit runs, by the prefix of its result files. */
export const KIT_SYSTEMS = ['demo', 'noray', 'mesh'] as const;
export type KitSystem = (typeof KIT_SYSTEMS)[number];

/** One run's figures with the kit's definitions (its table.py). */
export interface KitFigures {
  /** Admitted clients per second over the create + join phases. */
  admissionsPerS: number;
  /** Socket open → lobby.joined (noray: TCP connect → registered), ms. */
  joinP50: number;
  joinP99: number;
  /** Server RSS delta per admitted connection, KiB. */
  kibPerConn: number;
  /** Server CPU per admission, µs. */
  cpuPerAdmissionUs: number;
  /** Server CPU per relayed message (noray: per connect answer), µs. */
  cpuPerRelayUs: number;
}

interface KitJson {
  server: { rssPerConnKiB: number; joinCpuS?: number; registerCpuS?: number };
  join?: { ok: number; joinsPerS: number; completeMs: { p50: number; p99: number } };
  relay?: { serverCpuS: number; received: number };
  register?: { ok: number; perS: number; tcpMs: { p50: number; p99: number } };
  connect?: { serverCpuS: number; answers: number };
}

/** The figures of one result file, as the kit's table.py computes them. */
export function kitFigures(sys: KitSystem, r: KitJson): KitFigures {
  if (sys === 'noray') {
    const reg = r.register!;
    return {
      admissionsPerS: reg.perS, joinP50: reg.tcpMs.p50, joinP99: reg.tcpMs.p99, kibPerConn: r.server.rssPerConnKiB,
      cpuPerAdmissionUs: (r.server.registerCpuS! / reg.ok) * 1e6,
      cpuPerRelayUs: (r.connect!.serverCpuS / Math.max(1, r.connect!.answers)) * 1e6,
    };
  }
  const j = r.join!;
  return {
    admissionsPerS: j.joinsPerS, joinP50: j.completeMs.p50, joinP99: j.completeMs.p99, kibPerConn: r.server.rssPerConnKiB,
    cpuPerAdmissionUs: (r.server.joinCpuS! / j.ok) * 1e6,
    cpuPerRelayUs: (r.relay!.serverCpuS / Math.max(1, r.relay!.received)) * 1e6,
  };
}

/** Every readable result in a kit output directory: system → inflight → runs. */
export function readKitResults(dir: string): Map<KitSystem, Map<number, KitFigures[]>> {
  const out = new Map<KitSystem, Map<number, KitFigures[]>>();
  for (const f of readdirSync(dir).sort()) {
    const m = /^(demo|noray|mesh)-(\d+)-r\d+\.json$/.exec(f);
    if (m === null) continue;
    const sys = m[1] as KitSystem;
    try {
      const fig = kitFigures(sys, JSON.parse(readFileSync(join(dir, f), 'utf8')) as KitJson);
      const bySys = out.get(sys) ?? new Map<number, KitFigures[]>();
      out.set(sys, bySys);
      const runs = bySys.get(Number(m[2])) ?? [];
      bySys.set(Number(m[2]), runs);
      runs.push(fig);
    } catch (err) {
      console.log(`  unreadable kit result ${f}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Why the kit cannot run here, or undefined when it can. */
export function kitProblem(kitDir: string): string | undefined {
  if (!existsSync(join(kitDir, 'run.sh'))) return `no kit at ${kitDir} (pass --kit DIR)`;
  if (process.getuid?.() !== 0) return 'the kit needs root (it runs the servers in a network namespace of its own)';
  return undefined;
}

/**
 * Runs the kit's run.sh against the built checkout `project` and resolves with its raw
 * results directory. Its progress lines are passed through.
 * @throws Error when run.sh fails or prints no results directory (rejects)
 */
export function runKit(kitDir: string, project: string, rounds: number, clients: number, lobby: number, inflights: readonly number[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(kitDir, 'run.sh'), project, String(rounds), String(clients), String(lobby), inflights.join(' ')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      text += d;
      // The kit's own table is printed again below with every ratio; pass through progress only.
      for (const line of d.split('\n')) if (/ done \(load /.test(line)) console.log(`  kit: ${line.trim()}`);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /raw results: (\S+)/.exec(text);
      if (m === null) reject(new Error(`kit run.sh exited with ${String(code)} and no results:\n${text.slice(-2000)}`));
      else resolve(m[1]!);
    });
  });
}

/** Median and range of a list of numbers (non-empty). */
export function spread(v: readonly number[]): { median: number; min: number; max: number } {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}
