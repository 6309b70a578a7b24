// Flags and environment variables of meshpunch-signal, derived from one table (cli).
import { parseArgs } from 'node:util';
import { CliUsageError } from '@meshpunch/base';
import { LIMIT_SPECS } from '../core/limits.js';
import type { SignalingLimits } from '../core/limits.js';
import { LOG_LEVELS } from '../core/config.js';
import type { LogLevel } from '../core/config.js';
import { LOG_FORMATS } from '../adapter/text-log.js';
import type { RelayServiceOptions } from '../adapter/signaling-server.js';
import { RELAY_LIMIT_SPECS, relayLimitOption } from '../core/relay-limits.js';
import type { RelayLimits } from '../core/relay-limits.js';
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
  /** Serve the live web view under /ui/ (`--ui`). */
  ui: boolean;
  /** Token of the operator view (`--admin-token`); without it only lobby views are served. */
  adminToken: string | undefined;
  logLevel: LogLevel;
  /** `auto`: human-readable lines when stderr is a terminal, JSON lines otherwise. */
  logFormat: LogFormat;
  limits: Partial<SignalingLimits>;
  /** The relay (relay.md §4); false: `--no-relay`. */
  relay: RelayServiceOptions | false;
  /** Lobby state in Redis, shared by every node (issue 14, docs/deploy.md); undefined: in this process only. */
  redis: { url: string; prefix: string; leaseMs: number } | undefined;
  /** Processes serving the port (node:cluster); more than 1 needs --redis. */
  workers: number;
  /** Under --workers: a member on a worker other than its lobby's home moves there with its socket (false: `--no-worker-moves`, relayed over Redis). */
  workerMoves: boolean;
}

// A flag the user got wrong: one sentence, exit code 2 (the one definition, shared with meshpunch).
export { CliUsageError };

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
  { key: 'ui', type: 'boolean', help: 'serve the live web view under /ui/ on --port: a lobby view per lobby (its link is in each member\'s lobby.joined) and, with --admin-token, the operator view at /ui/operator' },
  { key: 'adminToken', type: 'string', help: 'token (16..256 characters) of the operator view (/ui/operator#token=…, /ui/api/operator with Authorization: Bearer); without it the operator view is off' },
  { key: 'logLevel', type: 'string', help: `one of ${LOG_LEVELS.join(', ')}; default info` },
  { key: 'logFormat', type: 'string', help: `one of ${LOG_FORMATS.join(', ')}; default auto: text on a terminal, else JSON lines` },
  { key: 'noRelay', type: 'boolean', help: 'offer no relay at all (no embedded relay, no --turn-server; relay.credentials answers SIG_RELAY_UNAVAILABLE)' },
  { key: 'noRelayEmbedded', type: 'boolean', help: 'do not run the embedded TURN relay; offer only the --turn-server ones' },
  { key: 'relayPorts', type: 'string', help: 'A-B: UDP ports of the embedded relay\'s allocations (one per allocation); must exclude the STUN port; default 49152-65535 (its larger part beside the STUN port when that is inside)' },
  { key: 'relayPublicHost', type: 'string', help: 'host announced for the embedded relay in welcome.relay; an IPv4 literal is also the relayed address (behind a 1:1 NAT); default: the signaling URL\'s host, relayed address --host or the first non-loopback IPv4' },
  { key: 'relaySecret', type: 'string', help: 'TURN REST shared secret (coturn\'s static-auth-secret); required with --turn-server; default random per process' },
  { key: 'turnServer', type: 'string', multiple: true, help: 'host:port of a TURN server sharing --relay-secret (coturn use-auth-secret) to offer (repeatable; env: comma-separated)' },
  { key: 'relayAllowPrivate', type: 'boolean', help: 'let the embedded relay permit private (RFC 1918, 100.64/10) and loopback peers; never link-local, multicast, broadcast' },
  { key: 'relayCredentialTtlS', type: 'string', help: 'lifetime of relay credentials, s (checked at Allocate only); default 600' },
  { key: 'relayCredentialsPerMinute', type: 'string', help: 'relay.credentials per minute per member (SIG_RATE_LIMITED beyond); default 6' },
  { key: 'redis', type: 'string', help: 'redis://HOST:PORT[/DB]: keep lobbies, tokens and routing in Redis, so any number of nodes share them and a restart or a node loss loses nothing (docs/deploy.md); default: this process only' },
  { key: 'redisPrefix', type: 'string', help: 'prefix of every Redis key and channel; default meshpunch:' },
  { key: 'redisLeaseMs', type: 'string', help: 'node lease, ms: a node silent this long is dead and its lobbies move to another node; default 6000' },
  { key: 'workers', type: 'string', help: 'processes serving the port (node:cluster; the primary hands each connection to the worker running its lobby), one per core; more than 1 needs --redis; default 1' },
  { key: 'noWorkerMoves', type: 'boolean', help: 'under --workers, relay a member whose connection reached a worker other than its lobby\'s home over Redis pub/sub instead of moving the connection there at its lobby request (to compare the two; default: move)' },
]);

/** Env variable of a repeatable option: plural (`--turn-server` → MESHPUNCH_SIGNAL_TURN_SERVERS). */
function multiEnvName(key: string): string {
  return envName(`${key}s`);
}

function parseBool(values: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, key: string): boolean {
  return values[flagName(key)] === true || ['1', 'true', 'yes'].includes((env[envName(key)] ?? '').toLowerCase());
}

/** `host:port` (IPv6 as `[addr]:port`). */
function parseHostPort(text: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (m === null) throw new CliUsageError(`${what} must be host:port, got ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2]!, port: parseInteger(m[3]!, `${what} port`, 1, 65535) };
}

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
  for (const s of RELAY_LIMIT_SPECS) options[flagName(relayLimitOption(s.key))] = { type: 'string' };
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
  const ui = values.ui === true || ['1', 'true', 'yes'].includes((env[envName('ui')] ?? '').toLowerCase());
  const adminToken = get('adminToken');
  if (adminToken !== undefined && !ui) throw new CliUsageError('--admin-token needs --ui');
  if (adminToken !== undefined && (adminToken.length < 16 || adminToken.length > 256)) throw new CliUsageError(`--admin-token must be 16..256 characters, got ${adminToken.length}`);
  // Each worker's view sees only the lobbies homed in that worker, and a page's WebSocket lands
  // on any of them: refused rather than a view that works one time in N (issue 17, not done yet).
  if (ui && parseCluster(get).workers > 1) throw new CliUsageError('--ui cannot be combined with --workers: a page\'s WebSocket reaches one worker, which holds only the lobbies homed on it, so a lobby link would be refused on the other workers; run the live view on a single-process node (with --redis, each node shows the lobbies homed on it)');
  const noStun = values['no-stun'] === true || ['1', 'true', 'yes'].includes((env[envName('noStun')] ?? '').toLowerCase());
  const relay = parseRelay(values, env, get);
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
    ui,
    adminToken,
    logLevel,
    logFormat,
    limits,
    relay,
    ...parseCluster(get),
    workerMoves: !parseBool(values, env, 'noWorkerMoves'),
  };
}

/** --redis, --redis-prefix, --redis-lease-ms, --workers. */
function parseCluster(get: (key: string) => string | undefined): Pick<CliSettings, 'redis' | 'workers'> {
  const url = get('redis');
  if (url !== undefined && !/^rediss?:\/\/[^\s]+$/.test(url)) throw new CliUsageError(`--redis must be redis://HOST:PORT[/DB], got ${JSON.stringify(url)}`);
  const workers = parseInteger(get('workers') ?? '1', '--workers', 1, 256);
  if (workers > 1 && url === undefined) throw new CliUsageError('--workers above 1 needs --redis (the workers share lobbies through it)');
  const prefix = get('redisPrefix') ?? 'meshpunch:';
  if (!/^[\x21-\x7e]{0,64}$/.test(prefix)) throw new CliUsageError(`--redis-prefix must be 0..64 printable characters without spaces, got ${JSON.stringify(prefix)}`);
  const leaseMs = parseInteger(get('redisLeaseMs') ?? '6000', '--redis-lease-ms', 300, 600_000);
  return { redis: url === undefined ? undefined : { url, prefix, leaseMs }, workers };
}

/** The relay options of the command line (relay.md §4). */
function parseRelay(values: Record<string, string | boolean | string[] | undefined>, env: Readonly<Record<string, string | undefined>>, get: (key: string) => string | undefined): RelayServiceOptions | false {
  const turnFlag = values[flagName('turnServer')];
  const turnTexts = Array.isArray(turnFlag) ? turnFlag : (env[multiEnvName('turnServer')] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const turnServers = turnTexts.map((t) => parseHostPort(t, '--turn-server'));
  const secret = get('relaySecret');
  if (parseBool(values, env, 'noRelay')) return false;
  if (turnServers.length > 0 && secret === undefined) throw new CliUsageError('--turn-server needs --relay-secret (the secret its static-auth-secret holds)');
  const embedded = !parseBool(values, env, 'noRelayEmbedded');
  if (!embedded && turnServers.length === 0) throw new CliUsageError('--no-relay-embedded needs a --turn-server (or use --no-relay)');
  const out: RelayServiceOptions = { embedded, turnServers, allowPrivate: parseBool(values, env, 'relayAllowPrivate') };
  if (secret !== undefined) out.secret = secret;
  const ports = get('relayPorts');
  if (ports !== undefined) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(ports.trim());
    if (m === null) throw new CliUsageError(`--relay-ports must be A-B, got ${JSON.stringify(ports)}`);
    const min = parseInteger(m[1]!, '--relay-ports start', 1, 65535);
    const max = parseInteger(m[2]!, '--relay-ports end', 1, 65535);
    if (min > max) throw new CliUsageError(`--relay-ports must be A-B with A ≤ B, got ${ports}`);
    out.relayPorts = { min, max };
  }
  const publicHost = get('relayPublicHost');
  if (publicHost !== undefined) out.publicHost = publicHost;
  const ttl = get('relayCredentialTtlS');
  if (ttl !== undefined) out.ttlS = parseInteger(ttl, '--relay-credential-ttl-s', 1, 86_400);
  const perMin = get('relayCredentialsPerMinute');
  if (perMin !== undefined) out.credentialsPerMinute = parseInteger(perMin, '--relay-credentials-per-minute', 1, 6000);
  const limits: Partial<RelayLimits> = {};
  for (const s of RELAY_LIMIT_SPECS) {
    const key = relayLimitOption(s.key);
    const text = get(key);
    if (text !== undefined) {
      const from = typeof values[flagName(key)] === 'string' ? `--${flagName(key)}` : envName(key);
      limits[s.key] = parseInteger(text, from, s.min, s.max);
    }
  }
  out.limits = limits;
  return out;
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
  for (const o of OTHER_OPTIONS) row(`--${flagName(o.key)}${o.type === 'string' ? ' <value>' : ''}`, o.multiple === true ? multiEnvName(o.key) : envName(o.key), o.help);
  lines.push('', 'Limits (integers; times in ms, sizes in bytes):');
  for (const s of LIMIT_SPECS) row(`--${flagName(s.key)} <n>`, envName(s.key), `${s.help} (default ${s.default}, ${s.min}..${s.max})`);
  lines.push('', 'Embedded relay limits (integers; docs/security.md "Relay"):');
  for (const s of RELAY_LIMIT_SPECS) row(`--${flagName(relayLimitOption(s.key))} <n>`, envName(relayLimitOption(s.key)), `${s.help} (default ${s.default}, ${s.min}..${s.max}; beyond: ${s.beyond})`);
  lines.push('', '  -h, --help                         this text', '      --version                      print the version',
    '', 'Endpoints: ws://HOST:PORT/ (WebSocket), GET /healthz, GET /metrics (Prometheus); with --ui',
    'GET /ui/lobby#lobby=CODE&token=VIEW (lobby view), GET /ui/operator#token=ADMIN (operator view).',
    'SIGTERM / SIGINT: clients get a shutdown message and close 1001, then the process exits 0.',
    'Exit codes: 0 normal, 1 could not start, 2 bad usage.');
  return `${lines.join('\n')}\n`;
}
