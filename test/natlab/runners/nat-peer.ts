// NAT lab runner (runs inside a LAN host's namespace): a long-lived peer that drives
// @meshpunch/nat's sans-IO cores (NatDiscovery, PunchMachine) over real dgram sockets, as the
// agent will. Commands arrive as JSON lines on stdin, answers leave as JSON lines on stdout
// (each carries the command's id):
//   {"id","cmd":"discover","port"}                  RFC 5780 discovery from a fresh socket → report
//   {"id","cmd":"gather","port","upnp"?}            bind port, discover, (map with UPnP) → candidates + NAT profile
//   {"id","cmd":"punch","port","role","pairId","secret","startAtEpochMs","remoteCandidates","remoteNat","timeoutMs","holdMs"?}
//                                                   punch from the gathered socket → result, timeline; keeps the
//                                                   path (keepalives) for holdMs (default 1500), then closes the socket
//   {"id","cmd":"quit"}
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import {
  candidatePriority,
  NatDiscovery,
  nodeHmacSha1,
  nodeRandom,
  openUpnpMapping,
  PunchMachine,
  type RankedCandidate,
  type NatDiscoveryReport,
  type NatProfile,
  type UpnpPortMapping,
} from '@meshpunch/nat';

/** The STUN server of the lab (coturn, RFC 5780), as lab.ts places it. */
const STUN = { address: '203.0.113.10', port: 3478 };
const HOST_IP = process.argv[2] ?? '';

interface Core {
  handleDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): unknown;
  handleTimeout(now: number): void;
  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number;
  pollTimeout(): number | undefined;
}

const now = (): number => Math.floor(performance.now());

/** One UDP socket driving one sans-IO core at a time (docs/design.md §2 adapter loop). */
class SocketDriver {
  core: Core | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly out = new Uint8Array(1500);
  private readonly to = { address: '', port: 0 };
  onChange: (() => void) | undefined;

  constructor(readonly sock: Socket) {
    sock.on('message', (msg, rinfo) => {
      if (!this.core) return;
      this.core.handleDatagram(now(), { address: rinfo.address, port: rinfo.port }, msg);
      this.pump();
    });
  }

  run(core: Core): void {
    this.core = core;
    this.pump();
  }

  pump(): void {
    const core = this.core;
    if (!core) return;
    const t = now();
    for (let i = 0; i < 256; i++) {
      const n = core.pollTransmit(t, this.out, this.to);
      if (n === 0) break;
      // dgram may read the bytes after send() returns: hand it a copy (docs/design.md §5.6).
      this.sock.send(Buffer.from(this.out.subarray(0, n)), this.to.port, this.to.address);
    }
    this.onChange?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = core.pollTimeout();
    if (due !== undefined && this.core === core) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        core.handleTimeout(now());
        this.pump();
      }, Math.max(0, due - now()));
    }
  }

  stop(): void {
    this.core = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function bind(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, () => resolve(s));
  });
}

async function discover(driver: SocketDriver, port: number): Promise<NatDiscoveryReport> {
  const d = new NatDiscovery({ random: nodeRandom, servers: [STUN], localAddresses: [{ address: HOST_IP, port }], now: now() });
  return new Promise((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error('discovery did not finish within 20 s')), 20_000);
    driver.onChange = () => {
      if (d.report) {
        clearTimeout(limit);
        driver.onChange = undefined;
        driver.stop();
        resolve(d.report);
      }
    };
    driver.run(d);
  });
}

interface Session {
  driver: SocketDriver;
  upnp: UpnpPortMapping | undefined;
  nat: NatProfile;
  /** Our candidates on this socket: the punch decides by them which remote address classes it may probe. */
  candidates: RankedCandidate[];
}
const sessions = new Map<number, Session>();

function summary(r: NatDiscoveryReport): Record<string, unknown> {
  return { udp: r.udp, mappedAddress: r.mappedAddress, mapping: r.mapping, filtering: r.filtering, portAllocation: r.portAllocation,
    rfc5780: r.rfc5780, durationMs: r.durationMs, samples: r.samples };
}

async function handle(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
  const port = Number(msg.port);
  switch (msg.cmd) {
    case 'discover': {
      const driver = new SocketDriver(await bind(port));
      try {
        return { report: summary(await discover(driver, port)) };
      } finally {
        driver.sock.close();
      }
    }
    case 'gather': {
      const driver = new SocketDriver(await bind(port));
      const report = await discover(driver, port);
      const candidates: RankedCandidate[] = [{ kind: 'host', family: 4, address: HOST_IP, port, priority: candidatePriority('host') }];
      if (report.mappedAddress && (report.mappedAddress.address !== HOST_IP || report.mappedAddress.port !== port)) {
        candidates.push({ kind: 'srflx', family: 4, address: report.mappedAddress.address, port: report.mappedAddress.port, priority: candidatePriority('srflx') });
      }
      let upnp: UpnpPortMapping | undefined;
      if (msg.upnp === true) {
        upnp = await openUpnpMapping({ internalPort: port, leaseS: 300, discover: { timeoutMs: 4000 } });
        candidates.push({ kind: 'upnp', family: 4, address: upnp.externalAddress, port: upnp.externalPort, priority: candidatePriority('upnp') });
      }
      const nat: NatProfile = { mapping: report.mapping, filtering: report.filtering };
      sessions.set(port, { driver, upnp, nat, candidates });
      return { candidates, nat, report: summary(report) };
    }
    case 'punch': {
      const s = sessions.get(port);
      if (!s) throw new Error(`no gathered socket on port ${port}`);
      const startAt = Math.floor(performance.now() + (Number(msg.startAtEpochMs) - Date.now()));
      const m = new PunchMachine({
        role: msg.role as 'connect' | 'listen', pairId: String(msg.pairId), secret: String(msg.secret), startAt: Math.max(0, startAt),
        remoteCandidates: msg.remoteCandidates as RankedCandidate[], localCandidates: s.candidates, random: nodeRandom, hmacSha1: nodeHmacSha1,
        localNat: s.nat, remoteNat: msg.remoteNat as NatProfile, timeoutMs: Number(msg.timeoutMs ?? 10_000),
      });
      const result = await new Promise<Record<string, unknown>>((resolve) => {
        // Bounded: the machine fails by itself after timeoutMs; this is a second fence.
        const fence = setTimeout(() => resolve({ state: 'hung' }), Number(msg.timeoutMs ?? 10_000) + 5000);
        s.driver.onChange = () => {
          if (m.state === 'selected' || m.state === 'failed') {
            // Keep answering the peer's checks briefly so its side can prove the path too
            // (or for holdMs, to watch the keepalives hold the NAT bindings open).
            s.driver.onChange = undefined;
            clearTimeout(fence);
            const sel = m.selected;
            const responsesAtSelection = m.counters.validResponses;
            const holdMs = Math.min(60_000, Number(msg.holdMs ?? 1500));
            const out = {
              state: m.state, failure: m.failure,
              selected: sel ? { address: sel.address, port: sel.port, path: sel.path, candidateKind: sel.candidateKind, rttMs: sel.rttMs,
                msFromStart: sel.provenAt - startAt } : undefined,
              timeline: m.timeline().map((t) => ({ address: t.address, port: t.port, kind: t.kind, path: t.path, sent: t.requestsSent,
                received: t.requestsReceived, provenMs: t.provenAt === undefined ? undefined : t.provenAt - startAt })),
              counters: m.counters,
            };
            setTimeout(() => resolve({ ...out, endState: m.state, endFailure: m.failure,
              responsesDuringHold: m.counters.validResponses - responsesAtSelection, requestsAtEnd: m.counters.requestsSent }), holdMs);
          }
        };
        s.driver.run(m);
      });
      s.driver.stop();
      await s.upnp?.close().catch(() => undefined);
      s.driver.sock.close();
      sessions.delete(port);
      return result;
    }
    default:
      throw new Error(`unknown command ${String(msg.cmd)}`);
  }
}

console.log(JSON.stringify({ event: 'ready', host: HOST_IP }));
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let msg: Record<string, unknown>;
  try {
    msg = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  if (msg.cmd === 'quit') {
    for (const s of sessions.values()) s.driver.sock.close();
    process.exit(0);
  }
  handle(msg).then(
    (r) => console.log(JSON.stringify({ id: msg.id, ok: true, ...r })),
    (err: unknown) => console.log(JSON.stringify({ id: msg.id, ok: false, error: String((err as Error)?.message ?? err),
      code: (err as { code?: string })?.code })),
  );
});
// Bounded life: a peer never outlives 10 minutes even if the test forgets it.
setTimeout(() => process.exit(3), 600_000).unref();
