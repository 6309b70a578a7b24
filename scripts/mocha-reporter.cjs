// Spec reporter that also writes the run's counts, and each failure's title and first lines, to
// $MESHPUNCH_STATS for scripts/run-tests.mjs, which repeats the failures just above its last line:
// CI logs are often read from the tail, and a failure in an early group must not scroll out of it.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

/** Enough of the error to name the cause without flooding the tail. */
const ERROR_LINES = 6;

class StatsReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failed = [];
    runner.on('fail', (test, err) => {
      const text = String((err && (err.stack || err.message)) || err);
      failed.push({ title: test.fullTitle(), file: test.file || (test.parent && test.parent.file) || '', error: text.split('\n').slice(0, ERROR_LINES).join('\n') });
    });
    runner.once('end', () => {
      const out = process.env.MESHPUNCH_STATS;
      if (!out) return;
      const s = runner.stats || {};
      fs.writeFileSync(out, JSON.stringify({ passes: s.passes || 0, failures: s.failures || 0, pending: s.pending || 0, failed }));
    });
  }
}
module.exports = StatsReporter;
