// JSON-lines logging with a level filter.
import { expect } from 'chai';
import { createJsonLog } from '../../src/adapter/json-log.js';

describe('createJsonLog', () => {
  it('writes one JSON object per line at or above the level, nothing below', () => {
    const lines: string[] = [];
    const log = createJsonLog('warn', (l) => lines.push(l));
    log('info', 'quiet', {});
    log('warn', 'loud', { code: 4001 });
    log('error', 'louder', {});
    expect(lines).to.have.length(2);
    expect(lines.every((l) => l.endsWith('\n'))).to.equal(true);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).to.deep.include({ level: 'warn', event: 'loud', code: 4001 });
    expect(rec.time).to.match(/^\d{4}-\d\d-\d\dT/);
  });
});
