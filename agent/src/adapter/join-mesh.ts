// joinMesh (adapter): connects to the signaling service, creates or joins the lobby and returns
// the MeshSession. Launch → join is dominated by module loading when many agents start at once
// (issue #7), so this module loads only the signaling client; the link stack (ENet, the mesh
// peer, the punch code) loads while the WebSocket handshake and the lobby round trips are in
// flight, and the STUN servers resolve meanwhile too.

import { lookup } from 'node:dns/promises';
import { SignalingClient } from '@meshpunch/signaling/client';
import { isIpv4, isIpv6, type Endpoint } from '../core/endpoint.js';
import type { MeshEvent } from '../core/mesh-events.js';
import { AgentError } from '../errors.js';
import type { SessionIdentity } from './link-security.js';
import type { Held, MeshSession } from './mesh-session.js';
import { resolveJoinMeshOptions, type JoinMeshConfig, type JoinMeshOptions } from './options.js';
import type { SocketPool } from './socket-pool.js';
import { trace } from './trace.js';

/**
 * Joins (or creates) a lobby and returns the session with its mesh. Links form in the
 * background; use `waitForMesh()` or the `progress` events.
 * @throws AgentError ERR_INVALID_PARAMETER for bad options; AGENT_SIGNAL_FAILED when the service
 *   is unreachable; AGENT_LOBBY_FAILED when it refuses the lobby (the message carries the
 *   service's code, e.g. SIG_LOBBY_NOT_FOUND).
 */
export async function joinMesh(options: JoinMeshOptions, onProgress?: (e: MeshEvent) => void): Promise<MeshSession> {
  // LAN mode finds or founds the service itself (agent/src/lan), then comes back here.
  if (options.lan === true) return (await import('../lan/lan-join.js')).joinLan({ ...options, lan: false }, onProgress);
  const config = resolveJoinMeshOptions(options);
  trace('join: connecting to signaling');
  // The TCP connect starts first; the rest overlaps with its round trips (hello, lobby request).
  // The session's live links are what resume / lobby.restore report as linked (issue #12).
  let session: MeshSession | undefined;
  const connecting = SignalingClient.connect(config.signals, {
    retryConnectMs: config.signalRetryMs,
    connectTimeoutMs: config.signalAttemptMs,
    requestTimeoutMs: config.signalAttemptMs,
    reconnectWindowMs: config.reconnectWindowMs,
    linkedPeers: () => session?.linkedPeers() ?? [],
    // A service of several processes hands the connection to the one that runs the lobby.
    ...(config.lobby === undefined ? {} : { lobby: config.lobby }),
  });
  connecting.catch(() => undefined);
  const sessionModule = import('./mesh-session.js');
  sessionModule.catch(() => undefined);
  const identityModule = import('./link-security.js');
  identityModule.catch(() => undefined);
  const configuredStun = config.stun.length > 0 ? resolveAll(config.stun) : undefined;
  configuredStun?.catch(() => undefined);
  // With an expected member count, the links' sockets bind and STUN-gather while the signaling
  // round trips are in flight (socket-pool.ts); with configured STUN servers that starts now.
  const wantPool = config.expectedPeers !== undefined && config.expectedPeers > 1 && !config.upnp;
  const poolModule = wantPool ? import('./socket-pool.js') : undefined;
  poolModule?.catch(() => undefined);
  const startPool = (stun: Promise<readonly Endpoint[]>): Promise<SocketPool | undefined> =>
    Promise.all([poolModule!, stun]).then(([m, servers]) => new m.SocketPool(config.expectedPeers! - 1, { bindAddress: config.bindAddress, stunServers: servers }), () => undefined);
  let pool = wantPool && configuredStun !== undefined ? startPool(configuredStun) : undefined;
  const closePool = async (): Promise<void> => (await pool)?.close();
  let client: SignalingClient;
  try {
    client = await connecting;
  } catch (err) {
    await closePool();
    const where = config.signals.length === 1 ? `signaling service ${config.signal}` : `signaling services ${config.signals.join(', ')}`;
    throw new AgentError('AGENT_SIGNAL_FAILED', `${where}: ${(err as Error).message}`, { url: config.signal, code: (err as { code?: string }).code }, err);
  }
  trace('join: welcome received');
  // Without configured servers, the service's embedded STUN responder (its port came in welcome).
  const stunServers = configuredStun ?? (config.embeddedStun ? embeddedStun(client) : Promise.resolve([]));
  stunServers.catch(() => undefined);
  if (wantPool && pool === undefined) pool = startPool(stunServers);
  onProgress?.({ type: 'signalConnected', url: client.url });
  // Listen before joining: pair.start for the members already there follows lobby.joined at once.
  const held: Held[] = [];
  const deliver = (h: Held): void => (session === undefined ? void held.push(h) : session.handle(h));
  client.on('pairStart', (p) => deliver({ type: 'pair', p }));
  client.on('candidates', (c) => deliver({ type: 'cands', pair: c.pair, c: c.candidates, nat: c.nat, fp: c.fingerprint }));
  client.on('peerJoined', (m) => deliver({ type: 'joined', m }));
  client.on('peerLeft', (l) => deliver({ type: 'left', id: l.id }));
  client.on('peerAway', (a) => deliver({ type: 'away', id: a.id }));
  client.on('peerBack', (b) => deliver({ type: 'back', id: b.id }));
  // Losing the service is a state, not an error: the links carry on (docs/design.md wave 2).
  // Held like the lobby's events: a drop and resume while joining brings members the snapshot lacks.
  client.on('disconnected', (d) => deliver({ type: 'down', detail: `connection closed (${d.code}${d.reason === '' ? '' : ` ${d.reason}`})`, willRetry: d.willResume }));
  client.on('retrying', (r) => session?.signalRetry(r.attempt, r.url, r.inMs, r.error.message));
  client.on('resumed', (r) => deliver({ type: 'resumed', url: r.url, restored: r.restored, members: r.lobby.members.map((m) => m.id) }));
  client.on('closed', (c) => deliver({ type: 'lost', detail: c.error === undefined ? `closed with ${c.code}${c.reason === '' ? '' : ` ${c.reason}`}` : `gave up (${c.code}): ${c.error.message}` }));
  let joined;
  let identity: SessionIdentity | undefined;
  try {
    const pw = config.password === undefined ? {} : { password: config.password };
    const max = config.maxPeers === undefined ? {} : { maxPeers: config.maxPeers };
    const claim = config.claimSecret === undefined ? {} : { claimSecret: config.claimSecret };
    const request = config.create
      ? client.createLobby({ name: config.lobby, mode: 'mesh', ...pw, ...max, ...claim })
      : client.joinLobby(config.lobby, config.createIfMissing ? { ...pw, ...max, ...claim, createIfMissing: true } : { ...pw, ...claim });
    request.catch(() => undefined);
    // The session's DTLS key and certificate (a few ms of CPU, link-security.ts) are made while
    // the lobby request is in flight, so the first pair.start finds them ready.
    if (config.secure) identity = new (await identityModule).SessionIdentity();
    joined = await request;
  } catch (err) {
    await Promise.all([client.close(), closePool()]);
    throw new AgentError('AGENT_LOBBY_FAILED', `${config.create ? 'creating' : 'joining'} lobby '${config.lobby}' failed: ${(err as Error).message}`, { code: (err as { code?: string }).code }, err);
  }
  trace('join: lobby joined');
  let stun: readonly Endpoint[];
  let MeshSessionClass: typeof MeshSession;
  try {
    stun = await stunServers;
    ({ MeshSession: MeshSessionClass } = await sessionModule);
  } catch (err) {
    await Promise.all([client.close(), closePool()]);
    throw err;
  }
  trace('join: session modules loaded, STUN resolved');
  // Members that are away (WebSocket dropped, within the resume grace) are not reachable now.
  session = new MeshSessionClass(config, client, joined.you, joined.lobby.members.filter((m) => !m.away || m.id === joined.you).map((m) => m.id), stun, await pool, identity);
  if (onProgress !== undefined) session.onProgress(onProgress);
  if (joined.viewUrl !== undefined) session.viewUrl = joined.viewUrl;
  onProgress?.({ type: 'joined', id: joined.you, lobby: config.lobby, created: joined.you === 1 || (joined.lobby.members.length === 1 && joined.lobby.owner === joined.you), members: joined.lobby.members.map((m) => m.id), ...(joined.viewUrl === undefined ? {} : { viewUrl: joined.viewUrl }) });
  for (const h of held.splice(0)) session.handle(h);
  return session;
}

/** The configured STUN servers with their names resolved once. */
function resolveAll(servers: JoinMeshConfig['stun']): Promise<readonly Endpoint[]> {
  return Promise.all(servers.map(async (s) => ({ address: await resolveHost(s.address), port: s.port })));
}

/** Without configured STUN servers: the service's embedded responder (welcome.stunPort) on the signaling host. */
async function embeddedStun(client: SignalingClient): Promise<readonly Endpoint[]> {
  const port = client.stunPort;
  if (port === undefined) return [];
  const host = new URL(client.url).hostname.replace(/^\[|\]$/g, '');
  return [{ address: await resolveHost(host), port }];
}

async function resolveHost(host: string): Promise<string> {
  if (isIpv4(host) || isIpv6(host)) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (err) {
    throw new AgentError('ERR_INVALID_PARAMETER', `cannot resolve STUN host '${host}': ${(err as Error).message}`, { host }, err);
  }
}
