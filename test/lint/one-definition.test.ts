// One definition per concept (docs/design.md, issue #15): the concepts that used to be defined in
// several packages live in @meshpunch/base only. A new copy anywhere else fails here, naming the
// file, so it is reused instead of written again.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './support/repo-files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Concept → the pattern of its definition, and the one file allowed to hold it. */
const CONCEPTS: Array<[concept: string, definition: RegExp, home: string]> = [
  ['the error base', /class \w+(<[^>]*>)? extends (Error|RangeError|TypeError)\b/, 'packages/base/src/core/meshpunch-error.ts'],
  ['CliUsageError', /class CliUsageError\b/, 'packages/base/src/core/cli-usage-error.ts'],
  ['the sans-IO core contract', /interface (SansIoCore|RunnableCore)\b/, 'packages/base/src/core/sans-io-core.ts'],
  ['CRC-32', /function crc32(Update)?\(|0xedb88320/i, 'packages/base/src/core/crc32.ts'],
  ['TokenBucket', /class TokenBucket\b/, 'packages/base/src/core/token-bucket.ts'],
  ['PathKind', /type PathKind =/, 'packages/base/src/core/path-kind.ts'],
  ['Candidate', /interface Candidate\b|type (CandidateKind|CandidateType) =/, 'packages/base/src/core/candidate.ts'],
  ['IP address parsing', /function (isIPv4|isIPv6|isIpv4|isIpv6|parseIpv4Into|parseIpv6Into|normalizeIp|canonicalAddress)\(/, 'packages/base/src/core/ip-address.ts'],
  ['the monotonic core clock', /Math\.floor\(performance\.now\(\)\)/, 'packages/base/src/adapter/clock.ts'],
];

describe('one definition per concept (docs/design.md, issue #15)', () => {
  const files = ['packages', 'signaling', 'agent']
    .flatMap((d) => walkFiles(join(root, d), ['.ts']))
    .map((f) => relative(root, f).split('\\').join('/'))
    .filter((f) => /^(packages\/[^/]+|signaling|agent)\/src\//.test(f))
    .map((f) => ({ file: f, text: readFileSync(join(root, f), 'utf8') }));

  it('scans the sources of every package', () => {
    expect(files.length).to.be.greaterThan(200);
  });

  for (const [concept, definition, home] of CONCEPTS) {
    it(`defines ${concept} only in ${home}`, () => {
      const where = files.filter((f) => definition.test(f.text)).map((f) => f.file);
      expect(where).to.deep.equal([home]);
    });
  }
});
