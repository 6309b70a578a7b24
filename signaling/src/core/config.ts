// Options of the signaling core, validated once into a frozen config (core, docs/design.md §3).
import { SignalingError } from '../errors.js';
import { LIMIT_SPECS } from './limits.js';
import type { SignalingLimits } from './limits.js';
import { resolveRelayCredentialOptions } from './relay-access.js';
import type { RelayCredentialConfig, RelayCredentialOptions } from './relay-access.js';

/** Log levels, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['error', 'warn', 'info', 'debug']);

/**
 * What the core needs from outside: randomness and any limit to override. Password hashes are
 * asked of the adapter as `hash` outputs (see password-checks.ts).
 */
export interface SignalingCoreOptions extends Partial<SignalingLimits> {
  /** Fills `out` with cryptographically strong random bytes (ids, codes, tokens, secrets). */
  random?: (out: Uint8Array) => void;
  /** UDP port of the embedded STUN responder, announced in `welcome`. */
  stunPort?: number;
  /** Log records at this level and more severe are emitted as outputs. Default 'info'. */
  logLevel?: LogLevel;
  /** Relay credentials (relay.md §4): absent = the service offers no relay (no `relay` capability). */
  relay?: RelayCredentialOptions;
  /**
   * LAN mode's embedded service (agent/src/lan/): the key of a lobby created here is this
   * function of its code, not drawn, and its creator draws a random id like a joiner instead of
   * taking 1. Two services that founded the same LAN lobby by mistake then hand out one key and
   * disjoint ids, so the members of one can restore into the other (the LAN merge rule).
   */
  lobbyKeyOf?: (code: string) => string;
}

/** Validated, frozen core configuration. */
export interface SignalingCoreConfig extends Readonly<SignalingLimits> {
  readonly random: (out: Uint8Array) => void;
  readonly stunPort: number | undefined;
  readonly logLevel: LogLevel;
  readonly relay: RelayCredentialConfig | undefined;
  readonly lobbyKeyOf: ((code: string) => string) | undefined;
}

/**
 * Checks options and fills defaults.
 * @throws SignalingError ERR_INVALID_PARAMETER naming the first bad option, or when random is missing
 */
export function resolveSignalingCoreOptions(options: SignalingCoreOptions): SignalingCoreConfig {
  const limits = {} as SignalingLimits;
  for (const spec of LIMIT_SPECS) {
    const v = options[spec.key] ?? spec.default;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < spec.min || v > spec.max) {
      throw new SignalingError('ERR_INVALID_PARAMETER', `${spec.key} must be an integer ${spec.min}..${spec.max}, got ${String(v)}`, { option: spec.key, got: v });
    }
    limits[spec.key] = v;
  }
  if (limits.defaultMaxPeers > limits.maxPeersCap) {
    throw new SignalingError('ERR_INVALID_PARAMETER', `defaultMaxPeers must not exceed maxPeersCap (${limits.maxPeersCap}), got ${limits.defaultMaxPeers}`, { option: 'defaultMaxPeers' });
  }
  if (typeof options.random !== 'function') throw new SignalingError('ERR_INVALID_PARAMETER', 'random must be a function filling a Uint8Array');
  const stunPort = options.stunPort;
  if (stunPort !== undefined && (!Number.isInteger(stunPort) || stunPort < 1 || stunPort > 65535)) {
    throw new SignalingError('ERR_INVALID_PARAMETER', `stunPort must be an integer 1..65535, got ${String(stunPort)}`, { option: 'stunPort' });
  }
  const logLevel = options.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new SignalingError('ERR_INVALID_PARAMETER', `logLevel must be one of ${LOG_LEVELS.join(', ')}, got ${String(logLevel)}`);
  const relay = options.relay === undefined ? undefined : resolveRelayCredentialOptions(options.relay);
  if (options.lobbyKeyOf !== undefined && typeof options.lobbyKeyOf !== 'function') throw new SignalingError('ERR_INVALID_PARAMETER', 'lobbyKeyOf must be a function', { option: 'lobbyKeyOf' });
  return Object.freeze({ ...limits, random: options.random, stunPort, logLevel, relay, lobbyKeyOf: options.lobbyKeyOf });
}
