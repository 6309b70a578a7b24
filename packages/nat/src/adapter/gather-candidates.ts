// Gathers one pair socket's candidates (adapter): host addresses of every usable interface,
// server-reflexive from STUN on that very socket, and a UPnP mapping made by the caller.
import { networkInterfaces } from 'node:os';
import { ipFamily } from '@meshpunch/base';
import { candidatePriority, hostCandidates, sortCandidates, type HostCandidateOptions, type RankedCandidate } from '../core/candidates.js';
import type { TransportAddress } from '../core/stun/binding.js';
import { stunBinding, type StunBindingResult } from './stun-binding.js';
import type { StunServerSpec } from './stun-server-address.js';
import type { DatagramTransport } from './transport.js';

/** Options of `gatherCandidates` (host-candidate filters included). */
export interface GatherOptions extends HostCandidateOptions {
  /** The socket's local port (host candidates use it). */
  port: number;
  /** STUN servers asked in parallel from the socket; the first answer gives the srflx candidate. */
  stunServers?: ReadonlyArray<string | StunServerSpec | TransportAddress>;
  /** Name resolution family (4 for udp4). */
  family?: 4 | 6;
  /** A verified UPnP/NAT-PMP mapping of this socket (from the IGD client): external address:port. */
  upnp?: TransportAddress;
  /** STUN schedule for gathering (default RTO 250 ms, 5 requests, ×4 wait: 4.75 s worst case). */
  rtoMs?: number;
  requestCount?: number;
  /** Interface list (default `os.networkInterfaces()`; tests pass their own). */
  interfaces?: ReturnType<typeof networkInterfaces>;
}

/** What `gatherCandidates` found. */
export interface GatherResult {
  /** Candidates, best first, unique by address:port. */
  readonly candidates: RankedCandidate[];
  /** Every STUN answer (the agent compares them for "mapping varies by destination"). */
  readonly reflexive: StunBindingResult[];
  /** One line per STUN server that failed. */
  readonly errors: string[];
}

/** Gathers host, srflx and upnp candidates for the socket behind `transport`. */
export async function gatherCandidates(transport: DatagramTransport, options: GatherOptions): Promise<GatherResult> {
  const list: RankedCandidate[] = hostCandidates(options.interfaces ?? networkInterfaces(), options.port, options);
  const errors: string[] = [];
  const reflexive: StunBindingResult[] = [];
  const results = await Promise.allSettled(
    (options.stunServers ?? []).map((s) =>
      stunBinding(transport, s, { family: options.family, rtoMs: options.rtoMs ?? 250, requestCount: options.requestCount ?? 5, lastWaitFactor: 4 }),
    ),
  );
  for (const r of results) {
    if (r.status === 'fulfilled') reflexive.push(r.value);
    else errors.push((r.reason as Error).message);
  }
  for (const r of reflexive) {
    const isHost = list.some((c) => c.address === r.mapped.address && c.port === r.mapped.port);
    if (!isHost) list.push({ kind: 'srflx', family: r.mapped.family, address: r.mapped.address, port: r.mapped.port, priority: candidatePriority('srflx') });
  }
  if (options.upnp) list.push({ kind: 'upnp', family: ipFamily(options.upnp.address) === 6 ? 6 : 4, address: options.upnp.address, port: options.upnp.port, priority: candidatePriority('upnp') });
  return { candidates: sortCandidates(list), reflexive, errors };
}
