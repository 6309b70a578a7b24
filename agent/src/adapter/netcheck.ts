// `meshpunch netcheck` (adapter): STUN from plain UDP sockets with the nat package's sans-IO
// client; RFC 5780 §4.3 mapping and §4.4 filtering tests when the server has an alternate
// address, a port-allocation sample from fresh sockets, the UPnP gateway when asked.

import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { nodeRandom, StunClient, type StunClientEvent, type StunRequestOptions } from '@meshpunch/nat';
import { formatEndpoint, type Endpoint } from '../core/endpoint.js';
import { classifyPortAllocation, netcheckVerdict, type NatBehavior, type NetcheckReport, type UpnpReport } from '../core/netcheck-verdict.js';
import type { NetcheckFlags } from '../cli/flags.js';
import { CoreDriver } from './core-driver.js';
import { probeUpnp } from './upnp.js';

/**
 * Netcheck's STUN schedule: RTO 250 ms, 3 requests, 4 RTOs of silence → a test that gets no
 * answer ends after 250+500+1000 ms = 1.75 s (tailscale netcheck's STUN phase is 3 s).
 */
const RTO_MS = 250;
const REQUESTS = 3;
const LAST_WAIT = 4;

interface StunAnswer {
  readonly mapped: Endpoint;
  readonly other: Endpoint | undefined;
  readonly rttMs: number;
}

/** One UDP socket with a STUN client on it. */
class StunSocket {
  readonly client = new StunClient({ random: nodeRandom, rtoMs: RTO_MS, requestCount: REQUESTS, lastWaitFactor: LAST_WAIT });
  private readonly sock: Socket;
  private readonly driver: CoreDriver;
  private readonly waiting = new Map<number, (a: StunAnswer | undefined) => void>();
  localPort = 0;

  constructor() {
    this.sock = createSocket('udp4');
    this.driver = new CoreDriver({ socketSend: (a, p, b) => this.sock.send(b, p, a) }, () => performance.now());
    this.sock.on('message', (msg, rinfo) => {
      this.driver.intercept({ address: rinfo.address, port: rinfo.port }, new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    });
    this.sock.on('error', () => {
      // ICMP errors on an unconnected socket: the transaction just times out.
    });
    this.driver.add(this.client, (e: StunClientEvent) => {
      const done = this.waiting.get(e.id);
      if (done === undefined) return;
      this.waiting.delete(e.id);
      if (e.type === 'stunSuccess') {
        done({ mapped: { address: e.mapped.address, port: e.mapped.port }, other: e.otherAddress === undefined ? undefined : { address: e.otherAddress.address, port: e.otherAddress.port }, rttMs: e.rttMs });
      } else done(undefined);
    });
  }

  bind(address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock.once('error', reject);
      this.sock.bind(0, address, () => {
        this.sock.off('error', reject);
        this.localPort = this.sock.address().port;
        resolve();
      });
    });
  }

  ask(server: Endpoint, options: StunRequestOptions = {}): Promise<StunAnswer | undefined> {
    return new Promise((resolve) => {
      const id = this.client.request(Math.floor(performance.now()), server, options);
      this.waiting.set(id, resolve);
      this.driver.pump();
    });
  }

  close(): void {
    this.driver.stop();
    this.sock.close();
  }
}

function same(a: Endpoint | undefined, b: Endpoint | undefined): boolean {
  return a !== undefined && b !== undefined && a.address === b.address && a.port === b.port;
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

/**
 * Runs the whole check within `flags.timeoutS`.
 * @throws AgentError-like Error when no socket can be opened.
 */
export async function runNetcheck(flags: NetcheckFlags, bindAddress = '0.0.0.0'): Promise<NetcheckReport> {
  const sockets: StunSocket[] = [];
  const open = async (): Promise<StunSocket> => {
    const s = new StunSocket();
    sockets.push(s);
    await s.bind(bindAddress);
    return s;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = check(flags, open);
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`netcheck did not finish within ${flags.timeoutS} s`)), flags.timeoutS * 1000);
    });
    return await Promise.race([work, limit]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    for (const s of sockets) s.close();
  }
}

async function check(flags: NetcheckFlags, open: () => Promise<StunSocket>): Promise<NetcheckReport> {
  const main = await open();
  const upnpWork: Promise<UpnpReport | null> = flags.upnp ? probeUpnp() : Promise.resolve(null);
  // Test I against every server (RFC 5780 §4.3).
  const first = await Promise.all(flags.stun.map((s) => main.ask(s)));
  const stunRttMs: Record<string, number | null> = {};
  flags.stun.forEach((s, i) => (stunRttMs[formatEndpoint(s)] = first[i] === undefined ? null : Math.round(first[i]!.rttMs * 10) / 10));
  const answered = first.findIndex((a) => a !== undefined);
  const udp = answered >= 0;
  let mapping: NatBehavior = 'unknown';
  let filtering: NatBehavior = 'unknown';
  let publicAddress: string | null = null;
  let natPresent = true;
  const samples: Array<{ localPort: number; publicPort: number }> = [];
  if (udp) {
    const server = flags.stun[answered]!;
    const a1 = first[answered]!;
    publicAddress = formatEndpoint(a1.mapped);
    samples.push({ localPort: main.localPort, publicPort: a1.mapped.port });
    natPresent = !(localAddresses().has(a1.mapped.address) && a1.mapped.port === main.localPort);
    if (!natPresent) mapping = 'none';
    else if (a1.other !== undefined) {
      // Test II: the alternate address, primary port. Same mapping → endpoint-independent.
      const a2 = await main.ask({ address: a1.other.address, port: server.port });
      if (a2 !== undefined) {
        if (same(a2.mapped, a1.mapped)) mapping = 'endpoint-independent';
        else {
          // Test III: alternate address and port. Same as II → address-dependent.
          const a3 = await main.ask(a1.other);
          if (a3 !== undefined) mapping = same(a3.mapped, a2.mapped) ? 'address-dependent' : 'address-and-port-dependent';
        }
      }
    } else {
      // No RFC 5780 server: compare servers (tailscale's MappingVariesByDestIP).
      const others = first.filter((a, i) => a !== undefined && flags.stun[i]!.address !== server.address);
      if (others.length > 0) mapping = others.every((a) => same(a!.mapped, a1.mapped)) ? 'endpoint-independent' : 'address-and-port-dependent';
    }
    if (a1.other !== undefined) {
      // Filtering on a fresh socket (test II above opened the alternate address on `main`):
      // plain request (a port sample), change IP+port, change port only — in parallel.
      const f = await open();
      const [plain, both, port] = await Promise.all([f.ask(server), f.ask(server, { changeRequest: { changeIp: true, changePort: true } }), f.ask(server, { changeRequest: { changeIp: false, changePort: true } })]);
      if (plain !== undefined) samples.push({ localPort: f.localPort, publicPort: plain.mapped.port });
      filtering = both !== undefined ? 'endpoint-independent' : port !== undefined ? 'address-dependent' : 'address-and-port-dependent';
    }
    const extra = await open();
    const e = await extra.ask(server);
    if (e !== undefined) samples.push({ localPort: extra.localPort, publicPort: e.mapped.port });
  }
  const upnp = await upnpWork;
  return {
    udp,
    publicAddress,
    publicAddressV6: null,
    mappingBehavior: mapping,
    filteringBehavior: filtering,
    portAllocation: udp ? classifyPortAllocation(samples, natPresent) : 'unknown',
    upnp,
    stunRttMs,
    verdict: netcheckVerdict({ udp, mappingBehavior: mapping, filteringBehavior: filtering, upnpAvailable: upnp?.available === true }),
  };
}
