// libenet 1.3.17 as a bench contender: builds libenet-bench.c with gcc -O2 once and runs it per
// measurement (the C program drives both hosts itself and prints JSON).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_WALL_LIMIT_MS, type Contender, type ThroughputResult } from './contender.js';

/** bench/dist/enet → bench/enet/libenet-bench.c */
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'enet', 'libenet-bench.c');

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: RUN_WALL_LIMIT_MS, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** The libenet contender; `cleanup()` removes its build dir. */
export async function libenet(): Promise<Contender & { cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'meshpunch-bench-'));
  const exe = join(dir, 'libenet-bench');
  await run('gcc', ['-O2', '-o', exe, SOURCE, '-lenet']);
  return {
    name: 'libenet 1.3.17 (C -O2)',
    async throughput(size, count, inflight): Promise<ThroughputResult> {
      return JSON.parse(await run(exe, ['throughput', String(size), String(count), String(inflight)])) as ThroughputResult;
    },
    async pingPong(count, size): Promise<number[]> {
      return (JSON.parse(await run(exe, ['pingpong', String(count), String(size)])) as { rttsUs: number[] }).rttsUs;
    },
    cleanup(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
