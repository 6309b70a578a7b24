// Startup timeline (adapter): with MESHPUNCH_TIMELINE=1 every step of a run prints one stderr line
// `trace <ms since the process started> <step>`, so the launch → join → mesh time can be split
// (issue #7). Off by default: one environment read at load, nothing else.

const ENABLED = process.env.MESHPUNCH_TIMELINE === '1';

/** Prints `step` with the time since the process started (performance.now(), ms) when tracing is on. */
export function trace(step: string): void {
  if (ENABLED) process.stderr.write(`trace ${performance.now().toFixed(1)} ms ${step}\n`);
}
