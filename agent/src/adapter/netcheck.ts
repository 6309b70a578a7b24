// `meshpunch netcheck` (adapter): one UDP socket, the STUN RTT of every server, the nat package's
// RFC 5780 discovery (mapping, filtering, port allocation from extra sockets), and the UPnP
// gateway when asked; turned into the report of docs/cli.md.

import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { discoverNat, discoverUpnpGateway, stunBinding, udpTransport, type UdpTransport } from '@meshpunch/nat';
import type { NetcheckFlags } from '../cli/flags.js';
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

/**
 * Runs the whole check within `flags.timeoutS`.
 * @throws Error when the socket cannot be opened or the time limit passes.
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
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`netcheck did not finish within ${flags.timeoutS} s`)), flags.timeoutS * 1000);
    });
    return await Promise.race([check(flags, t, sock.address().port), limit]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    t.detach();
    sock.close();
  }
}

/** Our public IPv6 endpoint from the first IPv6 STUN server that answers, on a udp6 socket; null without one. */
async function publicV6(servers: readonly Endpoint[]): Promise<{ address: string | null; rtt: Map<Endpoint, number> }> {
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
    const rs = await Promise.allSettled(servers.map((s) => stunBinding(t, { address: s.address, port: s.port }, { family: 6, rtoMs: RTT_RTO_MS, requestCount: RTT_REQUESTS, lastWaitFactor: 4 })));
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

async function check(flags: NetcheckFlags, t: UdpTransport, port: number): Promise<NetcheckReport> {
  const upnpWork: Promise<UpnpReport | null> = flags.upnp ? probeUpnp() : Promise.resolve(null);
  const v6Servers = flags.stun.filter((s) => s.address.includes(':'));
  const v6Work = publicV6(v6Servers);
  const v4 = flags.stun.filter((s) => !s.address.includes(':'));
  const servers = v4.map((s) => ({ address: s.address, port: s.port }));
  const rtts = await Promise.allSettled(servers.map((s) => stunBinding(t, s, { family: 4, rtoMs: RTT_RTO_MS, requestCount: RTT_REQUESTS, lastWaitFactor: 4 })));
  const v6 = await v6Work;
  const stunRttMs: Record<string, number | null> = {};
  v4.forEach((s, i) => {
    const r = rtts[i]!;
    stunRttMs[formatEndpoint(s)] = r.status === 'fulfilled' ? Math.round(r.value.rttMs * 10) / 10 : null;
  });
  for (const s of v6Servers) {
    const ms = v6.rtt.get(s);
    stunRttMs[formatEndpoint(s)] = ms === undefined ? null : Math.round(ms * 10) / 10;
  }
  // Discovery starts with the first server that answered (the RFC 5780 one comes first by convention).
  const firstOk = rtts.findIndex((r) => r.status === 'fulfilled');
  const ordered = firstOk <= 0 ? servers : [servers[firstOk]!, ...servers.filter((_, i) => i !== firstOk)];
  const d = servers.length === 0 ? undefined : await discoverNat(t, { servers: ordered, localAddresses: localEndpoints(port), family: 4, portSamples: PORT_SAMPLES });
  const upnp = await upnpWork;
  const mapping = (d?.mapping ?? 'unknown') as NatBehavior;
  const filtering = (d?.filtering ?? 'unknown') as NatBehavior;
  const udp = d?.udp === true || v6.address !== null;
  return {
    udp,
    publicAddress: d?.mappedAddress === undefined ? null : formatEndpoint(d.mappedAddress),
    publicAddressV6: v6.address,
    mappingBehavior: mapping,
    filteringBehavior: filtering,
    portAllocation: (mapping === 'none' ? 'none' : d?.portAllocation ?? 'unknown') as PortAllocation,
    upnp,
    stunRttMs,
    verdict: netcheckVerdict({ udp, mappingBehavior: mapping, filteringBehavior: filtering, upnpAvailable: upnp?.available === true }),
  };
}
