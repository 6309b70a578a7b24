// LinkRunner on real loopback sockets: two runners wired to each other the way two agents' mesh
// sessions wire them through the signaling service (candidates handed across in-process), with
// no STUN server (host candidates on 127.0.0.1 only). Traffic stays on 127.0.0.1.
import { expect } from 'chai';
import { createSocket, Socket } from 'node:dgram';
import { EventType, HostCore, type ENetConnection } from '@meshpunch/enet';
import { answerBindingRequest } from '@meshpunch/nat';
import type { LinkContext } from '../../src/adapter/link-context.js';
import type { RelayAccess } from '../../src/adapter/link-router.js';
import type { Endpoint } from '../../src/core/endpoint.js';
import { LinkRunner } from '../../src/adapter/link-runner.js';
import { gatherLinkSocket, type LinkSocket } from '../../src/adapter/link-socket.js';
import { resolveJoinMeshOptions } from '../../src/adapter/options.js';
import type { LinkOutcome, LinkPhase, LinkRole } from '../../src/core/link-machine.js';
import type { RejectedCandidate } from '@meshpunch/nat/punch';
import type { Candidate } from '@meshpunch/protocol';

const config = resolveJoinMeshOptions({ signal: 'ws://127.0.0.1:1', lobby: 'loopback', bindAddress: '127.0.0.1' });

interface Side {
  readonly runner: LinkRunner;
  readonly socket: LinkSocket;
  /** The node:dgram socket under the link's ENet host. */
  readonly dgram: Socket;
  readonly phases: LinkPhase[];
  readonly outcome: Promise<LinkOutcome>;
  handedOver: ENetConnection | undefined;
}

/** Gathers a link socket on 127.0.0.1 and catches the node:dgram socket its ENet host binds. */
async function gatherCatchingSocket(): Promise<{ socket: LinkSocket; dgram: Socket }> {
  const bind = Socket.prototype.bind;
  let bound: Socket | undefined;
  Socket.prototype.bind = function (this: Socket, ...args: unknown[]) {
    bound = this;
    return (bind as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof bind;
  try {
    const socket = await gatherLinkSocket({ bindAddress: '127.0.0.1', stunServers: [] });
    if (bound === undefined) throw new Error('the link socket did not bind through node:dgram');
    return { socket, dgram: bound };
  } finally {
    Socket.prototype.bind = bind;
  }
}

function withinMs<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('LinkRunner (loopback)', function () {
  this.timeout(15_000);
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  /**
   * Two runners for one pair: 1 listens, 2 connects. `onPhase` lets a test act between steps;
   * `deafListener` makes side 1 hear the punch but none of ENet's datagrams.
   */
  async function pair(o: {
    onPhase?: (who: 1 | 2, phase: LinkPhase, side: Side) => void;
    deafListener?: boolean;
    /** The listener's ENet loses this many of the first datagrams that are not punch probes. */
    listenerLosesEnet?: number;
    connectMs?: number;
    /** Runs after both sockets are bound, before either runner begins. */
    beforeBegin?: (sides: [Side, Side]) => Promise<void>;
    /** Side 2 (a hostile lobby member) adds these to the candidates it sends. */
    extraCandidates?: Candidate[];
    /** Side 1 is told which of side 2's candidates it refused. */
    onRejected?: (rejected: readonly RejectedCandidate[]) => void;
    /** The service offers its relay; side 1 asks it for credentials through this. */
    listenerRelayAccess?: () => Promise<RelayAccess | undefined>;
    /** Side 1's STUN servers (its socket is gathered without any, so only its late ask goes to these). */
    listenerStun?: Endpoint[];
    /** Side 1's candidates never reach side 2, which so never probes: side 1 stays punching. */
    connectorHearsNothing?: boolean;
    /** Every candidate list a side sends. */
    onSend?: (who: 1 | 2, candidates: readonly Candidate[]) => void;
  } = {}): Promise<[Side, Side]> {
    const sides: Side[] = [];
    const make = async (ownId: 1 | 2, role: LinkRole): Promise<Side> => {
      const { socket, dgram } = await gatherCatchingSocket();
      const punchOnly = socket.host.intercept;
      if (ownId === 1 && o.deafListener === true && punchOnly !== null) {
        socket.host.intercept = (from, bytes) => {
          punchOnly(from, bytes);
          return true;
        };
      }
      let toLose = o.listenerLosesEnet ?? 0;
      if (ownId === 1 && toLose > 0 && punchOnly !== null) {
        socket.host.intercept = (from, bytes) => {
          if (punchOnly(from, bytes)) return true;
          if (toLose === 0) return false;
          toLose--;
          return true;
        };
      }
      let report!: (o: LinkOutcome) => void;
      const outcome = new Promise<LinkOutcome>((r) => (report = r));
      const phases: LinkPhase[] = [];
      const ctx: LinkContext = {
        ownId,
        start: { pairId: '7', remoteId: ownId === 1 ? 2 : 1, role, startAt: performance.now() },
        secret: new Uint8Array(16).fill(7),
        config,
        stunServers: (ownId === 1 ? o.listenerStun : undefined) ?? [],
        timeouts: { gatherMs: 2000, exchangeMs: 2000, punchMs: 3000, connectMs: o.connectMs ?? 3000 },
        prepared: Promise.resolve(socket),
        upnpGateway: () => Promise.resolve(undefined),
        now: () => performance.now(),
        natHint: () => undefined,
        relayOffered: o.listenerRelayAccess !== undefined,
        relayAccess: (ownId === 1 ? o.listenerRelayAccess : undefined) ?? (() => Promise.resolve(undefined)),
        // The service relays candidates to the other side of the pair.
        sendCandidates: (c) => {
          o.onSend?.(ownId, c);
          if (ownId === 1 && o.connectorHearsNothing === true) return;
          setImmediate(() => sides[ownId === 1 ? 1 : 0]!.runner.remoteCandidates(ownId === 2 ? [...c, ...(o.extraCandidates ?? [])] : c));
        },
        ...(ownId === 1 && o.onRejected !== undefined ? { onCandidatesRejected: o.onRejected } : {}),
        onPhase: (phase) => {
          phases.push(phase);
          o.onPhase?.(ownId, phase, side);
        },
        addMeshPeer: (host) => {
          side.handedOver = host;
        },
        onOutcome: report,
      };
      const side: Side = { runner: new LinkRunner(ctx), socket, dgram, phases, outcome, handedOver: undefined };
      cleanups.push(() => {
        side.runner.close();
        side.handedOver?.destroy();
      });
      return side;
    };
    sides.push(await make(1, 'listen'), await make(2, 'connect'));
    await o.beforeBegin?.([sides[0]!, sides[1]!]);
    for (const s of sides) s.runner.begin();
    return [sides[0]!, sides[1]!];
  }

  it('never probes the multicast, broadcast or LAN addresses a hostile member sends as candidates, and reports them (issue 13 item 7)', async () => {
    // At the highest priority, so they would be probed first (before the fix, 224.0.0.251 was).
    const hostile: Candidate[] = ([
      ['host', '224.0.0.251', 5353], ['srflx', '239.255.255.250', 1900], ['host', '255.255.255.255', 9],
      ['host', '169.254.169.254', 80], ['srflx', '10.0.0.1', 53], ['host', '0.0.0.0', 9],
    ] as const).map(([kind, address, port]) => ({ kind, family: 4, address, port, priority: 0x7fffffff }));
    let rejected: readonly RejectedCandidate[] = [];
    const sentTo = new Set<string>();
    const [a, b] = await pair({
      extraCandidates: hostile,
      onRejected: (r) => (rejected = r),
      beforeBegin: async ([listener]) => {
        const send = listener.dgram.send;
        listener.dgram.send = function (this: Socket, ...args: unknown[]) {
          // send(msg, [offset, length,] port, address, cb): the address is the last string argument.
          const address = args.filter((x) => typeof x === 'string').pop();
          sentTo.add(String(address));
          return (send as (...a: unknown[]) => void).apply(this, args);
        } as typeof send;
      },
    });
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 10_000, 'both outcomes');
    expect([oa.ok, ob.ok]).to.deep.equal([true, true]);
    expect([...sentTo]).to.deep.equal(['127.0.0.1']);
    expect(rejected.map((r) => `${r.address} ${r.reason}`)).to.deep.equal([
      '0.0.0.0 unspecified', '224.0.0.251 multicast', '239.255.255.250 multicast', '255.255.255.255 broadcast',
      '169.254.169.254 no-shared-lan', '10.0.0.1 private-not-host',
    ]);
  });

  it('gathers an IPv6 loopback link socket for bind ::1: an IPv6 host candidate, IPv4 STUN servers skipped (issue 12 item 9)', async () => {
    // The embedded STUN server of a service on 127.0.0.1 is IPv4: a ::1 socket cannot ask it.
    const socket = await gatherLinkSocket({ bindAddress: '::1', stunServers: [{ address: '127.0.0.1', port: 9 }] });
    cleanups.push(() => socket.host.destroy());
    expect(socket.candidates.map((c) => `${c.kind} ${c.address}:${c.port}`)).to.deep.equal([`host ::1:${socket.host.getLocalPort()}`]);
  });

  it('punches, completes the ENet handshake and hands each side its host', async () => {
    const [a, b] = await pair();
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 10_000, 'both outcomes');
    expect(oa.ok, JSON.stringify(oa)).to.equal(true);
    expect(ob.ok, JSON.stringify(ob)).to.equal(true);
    expect(a.phases).to.include.members(['punching', 'accepting', 'connected']);
    expect(b.phases).to.include.members(['punching', 'connecting', 'connected']);
    expect(a.handedOver).to.equal(a.socket.host);
    expect(b.handedOver).to.equal(b.socket.host);
    if (oa.ok && ob.ok) {
      expect(oa.path).to.equal('lan');
      expect(oa.remote.port).to.equal(b.socket.host.getLocalPort());
      expect(ob.remote.port).to.equal(a.socket.host.getLocalPort());
    }
  });

  it('fails the link at once (peer-lost) when its socket closes underneath during the handshake, instead of polling ERROR in a loop', async () => {
    let closed = false;
    // The listener runner's service() calls: how many answered ERROR, and how many it made after the first ERROR.
    const serviced = { errors: 0, callsAfterError: 0 };
    const [a] = await pair({
      // The connector's CONNECT never reaches the listener's ENet, so the handshake is pending
      // when the socket goes.
      deafListener: true,
      beforeBegin: async ([l]) => {
        const host = l.socket.host;
        const service = host.service.bind(host);
        host.service = async (timeoutMs?: number) => {
          if (serviced.errors > 0) serviced.callsAfterError++;
          const ev = await service(timeoutMs);
          if (ev.type === EventType.ERROR) serviced.errors++;
          return ev;
        };
      },
      onPhase: (who, phase, side) => {
        if (who !== 1 || phase !== 'accepting') return;
        closed = true;
        // The OS took the socket away: ENet's service() answers ERROR on every call from now on.
        side.dgram.close();
      },
    });
    const oa = await withinMs(a.outcome, 5_000, "the listener's outcome");
    expect(closed).to.equal(true);
    expect(oa).to.deep.include({ ok: false, reason: 'peer-lost', detail: 'the link socket failed during the ENet handshake' });
    expect(a.runner.machine.phase).to.equal('failed');
    expect(a.handedOver).to.equal(undefined);
    // The first ERROR ended the link and the runner never serviced the dead host again: no loop
    // polling it (before the fix: ERROR after ERROR until the deadline), none left behind.
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50));
    expect(serviced).to.deep.equal({ errors: 1, callsAfterError: 0 });
  });

  /** A CONNECT datagram as any ENet client sends it (captured from a throwaway core). */
  function connectDatagram(fill: number): Uint8Array {
    const c = new HostCore({ random: (out) => out.fill(fill) });
    c.connect('127.0.0.1', 1, 2, 0);
    const out = new Uint8Array(4096);
    return out.slice(0, c.pollTransmit(0, out, { address: '', port: 0 }));
  }

  it('a stranger\'s CONNECT sent to the listening port before the real peer\'s does not cut the link (issue 13 item 2)', async () => {
    const stranger = createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => stranger.close());
    const send = (port: number, fill: number): Promise<void> => new Promise((resolve, reject) => {
      stranger.send(connectDatagram(fill), port, '127.0.0.1', (err) => (err ? reject(err) : resolve()));
    });
    let listenerPort = 0;
    const [a, b] = await pair({
      // First CONNECT while the socket waits for its pair, a second once the listener punches:
      // before the fix the first took the listener's only slot for ≈ 32 s.
      beforeBegin: async ([l]) => {
        listenerPort = l.socket.host.getLocalPort();
        await send(listenerPort, 1);
        await new Promise((r) => setTimeout(r, 20));
      },
      onPhase: (who, phase) => {
        if (who === 1 && phase === 'punching') void send(listenerPort, 2);
      },
    });
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 12_000, 'both outcomes');
    expect(oa.ok, JSON.stringify(oa)).to.equal(true);
    expect(ob.ok, JSON.stringify(ob)).to.equal(true);
    // The stranger cost nothing: no slot, the first handshake attempt went through.
    expect(a.socket.host.statistics!.filteredConnects).to.be.at.least(1);
    expect(b.runner.machine.handshakeAttempts).to.equal(1);
    if (oa.ok) expect(oa.remote.port).to.equal(b.socket.host.getLocalPort());
  });

  it('the listen side with no mapping of its own (no STUN answer, no srflx) asks for the relay as punching begins, not RELAY_AFTER_MS later', async () => {
    // Gathered without a STUN answer, the listener's peer knows only its host address: only the
    // relay (its allocation's XOR-MAPPED-ADDRESS, then the relayed address) can tell it more.
    // The credentials never come here, so the direct punch decides the link.
    let asked = 0;
    // Read when the (loopback) direct path is proven: after the turn punching began in, long before
    // any RELAY_AFTER_MS timer.
    let askedWhenProven: number | undefined;
    const [a, b] = await pair({
      listenerRelayAccess: () => {
        asked++;
        return new Promise(() => undefined);
      },
      onPhase: (who, phase) => {
        if (who === 1 && phase === 'accepting') askedWhenProven = asked;
      },
    });
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 10_000, 'both outcomes');
    expect([oa.ok, ob.ok]).to.deep.equal([true, true]);
    expect(askedWhenProven).to.equal(1);
  });

  it('the listen side whose STUN answer was only late (its late ask is answered) does not allocate: it has a mapping', async () => {
    // A STUN server on 127.0.0.1 that maps every asker to 203.0.113.77:40000. The listener's
    // socket was gathered without it (no answer, as on a loaded machine), so its late ask goes
    // there. The connector never hears the listener's candidates, so it never probes and the
    // listener stays punching: only the late answer keeps it from allocating.
    const stun = createSocket('udp4');
    const out = new Uint8Array(128);
    stun.on('message', (msg, rinfo) => {
      const a = answerBindingRequest(msg, { address: '203.0.113.77', port: 40000 }, out);
      if (a.kind === 'success') stun.send(out.subarray(0, a.length), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => stun.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => stun.close());
    let asked = 0;
    let lateSrflx!: () => void;
    const sentSrflx = new Promise<void>((r) => (lateSrflx = r));
    await pair({
      listenerStun: [{ address: '127.0.0.1', port: stun.address().port }],
      connectorHearsNothing: true,
      listenerRelayAccess: () => {
        asked++;
        return new Promise(() => undefined);
      },
      onSend: (who, c) => {
        if (who === 1 && c.some((x) => x.kind === 'srflx' && x.address === '203.0.113.77')) lateSrflx();
      },
    });
    await withinMs(sentSrflx, 10_000, 'the late srflx candidate');
    // The late ask's answer and the relay decision are one turn: by the next, an allocation would have begun.
    await new Promise((r) => setImmediate(r));
    expect(asked).to.equal(0);
  });

  it('retries the ENet handshake when the first attempt is lost instead of failing the link', async () => {
    // The listener's ENet loses the first two datagrams (the CONNECT and its first retransmission,
    // 500 ms later): the first 800 ms attempt cannot finish; the second one does.
    const [a, b] = await pair({ listenerLosesEnet: 2, connectMs: 800 });
    const [oa, ob] = await withinMs(Promise.all([a.outcome, b.outcome]), 12_000, 'both outcomes');
    expect(oa.ok, JSON.stringify(oa)).to.equal(true);
    expect(ob.ok, JSON.stringify(ob)).to.equal(true);
    expect(b.runner.machine.handshakeAttempts).to.be.at.least(2);
  });
});
