// Flags and environment variables of meshpunch-signal, derived from one table (cli).
import { parseArgs } from 'node:util';
import { LIMIT_SPECS } from '../core/limits.js';
import type { SignalingLimits } from '../core/limits.js';
import { LOG_LEVELS } from '../core/config.js';
import type { LogLevel } from '../core/config.js';
import { LOG_FORMATS } from '../adapter/text-log.js';
import type { LogFormat } from '../adapter/text-log.js';

/** Everything the command line decides. */
export interface CliSettings {
  help: boolean;
  version: boolean;
  host: string;
  port: number;
  stun: boolean;
  stunPort: number | undefined;
  stunAlternateHost: string | undefined;
  stunAlternatePort: number | undefined;
  origins: string[];
  adminHost: string | undefined;
  adminPort: number | undefined;
  logLevel: LogLevel;
  /** `auto`: human-readable lines when stderr is a terminal, JSON lines otherwise. */
  logFormat: LogFormat;
  limits: Partial<SignalingLimits>;
}

/** A flag the user got wrong: one sentence, exit code 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** Prefix of every environment variable. */
export const ENV_PREFIX = 'MESHPUNCH_SIGNAL_';

/** `maxConnections` → `max-connections`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `maxConnections` → `MESHPUNCH_SIGNAL_MAX_CONNECTIONS`. */
export function envName(key: string): string {
  return ENV_PREFIX + flagName(key).replace(/-/g, '_').toUpperCase();
}

/** Non-limit options: name, env key, help. */
export const OTHER_OPTIONS: ReadonlyArray<{ key: string; type: 'string' | 'boolean'; help: string; multiple?: boolean }> = Object.freeze([
  { key: 'host', type: 'string', help: 'address to listen on (HTTP, WebSocket and STUN); default 0.0.0.0' },
  { key: 'port', type: 'string', help: 'TCP port for HTTP and WebSocket; default 8787' },
  { key: 'stunPort', type: 'string', help: 'UDP port of the embedded STUN responder; default: the same number as --port' },
  { key: 'noStun', type: 'boolean', help: 'do not run the embedded STUN responder' },
  { key: 'stunAlternateHost', type: 'string', help: 'second local address: enables RFC 5780 OTHER-ADDRESS / CHANGE-REQUEST' },
  { key: 'stunAlternatePort', type: 'string', help: 'port of the alternate STUN sockets; default stun port + 1' },
  { key: 'origin', type: 'string', multiple: true, help: 'accepted browser Origin (repeatable; env: comma-separated); default any' },
  { key: 'adminPort', type: 'string', help: 'TCP port of a second listener serving only /healthz and /metrics, with caps of its own (health checks never share the clients\' caps); default none' },
  { key: 'adminHost', type: 'string', help: 'address of the admin listener; default: --host' },
  { key: 'logLevel', type: 'string', help: `one of ${LOG_LEVELS.join(', ')}; default info` },
  { key: 'logFormat', type: 'string', help: `one of ${LOG_FORMATS.join(', ')}; default auto: text on a terminal, else JSON lines` },
]);

function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw new CliUsageError(`${what} must be an integer ${min}..${max}, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) throw new CliUsageError(`${what} must be an integer ${min}..${max}, got ${n}`);
  return n;
}

/**
 * Reads flags, then environment variables for what the flags left out, then defaults.
 * @throws CliUsageError naming the first bad flag or variable
 */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliSettings {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const o of OTHER_OPTIONS) options[flagName(o.key)] = o.multiple === true ? { type: o.type, multiple: true } : { type: o.type };
  for (const s of LIMIT_SPECS) options[flagName(s.key)] = { type: 'string' };
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as typeof values;
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  const get = (key: string): string | undefined => {
    const v = values[flagName(key)];
    if (typeof v === 'string') return v;
    const e = env[envName(key)];
    return e === undefined || e === '' ? undefined : e;
  };
  const limits: Partial<SignalingLimits> = {};
  for (const s of LIMIT_SPECS) {
    const text = get(s.key);
    if (text !== undefined) {
      const from = typeof values[flagName(s.key)] === 'string' ? `--${flagName(s.key)}` : envName(s.key);
      limits[s.key] = parseInteger(text, from, s.min, s.max);
    }
  }
  const port = parseInteger(get('port') ?? '8787', '--port', 0, 65535);
  const stunPortText = get('stunPort');
  const altPortText = get('stunAlternatePort');
  const adminPortText = get('adminPort');
  const adminHost = get('adminHost');
  if (adminHost !== undefined && adminPortText === undefined) throw new CliUsageError('--admin-host needs --admin-port');
  const logLevel = (get('logLevel') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new CliUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const logFormat = (get('logFormat') ?? 'auto') as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) throw new CliUsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(logFormat)}`);
  const noStun = values['no-stun'] === true || ['1', 'true', 'yes'].includes((env[envName('noStun')] ?? '').toLowerCase());
  const originFlag = values.origin;
  const origins = Array.isArray(originFlag) ? originFlag : (env[envName('origins')] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return {
    help: values.help === true,
    version: values.version === true,
    host: get('host') ?? '0.0.0.0',
    port,
    stun: !noStun,
    stunPort: stunPortText === undefined ? undefined : parseInteger(stunPortText, '--stun-port', 1, 65535),
    stunAlternateHost: get('stunAlternateHost'),
    stunAlternatePort: altPortText === undefined ? undefined : parseInteger(altPortText, '--stun-alternate-port', 1, 65535),
    origins,
    adminHost,
    adminPort: adminPortText === undefined ? undefined : parseInteger(adminPortText, '--admin-port', 0, 65535),
    logLevel,
    logFormat,
    limits,
  };
}

/** The --help text. */
export function helpText(): string {
  const lines = [
    'meshpunch-signal: the meshpunch signaling service (lobbies, peer ids, candidate relay, punch',
    'scheduling, embedded STUN). Protocol: docs/protocol.md.',
    '',
    'Usage: meshpunch-signal [options]',
    '',
    'Every option can also be set by the environment variable shown; a flag wins over it.',
    '',
    'Options:',
  ];
  const row = (flag: string, env: string, help: string): void => {
    lines.push(`  ${flag.padEnd(34)} ${help}`, `  ${''.padEnd(34)} env ${env}`);
  };
  for (const o of OTHER_OPTIONS) row(`--${flagName(o.key)}${o.type === 'string' ? ' <value>' : ''}`, envName(o.key === 'origin' ? 'origins' : o.key), o.help);
  lines.push('', 'Limits (integers; times in ms, sizes in bytes):');
  for (const s of LIMIT_SPECS) row(`--${flagName(s.key)} <n>`, envName(s.key), `${s.help} (default ${s.default}, ${s.min}..${s.max})`);
  lines.push('', '  -h, --help                         this text', '      --version                      print the version',
    '', 'Endpoints: ws://HOST:PORT/ (WebSocket), GET /healthz, GET /metrics (Prometheus).',
    'SIGTERM / SIGINT: clients get a shutdown message and close 1001, then the process exits 0.',
    'Exit codes: 0 normal, 1 could not start, 2 bad usage.');
  return `${lines.join('\n')}\n`;
}
