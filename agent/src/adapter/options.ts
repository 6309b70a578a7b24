// Options of joinMesh (adapter): user input validated once into a frozen config (docs/design.md §3).

import { networkInterfaces } from 'node:os';
import { lobbyRefProblem } from '@meshpunch/protocol';
import { bindAddressProblem } from '../core/bind-address.js';
import { isIpv4, isIpv6, parseEndpoint, type Endpoint } from '../core/endpoint.js';
import { DEFAULT_LINK_TIMEOUTS, type LinkTimeouts } from '../core/link-machine.js';
import { DIRECT_REPROBE_MS, RELAY_RELEASE_MS } from '../core/relay-policy.js';
import { AgentError } from '../errors.js';

/** What a caller may pass to joinMesh. Only `signal` (or `lan`) and `lobby` are required. */
export interface JoinMeshOptions {
  /**
   * Signaling service URL, `ws://HOST:PORT` or `wss://HOST:PORT`, or several (1..16: nodes of one
   * service), tried in turn when joining and after losing the connection. Not with `lan`.
   */
  signal?: string | readonly string[];
  /**
   * LAN mode (issue #16, agent/src/lan): no service to set up. The agent finds the lobby's host on
   * the LAN over mDNS (`_meshpunch._tcp`), or hosts the embedded service itself when nobody does;
   * when the host leaves another member takes over. Excludes `signal`, `create`,
   * `createIfMissing`, `stun` and `upnp`. Default false.
   */
  lan?: boolean;
  /**
   * Without `stun`: use the service's embedded STUN responder (default true). LAN mode turns it
   * off: host candidates are all a LAN needs.
   */
  embeddedStun?: boolean;
  /** Lobby name (to create or join) or code (to join). */
  lobby: string;
  /** Create the lobby (we become peer 1). Default false: join. */
  create?: boolean;
  /**
   * Join the lobby, creating it first when it does not exist (then we are peer 1), so every
   * member may start at once with the same options. Excludes `create`. Default false.
   */
  createIfMissing?: boolean;
  password?: string;
  /**
   * The group's claim secret, 1..128 characters (needs a lobby name): the lobby is found or
   * created only among lobbies made with the same secret, so someone who creates a lobby of that
   * name first cannot take the group in (name squatting, docs/security.md). Every member gives
   * the same secret. Default: none.
   */
  claimSecret?: string;
  /** With `create` or `createIfMissing`: the member limit of a lobby we create, 2..32 (default: the service's, 16). */
  maxPeers?: number;
  /**
   * How many members (ourselves included, 2..32) the mesh is expected to have: that many − 1 link
   * sockets are bound and STUN-gathered while joining, so each pair's candidates go out as soon
   * as it starts (`meshpunch join --wait-peers N` passes N). More members still link, gathering
   * their sockets then; unused ones close with the session. Ignored with `upnp` (a mapping is
   * made per link). Default: none prepared.
   */
  expectedPeers?: number;
  /** Ask the router for a UPnP mapping per link. Default false. */
  upnp?: boolean;
  /**
   * DTLS on every link, mutually authenticated by certificate fingerprints exchanged through the
   * service (issue 18, docs/security.md "Link encryption"). false (`--insecure`) links with plain
   * ENet, for peers without DTLS (libenet, Godot without DTLS); both sides must agree. Default true.
   */
  secure?: boolean;
  /** STUN servers `HOST:PORT`; default: the service's embedded responder when it has one. */
  stun?: readonly (string | Endpoint)[];
  /** Local address every link socket binds to. Default `0.0.0.0`. */
  bindAddress?: string;
  /** Per-link time limits, ms (see LinkTimeouts). */
  timeouts?: Partial<LinkTimeouts>;
  /**
   * Liveness limit of an established link, ms: ENet's peer timeout maximum and the punch path's
   * consent timeout (keepalive every 500 ms), so a silent peer is dropped within about this
   * plus 0.5 s (issue #7 wants ≤ 6 s). Default 4000.
   */
  peerTimeoutMs?: number;
  /**
   * ms joinMesh keeps trying to reach the service (backoff with jitter, every URL in turn) before
   * it fails with AGENT_SIGNAL_FAILED: an agent may start before its service. Default 10 000.
   */
  signalRetryMs?: number;
  /** ms one attempt at the service (TCP, WebSocket upgrade, hello) may take. Default 10 000. */
  signalAttemptMs?: number;
  /**
   * ms after losing the signaling connection during which the session keeps trying to get its
   * lobby back (resume, else lobby.restore with the same id); the mesh stays either way.
   * Default 600 000 (10 min).
   */
  reconnectWindowMs?: number;
  /**
   * ms between a relayed link's looks for a direct path (relay.md §3 upgrade; Tailscale's
   * upgradeInterval): it asks STUN for its mapping again (a changed one goes to the peer as a
   * new candidate) and probes the peer's candidates in a bounded burst; a pair whose NAT hints
   * rule punching out probes only when a candidate changed. 100..3 600 000, default 60 000.
   */
  directReprobeMs?: number;
  /**
   * ms a relayed link that moved to a direct path keeps its relay allocation (and the relayed
   * path's consent checks) in case the direct path fails again; then the allocation is released
   * (Refresh 0) and a later failure allocates afresh. 0..3 600 000, default 30 000.
   */
  relayReleaseMs?: number;
}

/** Validated options. */
export interface JoinMeshConfig {
  /** The first service URL (the one STUN defaults to before the first connect). */
  readonly signal: string;
  /** Every service URL, in order. */
  readonly signals: readonly string[];
  readonly signalRetryMs: number;
  readonly signalAttemptMs: number;
  readonly reconnectWindowMs: number;
  readonly lobby: string;
  readonly create: boolean;
  readonly createIfMissing: boolean;
  readonly password: string | undefined;
  readonly claimSecret: string | undefined;
  readonly maxPeers: number | undefined;
  readonly expectedPeers: number | undefined;
  readonly upnp: boolean;
  readonly secure: boolean;
  readonly stun: readonly Endpoint[];
  readonly bindAddress: string;
  readonly timeouts: LinkTimeouts;
  readonly peerTimeoutMs: number;
  readonly embeddedStun: boolean;
  readonly directReprobeMs: number;
  readonly relayReleaseMs: number;
}

/** Every address of this machine's interfaces (what a socket may bind besides the wildcards). */
export function machineAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const e of list ?? []) out.push(e.address);
  return out;
}

function invalid(message: string, details: Record<string, unknown>): AgentError {
  return new AgentError('ERR_INVALID_PARAMETER', message, details);
}

/**
 * Checks and freezes joinMesh options.
 * @throws AgentError ERR_INVALID_PARAMETER naming the rule and the value.
 */
export function resolveJoinMeshOptions(o: JoinMeshOptions): JoinMeshConfig {
  const signals = typeof o.signal === 'string' ? [o.signal] : Array.isArray(o.signal) ? [...(o.signal as readonly unknown[])] : [o.signal];
  if (signals.length < 1 || signals.length > 16) throw invalid(`signal must list 1..16 URLs, got ${signals.length}`, { got: signals.length });
  for (const u of signals) {
    if (typeof u !== 'string' || !/^wss?:\/\/[^/]+/.test(u)) throw invalid(`signal must be a ws:// or wss:// URL, got '${String(u)}'`, { got: u });
  }
  const ms = (key: 'signalRetryMs' | 'signalAttemptMs' | 'reconnectWindowMs', dflt: number, min: number): number => {
    const v = o[key] ?? dflt;
    if (!Number.isInteger(v) || v < min || v > 86_400_000) throw invalid(`${key} must be an integer ${min}..86400000 ms, got ${String(v)}`, { got: v });
    return v;
  };
  const signalRetryMs = ms('signalRetryMs', 10_000, 0);
  const signalAttemptMs = ms('signalAttemptMs', 10_000, 1);
  const reconnectWindowMs = ms('reconnectWindowMs', 600_000, 0);
  // The service's rules, defined once in protocol lobby-code.ts (a name to create, a name or a code to join).
  const lobbyProblem = lobbyRefProblem(o.lobby, o.create === true || o.createIfMissing === true);
  if (lobbyProblem !== undefined) throw invalid(`lobby ${lobbyProblem}`, { got: o.lobby });
  if (o.create === true && o.createIfMissing === true) throw invalid('create and createIfMissing exclude each other', {});
  if (o.password !== undefined && (typeof o.password !== 'string' || o.password.length < 1 || o.password.length > 128)) {
    throw invalid('password must be 1..128 characters', {});
  }
  if (o.claimSecret !== undefined) {
    if (typeof o.claimSecret !== 'string' || o.claimSecret.length < 1 || o.claimSecret.length > 128) throw invalid('claimSecret must be 1..128 characters', {});
    // A claim scopes a lobby name; a code is drawn by the service and never claimed.
    if (lobbyRefProblem(o.lobby, true) !== undefined) throw invalid(`claimSecret needs a lobby name, got '${o.lobby}'`, { got: o.lobby });
  }
  if (o.maxPeers !== undefined && (!Number.isInteger(o.maxPeers) || o.maxPeers < 2 || o.maxPeers > 32)) {
    throw invalid(`maxPeers must be an integer 2..32, got ${String(o.maxPeers)}`, { got: o.maxPeers });
  }
  if (o.expectedPeers !== undefined && (!Number.isInteger(o.expectedPeers) || o.expectedPeers < 1 || o.expectedPeers > 32)) {
    throw invalid(`expectedPeers must be an integer 1..32, got ${String(o.expectedPeers)}`, { got: o.expectedPeers });
  }
  const stun = (o.stun ?? []).map((s) => {
    if (typeof s !== 'string') return s;
    const e = parseEndpoint(s);
    if (typeof e === 'string') throw invalid(`stun: ${e}`, { got: s });
    return e;
  });
  const bindAddress = o.bindAddress ?? '0.0.0.0';
  if (!isIpv4(bindAddress) && !isIpv6(bindAddress)) throw invalid(`bindAddress must be an IP address, got '${bindAddress}'`, { got: bindAddress });
  // Before joining: a link socket could never bind it, and the peers would get a member whose every link fails.
  const bindProblem = bindAddressProblem(bindAddress, machineAddresses());
  if (bindProblem !== undefined) throw invalid(`bindAddress ${bindAddress} ${bindProblem}`, { got: bindAddress });
  const timeouts = { ...DEFAULT_LINK_TIMEOUTS, ...o.timeouts };
  for (const [k, v] of Object.entries(timeouts)) {
    if (!Number.isInteger(v) || v < 1 || v > 600_000) throw invalid(`timeouts.${k} must be an integer 1..600000 ms, got ${v}`, { got: v });
  }
  const peerTimeoutMs = o.peerTimeoutMs ?? 4000;
  if (!Number.isInteger(peerTimeoutMs) || peerTimeoutMs < 1000 || peerTimeoutMs > 60_000) {
    throw invalid(`peerTimeoutMs must be an integer 1000..60000, got ${peerTimeoutMs}`, { got: peerTimeoutMs });
  }
  const directReprobeMs = o.directReprobeMs ?? DIRECT_REPROBE_MS;
  if (!Number.isInteger(directReprobeMs) || directReprobeMs < 100 || directReprobeMs > 3_600_000) {
    throw invalid(`directReprobeMs must be an integer 100..3600000, got ${String(directReprobeMs)}`, { got: directReprobeMs });
  }
  const relayReleaseMs = o.relayReleaseMs ?? RELAY_RELEASE_MS;
  if (!Number.isInteger(relayReleaseMs) || relayReleaseMs < 0 || relayReleaseMs > 3_600_000) {
    throw invalid(`relayReleaseMs must be an integer 0..3600000, got ${String(relayReleaseMs)}`, { got: relayReleaseMs });
  }
  return Object.freeze({
    signal: signals[0] as string,
    signals: Object.freeze(signals as string[]),
    signalRetryMs,
    signalAttemptMs,
    reconnectWindowMs,
    lobby: o.lobby,
    create: o.create === true,
    createIfMissing: o.createIfMissing === true,
    password: o.password,
    claimSecret: o.claimSecret,
    maxPeers: o.maxPeers,
    expectedPeers: o.expectedPeers,
    upnp: o.upnp === true,
    secure: o.secure !== false,
    stun: Object.freeze(stun),
    bindAddress,
    timeouts: Object.freeze(timeouts),
    peerTimeoutMs,
    embeddedStun: o.embeddedStun !== false,
    directReprobeMs,
    relayReleaseMs,
  });
}
