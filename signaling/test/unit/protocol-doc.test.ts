// Keeps docs/protocol.md in step with @meshpunch/protocol and the service's limits.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  CANDIDATE_KINDS, CAPABILITIES, CLIENT_MESSAGE_TYPES, CLOSE_CODES, decodeClientMessage, decodeServerMessage, FAILURE_REASONS,
  LEAVE_REASONS, MAX_PROBE_CHECKS, MAX_PROBE_MS, MAX_PROBES_OMITTED, MAX_PROBES_SENT, PATH_KINDS, PROBE_KINDS, PROBE_OUTCOMES, PROTOCOL_REVISION,
  SERVER_MESSAGE_TYPES, WIRE_ERROR_CODES, WIRE_ERRORS,
} from '@meshpunch/protocol';
import { LIMIT_SPECS } from '../../src/core/limits.js';
import { RELAY_LIMIT_SPECS, relayLimitOption } from '../../src/core/relay-limits.js';
import { SignalingMetrics } from '../../src/core/metrics.js';
import { renderPrometheus } from '../../src/core/prometheus.js';
import { TurnServerCore, nodeHmacSha1, nodeMd5, nodeRandom } from '@meshpunch/nat';
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

  it('lists every relay limit with its flag, environment variable, default and range', () => {
    const text = section('Relay');
    for (const s of RELAY_LIMIT_SPECS) {
      const o = relayLimitOption(s.key);
      expect(text, s.key).to.include(`| \`${s.key}\` | \`--${flagName(o)}\` / \`${envName(o)}\` | ${s.default} | ${s.min}..${s.max} |`);
    }
  });

  it('names every /metrics series the service renders, relay ones included', () => {
    const core = new TurnServerCore({ secret: 's', relayAddress: '192.0.2.1', hmacSha1: nodeHmacSha1, md5: nodeMd5, random: nodeRandom, unixMsAtZero: 0, isMember: () => true });
    const text = renderPrometheus(new SignalingMetrics(), { connections: 0, lobbies: 0, members: 0, residentBytes: 0, heapUsedBytes: 0 },
      { requests: 0, answered: 0, rejected: 0, malformed: 0, ignored: 0, limited: 0 }, undefined,
      { counters: core.counters, allocations: 0, portsFree: 0 });
    const ops = section('Operations');
    const names = new Set([...text.matchAll(/^# TYPE meshpunch_signal_(\w+) /gm)].map((m) => m[1]!));
    expect(names.size).to.be.greaterThan(30);
    for (const n of names) expect(ops, n).to.match(new RegExp(`\`(meshpunch_signal)?_${n}[\`{]`));
    for (const m of text.matchAll(/^meshpunch_signal_relay_\w+\{(\w+)="(\w+)"/gm)) expect(ops, m[0]).to.include(m[2]!);
  });

  it('names every capability, candidate kind, path, failure and leave reason', () => {
    for (const word of [...CAPABILITIES, ...CANDIDATE_KINDS, ...PATH_KINDS, ...FAILURE_REASONS, ...LEAVE_REASONS]) {
      expect(doc, word).to.include(`"${word}"`);
    }
  });

  it('is titled with the current revision and lists it', () => {
    expect(doc.split('\n')[0]).to.equal(`# meshpunch signaling protocol, version 1 (revision ${PROTOCOL_REVISION})`);
    expect(doc).to.include(`- **${PROTOCOL_REVISION}** (`);
  });

  it('documents the probe record (1.6) with its kinds, outcomes and bounds', () => {
    const all = section('Objects');
    const objects = all.slice(all.indexOf('### ProbeReport'), all.indexOf('### RelayServer'));
    expect(objects.length).to.be.greaterThan(100);
    const row = (field: string): string => objects.split('\n').find((l) => l.startsWith(`| \`${field}\``)) ?? '';
    expect(row('kind').includes('"prflx"')).to.equal(true);
    // The type column: cells hold escaped pipes (`\|`) between the values.
    const typeCell = (field: string): string => /^\| `\w+` \| ((?:[^|\\]|\\\|)+) \|/.exec(row(field))![1]!;
    expect(typeCell('kind').match(/"(\w+)"/g)).to.deep.equal(PROBE_KINDS.map((k) => `"${k}"`));
    expect(typeCell('outcome').match(/"([\w-]+)"/g)).to.deep.equal(PROBE_OUTCOMES.map((k) => `"${k}"`));
    expect(row('checks')).to.include(`[0..${MAX_PROBE_CHECKS}]`);
    expect(row('ageMs')).to.include(`0..${MAX_PROBE_MS}`);
    expect(row('omitted')).to.include(`0..${MAX_PROBES_OMITTED}`);
    expect(row('sent')).to.include(`0..${MAX_PROBES_SENT}`);
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
