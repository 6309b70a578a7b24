// joinMesh({ lan: true }) (adapter, issue #16): a mesh on a LAN with no server set up.
//
// 1. Look: advertise ourselves as a `candidate` of the lobby over mDNS and ask the LAN for
//    meshpunch agents for DISCOVERY_MS. A `host` of the lobby (that proves the password, if
//    there is one) → join it.
// 2. Nobody hosts: the candidates heard decide deterministically — the lowest token becomes host
//    (starts the embedded signaling service on its LAN address, creates the lobby, advertises it);
//    the others wait for its advert and join. Members heard without a host mean a hand-over is
//    under way: wait for the new host rather than found a second lobby.
// 3. Hand-over: every member's signaling goes through its own loopback forwarder (forwarder.ts).
//    When the host's connection drops, the members the survivors are linked with pick the lowest
//    peer id among themselves (the old host's excluded); that member starts a service and points
//    its forwarder at it; the others' forwarders point at it once its advert comes. Their
//    SignalingClients reconnect as after any outage and re-register with lobby.restore (issue
//    #12): same ids, links kept. If the chosen member does not show up as host in time, the next
//    lowest is chosen.
// 4. Merge: duplicate hosts of the lobby (they did not hear each other in time) converge to one.
//    A host keeps asking the LAN for other hosts of its lobby; one that outranks it
//    (core/lan-merge.ts: lowest token) and answers as a joiner checks it (TCP, or the password
//    proof) gets our lobby: we stop advertising `host`, point our forwarder at it and close our
//    service a moment later; our members and we restore there (every LAN service hands out the
//    same lobby key and drawn ids: password.ts lanLobbyKey), as after a host loss.

import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { lobbyRefProblem } from '@meshpunch/protocol';
import { isIpv6, type Endpoint } from '../core/endpoint.js';
import type { MeshEvent } from '../core/mesh-events.js';
import { AgentError } from '../errors.js';
import { startEmbeddedSignaling, type EmbeddedSignaling } from '../adapter/embedded-signaling.js';
import type { MeshSession } from '../adapter/mesh-session.js';
import type { JoinMeshOptions } from '../adapter/options.js';
import { trace } from '../adapter/trace.js';
import { compareHosts, mergeTarget } from '../core/lan-merge.js';
import type { HeardAdvert, LanAdvert } from './advert.js';
import { LanDirectory, lanInterfaces } from './directory.js';
import { SignalForwarder } from './forwarder.js';
import { joinToken, lanLobbyKey, lanSecret } from './password.js';
import { askProof, ProofResponder } from './proof.js';

/** How long an agent listens for a host before the candidates decide, ms. */
export const DISCOVERY_MS = 900;
/** Queries sent while looking, ms after the start (answers to the first come in ~1 ms on a LAN). */
const QUERY_AT_MS = [0, 150, 400, 700];
/**
 * A candidate that lost the tie break (or a newcomer during a hand-over) waits for a host while
 * the agents it waits for keep answering (heard within LIVE_MS), at most HOST_WAIT_MS: on two
 * busy cores the winner may need seconds from its decision to its advert.
 */
const HOST_WAIT_MS = 10_000;
const LIVE_MS = 2000;
/** A host that failed a check (no TCP answer, no proof answer) is not tried again for this long, ms. */
const RETRY_HOST_MS = 5000;
/** Rounds of look-then-decide before an agent hosts anyway. */
const MAX_ROUNDS = 3;
/** Extra looks while a heard host of the lobby fails its check (a starved machine answers late). */
const LOOK_AGAIN = 2;
/** After the host is lost, how long the chosen successor has to advertise before the next is chosen, ms. */
const SUCCESSOR_WAIT_MS = 4000;
/** Default time joinMesh keeps trying to reach the lobby's host through the forwarder, ms. */
const LAN_SIGNAL_RETRY_MS = 60_000;
/** How long a forwarded connection waits for a host to be known, ms. */
const FORWARDER_HOLD_MS = 5000;
/** While hosting: how often we ask the LAN for other hosts of our lobby (the merge rule), ms. */
const MERGE_LOOK_MS = 1000;
/**
 * After handing our lobby over: how long our service stays up, ms. Our members hear the better
 * host's answer to our query meanwhile, so when our service closes they go to it, not elect a
 * successor (one that did not hear it in time founds a host that the rule merges again).
 */
const MERGE_HOLD_MS = 1500;

/** The controller of one LAN session: directory, forwarder, and the service while we host. */
class LanAgent {
  session: MeshSession | undefined;
  /** The host we are connected through (undefined while none). */
  host: HeardAdvert | undefined;
  /** Hosts (hostKey) whose connection failed (until Infinity) or that failed a check (for RETRY_HOST_MS). */
  readonly dead = new Map<string, number>();
  /** Candidates (token|from) that won a tie break but never hosted: passed over in later rounds. */
  readonly passed = new Set<string>();
  /** Peer ids passed over as successor (did not show up in time). */
  readonly skipped = new Set<number>();
  service: EmbeddedSignaling | undefined;
  proof: ProofResponder | undefined;
  private closed = false;
  private successorTimer: NodeJS.Timeout | undefined;
  private requery: NodeJS.Timeout | undefined;
  private mergeTimer: NodeJS.Timeout | undefined;
  private merging = false;
  /** Closes the service we handed over (set for MERGE_HOLD_MS after a merge). */
  private retire: (() => void) | undefined;

  constructor(
    readonly token: string,
    readonly lobby: string,
    readonly directory: LanDirectory,
    readonly forwarder: SignalForwarder,
    readonly secret: Buffer | undefined,
    readonly bind: string,
    readonly emit: (e: MeshEvent) => void,
  ) {}

  /** The address we serve on when we host: the --bind address, else the first LAN interface's. */
  get serveAddress(): string {
    return this.bind === '0.0.0.0' || this.bind === '::' ? this.directory.interfaces[0]!.address : this.bind;
  }

  advert(role: LanAdvert['role'], extra: Partial<LanAdvert> = {}): LanAdvert {
    return {
      role,
      lobby: this.lobby,
      token: this.token,
      members: this.session?.memberCount ?? 0,
      password: this.secret !== undefined,
      mode: 'mesh',
      peer: this.session?.id,
      port: this.service === undefined ? undefined : Number(new URL(this.service.url).port),
      proofPort: this.proof?.port,
      address: this.service === undefined ? undefined : this.serveAddress,
      ...extra,
    };
  }

  /** Hosts of our lobby heard lately (not us), best first by the merge rule: the one the others hand over to. */
  hosts(): HeardAdvert[] {
    return this.directory.adverts().filter((a) => a.role === 'host' && a.lobby === this.lobby && a.token !== this.token && (this.dead.get(hostKey(a)) ?? 0) < performance.now())
      .sort(compareHosts);
  }

  /**
   * Whether host `h` is fit to join: without a password, something accepts TCP at its address
   * (an advert for an address where nothing listens is a dead host or a spoof); with one, it
   * proves it knows K for that endpoint. 'refuted': a host of another password (or none).
   */
  async check(h: HeardAdvert): Promise<'fit' | 'refuted' | 'failed'> {
    if (this.secret === undefined) {
      if (h.password) return 'refuted';
      return (await tcpOpen(h.address!, h.port!)) ? 'fit' : 'failed';
    }
    if (!h.password || h.proofPort === undefined) return 'refuted';
    const v = await askProof(this.secret, this.lobby, h.address!, h.port!, h.proofPort);
    return v === 'proven' ? 'fit' : v === 'refuted' ? 'refuted' : 'failed';
  }

  /**
   * The first host that is fit to join: with a password, one that proved it knows it (a host
   * that refutes is remembered, to tell a wrong password from no host).
   */
  async provenHost(): Promise<{ host: HeardAdvert | undefined; refuted: number }> {
    let refuted = 0;
    for (const h of this.hosts()) {
      const v = await this.check(h);
      if (v === 'fit') return { host: h, refuted };
      if (v === 'refuted') refuted++;
      else this.dead.set(hostKey(h), performance.now() + RETRY_HOST_MS);
    }
    return { host: undefined, refuted };
  }

  /** Starts the embedded service (and the proof responder) on our LAN address. */
  async startService(): Promise<Endpoint> {
    const listen = this.bind;
    const key = lanLobbyKey(this.secret, this.lobby);
    this.service = await startEmbeddedSignaling(listen, () => key);
    const port = Number(new URL(this.service.url).port);
    if (this.secret !== undefined) {
      const own = new Set(this.directory.interfaces.map((i) => i.address));
      this.proof = await ProofResponder.start(listen, this.secret, this.lobby, (address, p) => p === port && own.has(address));
    }
    return { address: this.serveAddress, port };
  }

  /** After joining (or restoring) as host: tell the LAN. */
  announceHost(handOver: boolean): void {
    this.directory.advertise(this.advert('host'));
    this.emit({ type: 'lanRole', role: 'host', lobby: this.lobby, address: `${fmt(this.serveAddress)}:${this.advert('host').port!}`, handOver });
    if (this.mergeTimer === undefined) this.mergeTimer = setInterval(() => void this.lookForBetterHost().catch((err: Error) => trace(`lan: ${err.message}`)), MERGE_LOOK_MS);
  }

  /** While we host: hand over to a host of our lobby that outranks us and answers (the merge rule). */
  private async lookForBetterHost(): Promise<void> {
    if (this.closed || this.merging || this.service === undefined || this.directory.advertised?.role !== 'host') return;
    this.directory.query();
    const better = mergeTarget({ token: this.token }, this.hosts());
    if (better === undefined) return;
    this.merging = true;
    try {
      // A spoofed or dead advert never takes our lobby: only a host that answers as a joiner checks it.
      const v = await this.check(better);
      if (v !== 'fit') {
        this.dead.set(hostKey(better), performance.now() + RETRY_HOST_MS);
        return;
      }
      if (this.closed || this.service === undefined) return;
      this.handOverTo(better);
    } finally {
      this.merging = false;
    }
  }

  /** Merges our lobby into `better`: we and our members restore there; our service closes after MERGE_HOLD_MS. */
  private handOverTo(better: HeardAdvert): void {
    trace(`lan: host ${better.address!}:${better.port!} outranks us: handing the lobby over`);
    clearInterval(this.mergeTimer);
    this.mergeTimer = undefined;
    const service = this.service!;
    const proof = this.proof;
    this.service = undefined;
    this.proof = undefined;
    this.directory.advertise(this.advert('member'));
    // Its answer to this query reaches our members too: they go to it when our service closes.
    this.directory.query();
    this.useHost(better);
    // Our own client reconnects (through the forwarder) to the better host and restores there.
    this.forwarder.dropConnections();
    this.retire = () => {
      clearTimeout(timer);
      this.retire = undefined;
      proof?.close();
      void service.close();
    };
    const timer = setTimeout(() => this.retire?.(), MERGE_HOLD_MS);
  }

  /** Watches the session: keeps the advert current, hands over when the host goes. */
  watch(session: MeshSession): void {
    this.session = session;
    session.onProgress((e) => {
      if (this.closed) return;
      if (e.type === 'signalLost' && e.detail === 'closed') this.close();
      else if (e.type === 'memberJoined' || e.type === 'memberLeft' || e.type === 'joined') this.directory.advertise(this.advert(this.service === undefined ? 'member' : 'host'));
      else if (e.type === 'signalBack' && this.service !== undefined && this.directory.advertised?.role !== 'host') this.announceHost(true);
    });
  }

  /**
   * Before the session exists (joining): the host we chose failed (nothing meshpunch listens
   * there, or it went away). Pass it over and look again (the next fit host, or the candidates'
   * decision); the SignalingClient's retry goes wherever the forwarder points by then.
   */
  private async joinTargetLost(target: Endpoint, why: string): Promise<void> {
    const old = this.host;
    if (old === undefined || old.address !== target.address || old.port !== target.port) return;
    trace(`lan: host ${target.address}:${target.port} failed while joining (${why})`);
    this.dead.set(hostKey(old), Infinity);
    this.directory.forget(old);
    this.host = undefined;
    this.forwarder.setTarget(undefined);
    // Look and decide again, as at the start: every agent that was misled decides alike.
    await findOrFound(this);
  }

  /** The forwarder lost the host: choose the successor among the members we are linked with. */
  hostLost(target: Endpoint, why: string): void {
    if (this.closed) return;
    if (this.session === undefined) {
      void this.joinTargetLost(target, why).catch((err: Error) => trace(`lan: ${err.message}`));
      return;
    }
    const old = this.host;
    if (old !== undefined && old.address === target.address && old.port === target.port) {
      this.dead.set(hostKey(old), Infinity);
      this.directory.forget(old);
    } else if (this.service !== undefined) {
      return; // our own service: it only goes when we close
    }
    trace(`lan: host lost (${why})`);
    this.forwarder.setTarget(undefined);
    this.host = undefined;
    // Another host of the lobby is heard (ours handed over to it: the merge rule): go there.
    const oldPeer = old?.peer;
    void this.provenHost().then(({ host }) => {
      if (this.closed || this.host !== undefined || this.service !== undefined) return;
      if (host !== undefined) this.useHost(host);
      else this.chooseSuccessor(oldPeer);
    }, (err: Error) => trace(`lan: ${err.message}`));
  }

  private chooseSuccessor(oldHostPeer: number | undefined): void {
    if (this.closed || this.session === undefined) return;
    const survivors = [this.session.id, ...this.session.linkedPeers()].filter((id) => id !== oldHostPeer && !this.skipped.has(id));
    const next = Math.min(...survivors);
    if (next === this.session.id) {
      void this.becomeSuccessor();
      return;
    }
    // Wait for a host advert of our lobby; the chosen member should be it.
    const started = performance.now();
    const look = async (): Promise<void> => {
      if (this.closed || this.host !== undefined) return;
      const { host } = await this.provenHost();
      if (host !== undefined) {
        this.useHost(host);
        return;
      }
      if (performance.now() - started > SUCCESSOR_WAIT_MS) {
        this.skipped.add(next);
        this.chooseSuccessor(oldHostPeer);
        return;
      }
      this.directory.query();
      this.requery = setTimeout(() => void look(), 300);
    };
    void look();
  }

  private async becomeSuccessor(): Promise<void> {
    try {
      const ep = await this.startService();
      if (this.closed) return;
      trace('lan: hosting after hand-over');
      // The client reconnects through the forwarder and restores the lobby (first restorer sets the key).
      this.forwarder.setTarget(ep);
    } catch (err) {
      trace(`lan: cannot host: ${(err as Error).message}`);
    }
  }

  useHost(h: HeardAdvert): void {
    this.host = h;
    this.forwarder.setTarget({ address: h.address!, port: h.port! });
    if (this.session !== undefined) this.emit({ type: 'lanRole', role: 'member', lobby: this.lobby, address: `${fmt(h.address!)}:${h.port!}`, handOver: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.successorTimer);
    clearTimeout(this.requery);
    clearInterval(this.mergeTimer);
    this.retire?.();
    this.directory.close();
    this.forwarder.close();
    this.proof?.close();
    void this.service?.close();
  }
}

function hostKey(a: HeardAdvert): string {
  return `${a.token}|${a.address!}:${a.port!}`;
}

/** Limit of the TCP check of a host advert, ms (a LAN answers in ~1 ms; an absent address never). */
const TCP_CHECK_MS = 2000;

/** True when something accepts a TCP connection at address:port within TCP_CHECK_MS. */
function tcpOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port, family: isIpv6(address) ? 6 : 4 });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    // Timers run before I/O in an event-loop turn: on a starved process the limit can fire while
    // the connect event waits in the same turn, so the verdict waits for that turn's I/O.
    const timer = setTimeout(() => setImmediate(() => done(false)), TCP_CHECK_MS);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function fmt(address: string): string {
  return isIpv6(address) ? `[${address}]` : address;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Joins (or founds) a lobby on the LAN. The options are joinMesh's, without `signal`, `create`,
 * `createIfMissing`, `stun` and `upnp` (a LAN needs none of them).
 * @throws AgentError ERR_INVALID_PARAMETER; AGENT_LAN_FAILED when no LAN interface can be used;
 *   AGENT_LOBBY_FAILED (code SIG_BAD_PASSWORD) when hosts of the lobby answer but none proves
 *   our password; what joinMesh throws.
 */
export async function joinLan(options: JoinMeshOptions, onProgress?: (e: MeshEvent) => void): Promise<MeshSession> {
  for (const k of ['signal', 'create', 'createIfMissing', 'upnp', 'claimSecret'] as const) {
    if (options[k] !== undefined && options[k] !== false) throw new AgentError('ERR_INVALID_PARAMETER', `lan excludes ${k}`, { option: k });
  }
  if (options.stun !== undefined && options.stun.length > 0) throw new AgentError('ERR_INVALID_PARAMETER', 'lan excludes stun (a LAN needs no STUN server)', { option: 'stun' });
  const problem = lobbyRefProblem(options.lobby, true);
  if (problem !== undefined) throw new AgentError('ERR_INVALID_PARAMETER', `lobby ${problem}`, { got: options.lobby });
  if (options.password !== undefined && (typeof options.password !== 'string' || options.password.length < 1 || options.password.length > 128)) {
    throw new AgentError('ERR_INVALID_PARAMETER', 'password must be 1..128 characters', {});
  }
  const bind = options.bindAddress ?? '0.0.0.0';
  const emit = (e: MeshEvent): void => onProgress?.(e);
  const secret = options.password === undefined ? undefined : await lanSecret(options.password, options.lobby);
  const token = randomBytes(8).toString('hex');
  let directory: LanDirectory;
  try {
    directory = await LanDirectory.open(lanInterfaces(bind), token);
  } catch (err) {
    throw new AgentError('AGENT_LAN_FAILED', `cannot look for lobbies on the LAN: ${(err as Error).message}`, { bind }, err);
  }
  let agent: LanAgent | undefined;
  const forwarder = await SignalForwarder.start(FORWARDER_HOLD_MS, (t, why) => agent?.hostLost(t, why));
  agent = new LanAgent(token, options.lobby, directory, forwarder, secret, bind, emit);
  const a = agent;
  try {
    await findOrFound(a);
    const { joinMesh } = await import('../adapter/join-mesh.js');
    // Everyone creates the lobby when missing: the host on its own service, and a joiner whose
    // chosen host failed and who ends up hosting instead (joinTargetLost). A host advertises only
    // once its lobby exists, so a joiner never founds a second one on another agent's service.
    const session = await joinMesh({
      ...options,
      lan: false,
      signal: forwarder.url,
      // A misleading host costs a new look (joinTargetLost) before the forwarder points anywhere.
      signalRetryMs: options.signalRetryMs ?? LAN_SIGNAL_RETRY_MS,
      createIfMissing: true,
      embeddedStun: false,
      ...(secret === undefined ? {} : { password: joinToken(secret) }),
    }, onProgress);
    a.watch(session);
    if (a.service !== undefined) a.announceHost(false);
    else {
      a.directory.advertise(a.advert('member'));
      emit({ type: 'lanRole', role: 'member', lobby: a.lobby, address: `${fmt(a.host!.address!)}:${a.host!.port!}`, handOver: false });
    }
    return session;
  } catch (err) {
    a.close();
    throw err;
  }
}

/** Phases 1 and 2: resolves 'member' with the forwarder pointed at a host, or 'host' with our service running. */
// (joinTargetLost may still turn a 'member' into the host while joining.)
async function findOrFound(a: LanAgent): Promise<'host' | 'member'> {
  // Looks again while a heard host fails its check: at most LOOK_AGAIN times, not counted as rounds.
  let lookAgain = LOOK_AGAIN;
  for (let round = 0; round < MAX_ROUNDS; ) {
    a.directory.advertise(a.advert('candidate'));
    const t0 = performance.now();
    for (const at of QUERY_AT_MS) {
      await sleep(Math.max(0, t0 + at - performance.now()));
      a.directory.query();
      if (a.hosts().length > 0) break;
    }
    await sleep(Math.max(0, t0 + DISCOVERY_MS - performance.now()));
    const found = await waitForHost(a, 0);
    if (found === 'member') return found;
    const heard = a.directory.adverts().filter((x) => x.lobby === a.lobby);
    if (found === 'refuted') throw badPassword(a);
    // A host of the lobby was heard but failed its check (a starved machine, or a spoof): look
    // again next round rather than found a second lobby at once.
    const failedCheck = heard.filter((x) => x.role === 'host' && a.dead.get(hostKey(x)) !== Infinity);
    if (failedCheck.length > 0 && lookAgain-- > 0) {
      trace('lan: a host was heard but failed its check; looking again');
      for (const x of failedCheck) a.dead.delete(hostKey(x));
      continue;
    }
    // Members without a host: a hand-over is under way. Candidates with a lower token: they host.
    const handingOver = heard.some((x) => x.role === 'member');
    const lower = heard.filter((x) => x.role === 'candidate' && x.token < a.token && !a.passed.has(`${x.token}|${x.from}`));
    if (!handingOver && lower.length === 0) break;
    // The one that should host: the lowest token heard (every candidate sees the same one).
    const winner = lower.reduce<HeardAdvert | undefined>((m, x) => (m === undefined || x.token < m.token ? x : m), undefined);
    trace(`lan: ${handingOver ? 'hand-over under way' : 'another candidate hosts'}, waiting for its advert`);
    const later = await waitForHost(a, HOST_WAIT_MS, () => {
      // Keep waiting while the agents we wait for still answer.
      const live = a.directory.adverts(LIVE_MS).filter((x) => x.lobby === a.lobby);
      return live.some((x) => x.role === 'member') || (winner !== undefined && live.some((x) => x.token === winner.token && x.from === winner.from && x.role === 'candidate'));
    });
    if (later === 'member') return later;
    if (later === 'refuted') throw badPassword(a);
    // It did not host (gone, or a spoofed candidacy): every agent passes it over alike, and the
    // next lowest decides the next round.
    if (winner !== undefined) a.passed.add(`${winner.token}|${winner.from}`);
    round++;
  }
  const ep = await a.startService();
  a.forwarder.setTarget(ep);
  trace(`lan: hosting on ${ep.address}:${ep.port}`);
  return 'host';
}

function badPassword(a: LanAgent): AgentError {
  return new AgentError('AGENT_LOBBY_FAILED', `joining lobby '${a.lobby}' failed: SIG_BAD_PASSWORD: ${a.secret === undefined ? 'the lobby has a password' : "no host of the lobby on the LAN proved it knows this password (a wrong password, or a host that is not the lobby's)"}`, { code: 'SIG_BAD_PASSWORD' });
}

/**
 * Waits up to `ms` for a fit host (while `worth()` says so), querying every 300 ms; points the
 * forwarder at it.
 */
async function waitForHost(a: LanAgent, ms: number, worth: () => boolean = () => true): Promise<'member' | 'refuted' | 'none'> {
  const start = performance.now();
  const end = start + ms;
  for (;;) {
    const { host, refuted } = await a.provenHost();
    if (host !== undefined) {
      a.useHost(host);
      return 'member';
    }
    if (refuted > 0) return 'refuted';
    // A first look (LIVE_MS) is always given: the answers to our queries need a moment.
    if (performance.now() >= end || (performance.now() - start > LIVE_MS && !worth())) return 'none';
    a.directory.query();
    await sleep(Math.min(300, Math.max(1, end - performance.now())));
  }
}
