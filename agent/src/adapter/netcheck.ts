// `meshpunch netcheck` (adapter): one UDP socket, the STUN RTT of every server, the nat package's
// RFC 5780 discovery (mapping, filtering, port allocation from extra sockets), and the UPnP
// gateway when asked; turned into the report of docs/cli.md. The report is printed in every case:
// no STUN answer gives `udp: false` at once (discovery needs an answer), and at the time limit
// what is known so far is reported (issue #12 item 7).

import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { discoverNat, discoverUpnpGateway, stunBinding, udpTransport, type UdpTransport } from '@meshpunch/nat';
import type { NetcheckFlags } from '../cli/flags.js';
import { addressClass, hostOf } from '../core/address-class.js';
import { formatEndpoint, type Endpoint } from '../core/endpoint.js';
import { netcheckVerdict, type NatBehavior, type NetcheckReport, type PortAllocation, type UpnpReport } from '../core/netcheck-verdict.js';

/** Netcheck's STUN schedule for the RTT probes: RTO 250 ms, 3 requests (gives up after 1.75 s). */
const RTT_RTO_MS = 250;
const RTT_REQUESTS = 3;
/** Extra sockets for the port-allocation pattern (discoverNat's cap is 8; 3 samples tell the patterns apart). */
const PORT_SAMPLES = 2;
/** SSDP search time for netcheck, ms. */
const UPNP_SEARCH_MS = 2500;

/** Looks for a UPnP IGD on the LAN and asks its external address. Never rejects. */
export async function probeUpnp(): Promise<UpnpReport> {
  try {
    const gw = await discoverUpnpGateway({ timeoutMs: UPNP_SEARCH_MS });
    let external: string | null = null;
    try {
      external = await gw.getExternalAddress();
    } catch {
      external = null;
    }
    return { available: true, gateway: gw.location, externalAddress: external, detail: `IGDv${gw.igdVersion}` };
  } catch (err) {
    return { available: false, gateway: null, externalAddress: null, detail: (err as Error).message.split('\n')[0]! };
  }
}

function localEndpoints(port: number): Endpoint[] {
  const out: Endpoint[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') out.push({ address: a.address, port });
  return out;
}

/** What the check has learnt so far; the report at the time limit is made from it. */
interface Partial {
  stunRttMs: Record<string, number | null>;
  publicAddress: string | null;
  publicAddressV6: string | null;
  upnp: UpnpReport | null;
}

/** The report from what is known, with the verdict. */
function makeReport(p: Partial, d: { mapping: NatBehavior; filtering: NatBehavior; portAllocation: PortAllocation } | undefined, upnpWanted: boolean, timedOut: boolean): NetcheckReport {
  const udp = p.publicAddress !== null || p.publicAddressV6 !== null;
  const mapping = d?.mapping ?? 'unknown';
  const filtering = d?.filtering ?? 'unknown';
  const upnp = p.upnp ?? (upnpWanted ? { available: false, gateway: null, externalAddress: null, detail: 'the time limit passed before the search ended' } : null);
  return {
    udp,
    publicAddress: p.publicAddress,
    addressClass: p.publicAddress === null ? null : addressClass(hostOf(p.publicAddress)),
    publicAddressV6: p.publicAddressV6,
    mappingBehavior: mapping,
    filteringBehavior: filtering,
    portAllocation: mapping === 'none' ? 'none' : d?.portAllocation ?? 'unknown',
    upnp,
    stunRttMs: p.stunRttMs,
    verdict: netcheckVerdict({ udp, mappingBehavior: mapping, filteringBehavior: filtering, upnpAvailable: upnp?.available === true, mappedAddress: p.publicAddress, timedOut }),
  };
}

/**
 * Runs the whole check within `flags.timeoutS`; at the limit, resolves with what it learnt so
 * far (servers that had not answered are `null`, behaviours `unknown`).
 * @throws Error when the socket cannot be opened.
 */
export async function runNetcheck(flags: NetcheckFlags): Promise<NetcheckReport> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  sock.on('error', () => {
    // ICMP errors on an unconnected socket: the STUN transaction just times out.
  });
  const t = udpTransport(sock);
  const partial: Partial = { stunRttMs: {}, publicAddress: null, publicAddressV6: null, upnp: null };
  for (const s of flags.stun) partial.stunRttMs[formatEndpoint(s)] = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<NetcheckReport>((resolve) => {
      timer = setTimeout(() => resolve(makeReport(partial, undefined, flags.upnp, true)), flags.timeoutS * 1000);
    });
    return await Promise.race([check(flags, t, sock.address().port, partial), limit]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    t.detach();
    sock.close();
  }
}

/**
 * Our public IPv6 endpoint from the first IPv6 STUN server that answers, on a udp6 socket; null
 * without one. Answers are written into `partial` as they come.
 */
async function publicV6(servers: readonly Endpoint[], partial: Partial): Promise<{ address: string | null; rtt: Map<Endpoint, number> }> {
  const rtt = new Map<Endpoint, number>();
  if (servers.length === 0) return { address: null, rtt };
  const sock = createSocket({ type: 'udp6', ipv6Only: true });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, () => {
        sock.off('error', reject);
        resolve();
      });
    });
  } catch {
    sock.close();
    return { address: null, rtt };
  }
  sock.on('error', () => {});
  const t = udpTransport(sock);
  try {
    const rs = await Promise.allSettled(servers.map(async (s) => {
      const r = await stunBinding(t, { address: s.address, port: s.port }, { family: 6, rtoMs: RTT_RTO_MS, requestCount: RTT_REQUESTS, lastWaitFactor: 4 });
      partial.stunRttMs[formatEndpoint(s)] = Math.round(r.rttMs * 10) / 10;
      partial.publicAddressV6 ??= formatEndpoint(r.mapped);
      return r;
    }));
    let address: string | null = null;
    rs.forEach((r, i) => {
      if (r.status !== 'fulfilled') return;
      rtt.set(servers[i]!, r.value.rttMs);
      address ??= formatEndpoint(r.value.mapped);
    });
    return { address, rtt };
  } finally {
    t.detach();
    sock.close();
  }
}

async function check(flags: NetcheckFlags, t: UdpTransport, port: number, partial: Partial): Promise<NetcheckReport> {
  const upnpWork: Promise<UpnpReport | null> = flags.upnp ? probeUpnp().then((u) => (partial.upnp = u)) : Promise.resolve(null);
  const v6Servers = flags.stun.filter((s) => s.address.includes(':'));
  const v6Work = publicV6(v6Servers, partial);
  const v4 = flags.stun.filter((s) => !s.address.includes(':'));
  const servers = v4.map((s) => ({ address: s.address, port: s.port }));
  const rtts = await Promise.allSettled(servers.map(async (s) => {
    const r = await stunBinding(t, s, { family: 4, rtoMs: RTT_RTO_MS, requestCount: RTT_REQUESTS, lastWaitFactor: 4 });
    partial.stunRttMs[formatEndpoint(s)] = Math.round(r.rttMs * 10) / 10;
    return r;
  }));
  // Discovery starts with the first server that answered (the RFC 5780 one comes first by
  // convention). Without any answer there is nothing to discover: asking again would only run
  // discovery's own retransmissions into the time limit.
  const firstOk = rtts.findIndex((r) => r.status === 'fulfilled');
  const first = rtts[firstOk];
  if (first?.status === 'fulfilled') partial.publicAddress = formatEndpoint(first.value.mapped);
  const ordered = firstOk <= 0 ? servers : [servers[firstOk]!, ...servers.filter((_, i) => i !== firstOk)];
  const d = firstOk < 0 ? undefined : await discoverNat(t, { servers: ordered, localAddresses: localEndpoints(port), family: 4, portSamples: PORT_SAMPLES });
  if (d?.mappedAddress !== undefined) partial.publicAddress = formatEndpoint(d.mappedAddress);
  await v6Work;
  await upnpWork;
  const behavior = d === undefined ? undefined : {
    mapping: (d.mapping ?? 'unknown') as NatBehavior,
    filtering: (d.filtering ?? 'unknown') as NatBehavior,
    portAllocation: (d.portAllocation ?? 'unknown') as PortAllocation,
  };
  return makeReport(partial, behavior, flags.upnp, false);
}
