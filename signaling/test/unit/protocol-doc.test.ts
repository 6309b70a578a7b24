// Keeps docs/protocol.md in step with @meshpunch/protocol and the service's limits.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  CANDIDATE_KINDS, CAPABILITIES, CLIENT_MESSAGE_TYPES, CLOSE_CODES, decodeClientMessage, decodeServerMessage, FAILURE_REASONS,
  LEAVE_REASONS, PATH_KINDS, SERVER_MESSAGE_TYPES, WIRE_ERROR_CODES, WIRE_ERRORS,
} from '@meshpunch/protocol';
import { LIMIT_SPECS } from '../../src/core/limits.js';
import { envName, flagName } from '../../src/cli/flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const doc = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  expect(start, `section "${title}"`).to.be.greaterThan(0);
  const end = doc.indexOf('\n## ', start + 4);
  return doc.slice(start, end < 0 ? undefined : end);
}

function headings(text: string): string[] {
  return [...text.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]!);
}

describe('docs/protocol.md', () => {
  it('documents every client message type, and no other', () => {
    expect(headings(section('Client → service messages'))).to.deep.equal([...CLIENT_MESSAGE_TYPES]);
  });

  it('documents every service message type, and no other', () => {
    expect(headings(section('Service → client messages'))).to.deep.equal([...SERVER_MESSAGE_TYPES]);
  });

  it('lists every error code with the meaning the code carries, and no other', () => {
    const text = section('Error codes');
    const rows = [...text.matchAll(/^\| `(SIG_[A-Z_]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).to.deep.equal(WIRE_ERROR_CODES.map((c) => [c, WIRE_ERRORS[c]]));
  });

  it('lists every close code with its name', () => {
    const text = section('Close codes');
    const rows = [...text.matchAll(/^\| (\d+) \| `(\w+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(rows).to.deep.equal(CLOSE_CODES.map(([n, c]) => [n, c]));
  });

  it('lists every limit with its flag, environment variable and default', () => {
    const text = section('Limits');
    for (const s of LIMIT_SPECS) {
      expect(text, s.key).to.include(`| \`${s.key}\` | \`--${flagName(s.key)}\` / \`${envName(s.key)}\` | ${s.default} |`);
    }
  });

  it('names every capability, candidate kind, path, failure and leave reason', () => {
    for (const word of [...CAPABILITIES, ...CANDIDATE_KINDS, ...PATH_KINDS, ...FAILURE_REASONS, ...LEAVE_REASONS]) {
      expect(doc, word).to.include(`"${word}"`);
    }
  });

  it('names every client-side error code of SignalingClient', () => {
    for (const code of ['SIG_CLIENT_TIMEOUT', 'SIG_CLIENT_CLOSED', 'SIG_CLIENT_CONNECTION_LOST', 'SIG_CLIENT_CONNECT_FAILED', 'SIG_CLIENT_PROTOCOL']) {
      expect(doc, code).to.include(`\`${code}\``);
    }
  });

  it('gives every SignalingError code its own line in docs/errors.md', () => {
    const errorsDoc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    const codes = [...WIRE_ERROR_CODES, 'SIG_LISTEN_FAILED', 'SIG_CLIENT_TIMEOUT', 'SIG_CLIENT_CLOSED', 'SIG_CLIENT_CONNECTION_LOST', 'SIG_CLIENT_CONNECT_FAILED', 'SIG_CLIENT_PROTOCOL'];
    for (const code of codes) expect(errorsDoc, code).to.match(new RegExp(`^\\| \`${code}\` \\| [^|]*signaling[^|]* \\| .+ \\|$`, 'm'));
  });

  it('has an example session whose every line passes the validators', () => {
    const block = /```jsonl\n([\s\S]*?)```/.exec(doc)![1]!;
    const lines = block.trim().split('\n');
    expect(lines.length).to.be.greaterThan(20);
    const seen = new Set<string>();
    for (const line of lines) {
      const m = /^[AB] ([CS]): (.*)$/.exec(line);
      expect(m, line).to.not.equal(null);
      const res = m![1] === 'C' ? decodeClientMessage(m![2]!) : decodeServerMessage(m![2]!);
      expect(res.ok, `${line}\n${res.ok ? '' : res.message}`).to.equal(true);
      if (res.ok) seen.add(`${m![1]}:${res.message.type}`);
    }
    for (const t of ['hello', 'lobby.create', 'lobby.join', 'pair.candidates', 'pair.result', 'heartbeat.ack']) expect(seen.has(`C:${t}`), t).to.equal(true);
    for (const t of ['welcome', 'lobby.joined', 'pair.start', 'pair.candidates', 'link.updated', 'error', 'peer.left', 'lobby.owner']) expect(seen.has(`S:${t}`), t).to.equal(true);
  });
});
