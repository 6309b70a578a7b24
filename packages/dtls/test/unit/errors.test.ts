import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DTLS_ERROR_CODES, DtlsError } from '../../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..');

describe('DtlsError', () => {
  it('carries code, details, alert and cause', () => {
    const cause = new Error('x');
    const e = new DtlsError('DTLS_BAD_FINISHED', 'm', { remote: 'a' }, 51, cause);
    expect(e).to.include({ name: 'DtlsError', code: 'DTLS_BAD_FINISHED', message: 'm', alert: 51, cause });
    expect(e.details).to.deep.equal({ remote: 'a' });
  });

  it('gives every code its own line in docs/errors.md', () => {
    const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    for (const code of DTLS_ERROR_CODES) expect(doc, code).to.match(new RegExp(`^\\| \`${code}\` \\| dtls \\| .+ \\|$`, 'm'));
  });
});
