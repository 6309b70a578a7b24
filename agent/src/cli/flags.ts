// Flag parsing and validation of the `meshpunch` CLI (cli layer): node:util.parseArgs in strict
// mode, then one check per flag; every problem becomes a CliUsageError with one sentence.

import { parseArgs } from 'node:util';
import { CliUsageError } from '@meshpunch/base';
import { lobbyRefProblem } from '@meshpunch/protocol';
import { machineAddresses } from '../adapter/options.js';
import { bindAddressProblem } from '../core/bind-address.js';
import { isIpv4, isIpv6, parseEndpoint, type Endpoint } from '../core/endpoint.js';

// The one CliUsageError, shared with meshpunch-signal (re-exported: agent's public API had it).
export { CliUsageError };

/** Validated `meshpunch join` flags. */
export interface JoinFlags {
  /** --lan: find (or host) the lobby on the LAN over mDNS, no --signal (agent/src/lan). */
  readonly lan: boolean;
  /** The first --signal URL ('' with --lan). */
  readonly signal: string;
  /** Every --signal URL, in order (repeatable: nodes of one service, tried in turn). */
  readonly signals: readonly string[];
  readonly lobby: string;
  readonly create: boolean;
  /** Join the lobby, creating it first when it does not exist (everyone may run the same command). */
  readonly createIfMissing: boolean;
  readonly password: string | undefined;
  readonly claimSecret: string | undefined;
  /** With --create or --create-if-missing: the member limit of a lobby we create (undefined: the service's default). */
  readonly maxPeers: number | undefined;
  readonly upnp: boolean;
  /** --insecure: plain ENet links, no DTLS (issue 18; default: DTLS on every link). */
  readonly insecure: boolean;
  readonly stun: readonly Endpoint[];
  /** Local address every link socket binds to (default 0.0.0.0). */
  readonly bind: string;
  readonly waitPeers: number | undefined;
  /** With --wait-peers: reliable messages to send to (and expect from) every peer once the mesh is complete. */
  readonly exchange: number;
  /** Seconds; undefined = no limit (only when --wait-peers is absent). */
  readonly timeoutS: number | undefined;
  readonly json: boolean;
}

/** Validated `meshpunch netcheck` flags. */
export interface NetcheckFlags {
  readonly stun: readonly Endpoint[];
  readonly upnp: boolean;
  readonly json: boolean;
  readonly timeoutS: number;
}

/** Validated `meshpunch lobbies` flags. */
export interface LobbiesFlags {
  /** Only --lan exists today (a service's lobby list is not public). */
  readonly lan: true;
  readonly bind: string;
  readonly json: boolean;
  /** How long to listen for answers, seconds. */
  readonly timeoutS: number;
}

/** Default listening time of `lobbies --lan`, seconds: answers come within ms, a few re-asks cover loss. */
export const DEFAULT_LOBBIES_TIMEOUT_S = 1.5;

/** A parsed command line. */
export type Command =
  | { readonly kind: 'help'; readonly topic: 'main' | 'join' | 'netcheck' | 'signal' | 'lobbies' }
  | { readonly kind: 'lobbies'; readonly flags: LobbiesFlags }
  | { readonly kind: 'version' }
  | { readonly kind: 'join'; readonly flags: JoinFlags }
  | { readonly kind: 'netcheck'; readonly flags: NetcheckFlags }
  | { readonly kind: 'signal'; readonly argv: readonly string[] };

/** Mesh sizes meshpunch is built for (docs/design.md: lobbies of 2..32 players). */
export const MAX_MESH_PEERS = 32;
/** At most this many --signal URLs (SignalingClient's limit). */
export const MAX_SIGNAL_URLS = 16;
/** At most this many STUN servers per command: each costs probes from every link socket. */
export const MAX_STUN_SERVERS = 8;
/** Most messages per peer for --exchange: a check that messages flow, not a load test. */
export const MAX_EXCHANGE = 1000;
/** Default --timeout when --wait-peers is given, seconds. */
export const DEFAULT_JOIN_TIMEOUT_S = 60;
/** Default netcheck time limit, seconds (tailscale netcheck's whole report takes ≤ 5 s). */
export const DEFAULT_NETCHECK_TIMEOUT_S = 10;

type ParseOptions = Parameters<typeof parseArgs>[0] extends infer T ? T extends { options?: infer O } ? O : never : never;

function parse(command: string, argv: readonly string[], options: ParseOptions): Record<string, unknown> {
  try {
    const r = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false, tokens: true });
    // parseArgs lets the last of a repeated flag win silently; only flags documented as
    // repeatable (multiple: true, e.g. --stun) may be given more than once (issue #12 item 9).
    const seen = new Set<string>();
    for (const t of r.tokens ?? []) {
      if (t.kind !== 'option' || (options as Record<string, { multiple?: boolean }>)[t.name]?.multiple === true) continue;
      if (seen.has(t.name)) throw new CliUsageError(`--${t.name} may be given once${t.rawName === `--${t.name}` ? '' : ` (also as ${t.rawName})`}`, command);
      seen.add(t.name);
    }
    return r.values as Record<string, unknown>;
  } catch (err) {
    if (err instanceof CliUsageError) throw err;
    const e = err as { code?: string; message?: string };
    let msg = String(e.message ?? err).split('\n')[0]!;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const m = /'([^']+)'/.exec(msg);
      msg = `unknown option '${m?.[1] ?? msg}'`;
    } else if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const m = /'([^']+)'/.exec(msg);
      msg = `unexpected argument '${m?.[1] ?? msg}'`;
    } else if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(msg);
      if (ambiguous !== null) msg = `option '${ambiguous[1]}' needs a value (write ${ambiguous[1]}=VALUE for a value starting with '-')`;
      else msg = msg.replace(/^Option '(.*?)' argument missing$/, "option '$1' needs a value").replace(/^Option /, 'option ').replace(/\.$/, '');
    }
    throw new CliUsageError(msg, command);
  }
}

function parseStun(command: string, values: unknown): Endpoint[] {
  const list = (values as string[] | undefined) ?? [];
  if (list.length > MAX_STUN_SERVERS) throw new CliUsageError(`--stun may be given at most ${MAX_STUN_SERVERS} times, got ${list.length}`, command);
  return list.map((t) => {
    const e = parseEndpoint(t);
    if (typeof e === 'string') throw new CliUsageError(`--stun: ${e}`, command);
    return e;
  });
}

function parseSeconds(command: string, flag: string, text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new CliUsageError(`${flag} must be a number of seconds > 0, got '${text}'`, command);
  const v = Number(text);
  if (!(v > 0) || v > 86_400) throw new CliUsageError(`${flag} must be 0 < seconds ≤ 86400, got ${text}`, command);
  return v;
}

/** Validates a `ws://HOST:PORT` / `wss://HOST:PORT` URL; returns it normalised. */
export function parseSignalUrl(text: string, command = 'join'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliUsageError(`--signal must be a ws://HOST:PORT or wss://HOST:PORT URL, got '${text}'`, command);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new CliUsageError(`--signal must use ws:// or wss://, got '${url.protocol}//'`, command);
  if (url.hostname === '') throw new CliUsageError(`--signal needs a host, got '${text}'`, command);
  if (url.username !== '' || url.password !== '') throw new CliUsageError('--signal must not carry credentials; use --password for the lobby', command);
  return url.toString();
}

function parseJoin(argv: readonly string[]): Command {
  const v = parse('join', argv, {
    lan: { type: 'boolean' },
    signal: { type: 'string', multiple: true },
    lobby: { type: 'string' },
    create: { type: 'boolean' },
    'create-if-missing': { type: 'boolean' },
    password: { type: 'string' },
    'claim-secret': { type: 'string' },
    'max-peers': { type: 'string' },
    upnp: { type: 'boolean' },
    insecure: { type: 'boolean' },
    stun: { type: 'string', multiple: true },
    bind: { type: 'string' },
    'wait-peers': { type: 'string' },
    exchange: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help === true) return { kind: 'help', topic: 'join' };
  const signalList = (v.signal as string[] | undefined) ?? [];
  const lan = v.lan === true;
  if (lan) {
    for (const f of ['signal', 'create', 'create-if-missing', 'stun', 'upnp', 'max-peers', 'claim-secret'] as const) {
      if (v[f] !== undefined) throw new CliUsageError(`--lan excludes --${f} (the LAN's host runs the service; links use host candidates)`, 'join');
    }
  } else if (signalList.length === 0) throw new CliUsageError('--signal ws://HOST:PORT (or --lan) is required', 'join');
  if (signalList.length > MAX_SIGNAL_URLS) throw new CliUsageError(`--signal may be given at most ${MAX_SIGNAL_URLS} times, got ${signalList.length}`, 'join');
  const signals = signalList.map((u) => parseSignalUrl(u));
  if (new Set(signals).size !== signals.length) throw new CliUsageError('--signal names the same URL twice', 'join');
  const signal = signals[0] ?? '';
  if (typeof v.lobby !== 'string') throw new CliUsageError('--lobby NAME is required', 'join');
  if (v.create === true && v['create-if-missing'] === true) {
    throw new CliUsageError('--create and --create-if-missing exclude each other (--create fails when the lobby exists; --create-if-missing joins it then)', 'join');
  }
  const creates = v.create === true || v['create-if-missing'] === true;
  const createFlag = v.create === true ? '--create' : '--create-if-missing';
  // The service's rules, defined once in protocol lobby-code.ts: a name to create, a name or a
  // code such as ABCD-1234 to join.
  // A LAN lobby is found by its name (its host may have to create it): no codes.
  const lobbyProblem = lobbyRefProblem(v.lobby, creates || lan);
  if (lobbyProblem !== undefined) throw new CliUsageError(`--lobby${creates ? ` with ${createFlag}` : lan ? ' with --lan' : ''} ${lobbyProblem}`, 'join');
  const password = v.password as string | undefined;
  if (password !== undefined && (password.length < 1 || password.length > 128)) {
    throw new CliUsageError(`--password must be 1..128 characters, got ${password.length}`, 'join');
  }
  const claimSecret = v['claim-secret'] as string | undefined;
  if (claimSecret !== undefined) {
    if (claimSecret.length < 1 || claimSecret.length > 128) throw new CliUsageError(`--claim-secret must be 1..128 characters, got ${claimSecret.length}`, 'join');
    // A claim scopes a lobby name; a code is drawn by the service and never claimed.
    if (lobbyRefProblem(v.lobby, true) !== undefined) throw new CliUsageError(`--claim-secret needs a lobby name, got '${v.lobby}'`, 'join');
  }
  let maxPeers: number | undefined;
  if (typeof v['max-peers'] === 'string') {
    const t = v['max-peers'];
    if (!/^\d{1,2}$/.test(t) || Number(t) < 2 || Number(t) > MAX_MESH_PEERS) throw new CliUsageError(`--max-peers must be an integer 2..${MAX_MESH_PEERS}, got '${t}'`, 'join');
    if (!creates) throw new CliUsageError('--max-peers needs --create or --create-if-missing (the creator sets the lobby size)', 'join');
    maxPeers = Number(t);
  }
  const bind = (v.bind as string | undefined) ?? '0.0.0.0';
  if (!isIpv4(bind) && !isIpv6(bind)) throw new CliUsageError(`--bind must be an IPv4 or IPv6 address, got '${bind}'`, 'join');
  const bindProblem = bindAddressProblem(bind, machineAddresses());
  if (bindProblem !== undefined) throw new CliUsageError(`--bind ${bind} ${bindProblem}`, 'join');
  let waitPeers: number | undefined;
  if (typeof v['wait-peers'] === 'string') {
    const t = v['wait-peers'];
    if (!/^\d{1,3}$/.test(t) || Number(t) < 1 || Number(t) > MAX_MESH_PEERS) {
      throw new CliUsageError(`--wait-peers must be an integer 1..${MAX_MESH_PEERS} (members including you), got '${t}'`, 'join');
    }
    waitPeers = Number(t);
  }
  let exchange = 0;
  if (typeof v.exchange === 'string') {
    const t = v.exchange;
    if (!/^\d{1,4}$/.test(t) || Number(t) > MAX_EXCHANGE) throw new CliUsageError(`--exchange must be an integer 0..${MAX_EXCHANGE}, got '${t}'`, 'join');
    if (waitPeers === undefined) throw new CliUsageError('--exchange needs --wait-peers (messages go out once the mesh is complete)', 'join');
    exchange = Number(t);
  }
  let timeoutS: number | undefined = waitPeers === undefined ? undefined : DEFAULT_JOIN_TIMEOUT_S;
  if (typeof v.timeout === 'string') timeoutS = parseSeconds('join', '--timeout', v.timeout);
  return {
    kind: 'join',
    flags: Object.freeze({
      lan,
      signal,
      signals: Object.freeze(signals),
      lobby: v.lobby,
      create: v.create === true,
      createIfMissing: v['create-if-missing'] === true,
      password,
      claimSecret,
      maxPeers,
      upnp: v.upnp === true,
      insecure: v.insecure === true,
      stun: Object.freeze(parseStun('join', v.stun)),
      bind,
      waitPeers,
      exchange,
      timeoutS,
      json: v.json === true,
    }),
  };
}

function parseNetcheck(argv: readonly string[]): Command {
  const v = parse('netcheck', argv, {
    stun: { type: 'string', multiple: true },
    upnp: { type: 'boolean' },
    json: { type: 'boolean' },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help === true) return { kind: 'help', topic: 'netcheck' };
  const stun = parseStun('netcheck', v.stun);
  if (stun.length === 0) throw new CliUsageError('--stun HOST:PORT is required (meshpunch has no built-in public STUN server)', 'netcheck');
  const timeoutS = typeof v.timeout === 'string' ? parseSeconds('netcheck', '--timeout', v.timeout) : DEFAULT_NETCHECK_TIMEOUT_S;
  return { kind: 'netcheck', flags: Object.freeze({ stun: Object.freeze(stun), upnp: v.upnp === true, json: v.json === true, timeoutS }) };
}

function parseLobbies(argv: readonly string[]): Command {
  const v = parse('lobbies', argv, {
    lan: { type: 'boolean' },
    bind: { type: 'string' },
    json: { type: 'boolean' },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help === true) return { kind: 'help', topic: 'lobbies' };
  if (v.lan !== true) throw new CliUsageError('--lan is required (lobbies on this LAN, found over mDNS)', 'lobbies');
  const bind = (v.bind as string | undefined) ?? '0.0.0.0';
  if (!isIpv4(bind) && !isIpv6(bind)) throw new CliUsageError(`--bind must be an IPv4 or IPv6 address, got '${bind}'`, 'lobbies');
  const bindProblem = bindAddressProblem(bind, machineAddresses());
  if (bindProblem !== undefined) throw new CliUsageError(`--bind ${bind} ${bindProblem}`, 'lobbies');
  const timeoutS = typeof v.timeout === 'string' ? parseSeconds('lobbies', '--timeout', v.timeout) : DEFAULT_LOBBIES_TIMEOUT_S;
  if (timeoutS > 60) throw new CliUsageError(`--timeout for lobbies must be at most 60 s, got ${timeoutS}`, 'lobbies');
  return { kind: 'lobbies', flags: Object.freeze({ lan: true as const, bind, json: v.json === true, timeoutS }) };
}

/**
 * Parses the whole command line (without `node` and the script path).
 * @throws CliUsageError with one sentence for any bad flag, value or subcommand.
 */
export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest.length > 0) {
      const t = rest[0];
      if (t === 'join' || t === 'netcheck' || t === 'signal' || t === 'lobbies') return { kind: 'help', topic: t };
      throw new CliUsageError(`no help for unknown command '${t}'`);
    }
    return { kind: 'help', topic: 'main' };
  }
  if (first === '--version' || first === '-V') {
    if (rest.length > 0) throw new CliUsageError(`unexpected argument '${rest[0]}'`);
    return { kind: 'version' };
  }
  switch (first) {
    case 'join':
      return parseJoin(rest);
    case 'netcheck':
      return parseNetcheck(rest);
    case 'lobbies':
      return parseLobbies(rest);
    case 'signal':
      // Everything, --help included, goes to meshpunch-signal: it owns and documents its flags.
      return { kind: 'signal', argv: Object.freeze([...rest]) };
    default:
      if (first.startsWith('-')) throw new CliUsageError(`unknown option '${first}' (options go after a command: join, lobbies, netcheck, signal)`);
      throw new CliUsageError(`unknown command '${first}' (commands: join, lobbies, netcheck, signal)`);
  }
}
