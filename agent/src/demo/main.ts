// Entry point of `npm run demo`: runs the four-agent loopback demo, exits 0 on success or 1 with
// a one-line reason.

import { DEFAULT_DEMO, runDemo } from './run-demo.js';

const result = await runDemo({ ...DEFAULT_DEMO, log: (line) => console.log(line) });
if (result.ok) {
  console.log('\ndemo: OK — full mesh, every reliable message delivered');
  process.exit(0);
}
console.error(`demo: FAILED — ${result.reason}`);
process.exit(1);
