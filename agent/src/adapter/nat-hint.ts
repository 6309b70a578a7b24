// The NAT hint a session sends with its candidates (adapter; relay.md §3 "Predicted"): RFC 5780
// discovery once per session on a throwaway socket — mapping from two STUN destinations,
// filtering from CHANGE-REQUEST — since the NAT, not the link socket, decides both. Links that
// start before it finishes send no hint (the other side then waits RELAY_AFTER_MS, as for any
// pair not predicted hard).

import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { NatHint } from '@meshpunch/protocol';
import type { Endpoint } from '../core/endpoint.js';

/** Discovery's schedule: RTO 200 ms, 3 requests; filtering tests 2 requests (a filtered answer never comes). */
const RTO_MS = 200;
const REQUESTS = 3;
const FILTERING_REQUESTS = 2;
/** Longest the whole discovery may take, ms; past it the hint stays unknown. */
const HINT_LIMIT_MS = 4000;

/**
 * Discovers this machine's NAT behaviour against `servers` (the first should answer RFC 5780
 * CHANGE-REQUEST, like coturn). Resolves undefined when nothing could be learnt; never rejects.
 */
export async function discoverNatHint(servers: readonly Endpoint[]): Promise<NatHint | undefined> {
  const v4 = servers.filter((s) => !s.address.includes(':'));
  if (v4.length === 0) return undefined;
  const sock = createSocket('udp4');
  sock.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, () => resolve());
    });
    const { discoverNat, udpTransport } = await import('@meshpunch/nat');
    const t = udpTransport(sock);
    const port = sock.address().port;
    const local: Endpoint[] = [];
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') local.push({ address: a.address, port });
    const limit = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), HINT_LIMIT_MS)));
    const d = await Promise.race([
      discoverNat(t, { servers: v4, localAddresses: local, family: 4, rtoMs: RTO_MS, requestCount: REQUESTS, filteringRtoMs: RTO_MS, filteringRequestCount: FILTERING_REQUESTS }),
      limit,
    ]);
    t.detach();
    if (d === undefined || d.mapping === undefined) return undefined;
    const mapping = d.mapping as NatHint['mapping'];
    const filtering = (d.filtering === undefined || (d.filtering as string) === 'none' ? 'unknown' : d.filtering) as NatHint['filtering'];
    return { mapping, filtering };
  } catch {
    return undefined;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    sock.close();
  }
}
