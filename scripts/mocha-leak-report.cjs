// mocha --require hook (used by scripts/run-tests.mjs when MESHPUNCH_LEAK_REPORT=1): records where
// each timer, socket, server and child process is created, and 1.5 s after the last test prints the
// ones still holding the event loop — what keeps mocha from exiting without --exit. Prints nothing
// when everything was closed (its own timer does not hold the loop).
'use strict';
const { createHook } = require('node:async_hooks');
const { dirname } = require('node:path');

const root = dirname(__dirname);
/** async_hooks resource types that can keep a Node process alive. */
const TYPES = new Set(['Timeout', 'Immediate', 'TCPWRAP', 'UDPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP',
  'PROCESSWRAP', 'FSEVENTWRAP', 'SIGNALWRAP', 'TCPCONNECTWRAP', 'STATWATCHER', 'MESSAGEPORT', 'WORKER']);
const live = new Map();
let recording = true;

createHook({
  init(id, type, _trigger, resource) {
    if (!recording || !TYPES.has(type)) return;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    const stack = new Error().stack;
    Error.stackTraceLimit = limit;
    live.set(id, { type, resource: new WeakRef(resource), stack });
  },
  destroy(id) {
    live.delete(id);
  },
}).enable();

/** The first project frames of a stack (no node internals, no node_modules, not this file). */
function projectFrames(stack) {
  return stack.split('\n').slice(1).map((l) => l.trim().replace(/^at /, ''))
    .filter((l) => l.includes(root) && !l.includes('node_modules') && !l.includes('mocha-leak-report'))
    .slice(0, 4)
    .map((l) => l.replace(`file://${root}/`, '').replace(`${root}/`, ''));
}

/** True when the resource still holds the event loop. */
function holdsLoop(type, r, handles) {
  if (typeof r.hasRef === 'function' && !r.hasRef()) return false;
  if (type === 'Timeout' || type === 'Immediate') return r._destroyed !== true;
  const owner = r.owner ?? r[Object.getOwnPropertySymbols(r).find((s) => String(s) === 'Symbol(owner_symbol)')];
  return owner === undefined || handles.has(owner) || handles.has(r);
}

exports.mochaHooks = {
  afterAll() {
    recording = false;
    setTimeout(() => {
      const handles = new Set(process._getActiveHandles());
      const seen = new Map();
      for (const { type, resource, stack } of live.values()) {
        const r = resource.deref();
        if (r === undefined || !holdsLoop(type, r, handles)) continue;
        const line = `${type}: ${projectFrames(stack).join(' <- ') || '(created outside the project)'}`;
        seen.set(line, (seen.get(line) ?? 0) + 1);
      }
      const counts = {};
      for (const t of process.getActiveResourcesInfo()) counts[t] = (counts[t] ?? 0) + 1;
      console.error(`\n[leak-report] still open 1.5 s after the last test: ${JSON.stringify(counts)}`);
      for (const [line, n] of seen) console.error(`[leak-report] ${n} × ${line}`);
    }, 1500).unref();
  },
};
