// `meshpunch signal` (cli layer): runs the signaling service's own binary, meshpunch-signal, in
// a child process with the same arguments and streams, forwarding Ctrl-C / SIGTERM to it by pid.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where meshpunch-signal's compiled entry lives (next to @meshpunch/signaling's dist/src). */
export function signalBinPath(): string {
  const entry = fileURLToPath(import.meta.resolve('@meshpunch/signaling'));
  return join(dirname(entry), '..', 'bin', 'meshpunch-signal.js');
}

/** Runs meshpunch-signal with `argv`; resolves with its exit code. */
export function runSignal(argv: readonly string[]): Promise<number> {
  const bin = signalBinPath();
  if (!existsSync(bin)) return Promise.reject(new Error(`meshpunch-signal is not built (${bin}); run npm run build`));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...argv], { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals): void => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, sig);
    };
    const onInt = (): void => forward('SIGINT');
    const onTerm = (): void => forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal === null ? 1 : 128 + 1));
    });
  });
}
