// Candidate gathering for one link's socket (adapter): host candidates from the interfaces (or
// the bind address), server-reflexive ones from STUN sent through the same socket (DESIGN.md
// rule 2: one socket, one mapping), and a UPnP mapping when enabled.

import { networkInterfaces } from 'node:os';
import { nodeRandom, StunClient, type StunClientEvent } from '@meshpunch/nat';
import type { Endpoint } from '../core/endpoint.js';
import type { CoreDriver } from './core-driver.js';

/** Candidate kinds on the wire (protocol `CandidateKind`). */
export type GatheredKind = 'host' | 'srflx' | 'upnp' | 'relay';

/** One local candidate of a link. */
export interface GatheredCandidate {
  readonly kind: GatheredKind;
  readonly address: string;
  readonly port: number;
  /** RFC 8445 §5.1.2.1 priority. */
  readonly priority: number;
}

/** RFC 8445 §5.1.2.2 type preferences; UPnP just above srflx (it passes any filtering). */
const TYPE_PREF: Record<GatheredKind, number> = { host: 126, upnp: 105, srflx: 100, relay: 0 };

/** RFC 8445 §5.1.2.1: 2^24·type + 2^8·local + (256 − component 1). */
export function priorityOf(kind: GatheredKind, localPref: number): number {
  return TYPE_PREF[kind] * 2 ** 24 + Math.max(0, Math.min(65535, localPref)) * 2 ** 8 + 255;
}

/**
 * STUN schedule for gathering: RTO 200 ms, 3 requests, then 4 RTOs of silence (gives up after
 * 200+400+800 ms = 1.4 s). Shorter than RFC 8489's 39.5 s because a link attempt is bounded and
 * the candidates are needed before the scheduled punch (the service schedules ~1 s ahead).
 */
const STUN_RTO_MS = 200;
const STUN_REQUESTS = 3;
const STUN_LAST_WAIT = 4;

/** Inputs of gatherCandidates. */
export interface GatherOptions {
  readonly driver: CoreDriver;
  readonly localPort: number;
  readonly bindAddress: string;
  readonly stunServers: readonly Endpoint[];
  readonly upnp: boolean;
  now(): number;
}

/** Host addresses: the bind address when specific, else every non-internal IPv4 interface address. */
export function hostAddresses(bindAddress: string): string[] {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::') return [bindAddress];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const v4 = a.family === 'IPv4' || (a.family as unknown) === 4;
      if (!a.internal && v4 && !a.address.startsWith('169.254.')) out.push(a.address);
    }
  }
  // A machine with no LAN interface still has loopback: peers on the same host reach it there.
  if (out.length === 0) out.push('127.0.0.1');
  return out;
}

/** Asks every STUN server once through the link's socket; resolves with the answers (maybe none). */
function stunMappings(o: GatherOptions): Promise<Array<{ mapped: Endpoint; rttMs: number }>> {
  if (o.stunServers.length === 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    const client = new StunClient({ random: nodeRandom, rtoMs: STUN_RTO_MS, requestCount: STUN_REQUESTS, lastWaitFactor: STUN_LAST_WAIT });
    const out: Array<{ mapped: Endpoint; rttMs: number }> = [];
    let left = o.stunServers.length;
    const onEvent = (e: StunClientEvent): void => {
      if (e.type === 'stunSuccess') out.push({ mapped: { address: e.mapped.address, port: e.mapped.port }, rttMs: e.rttMs });
      left--;
      if (left === 0) {
        o.driver.remove(client);
        resolve(out);
      }
    };
    o.driver.add(client, onEvent);
    const now = Math.floor(o.now());
    for (const s of o.stunServers) client.request(now, { address: s.address, port: s.port });
    o.driver.pump();
  });
}

/**
 * Gathers the link's candidates. Host candidates are always there; STUN and UPnP failures only
 * mean fewer candidates.
 */
export async function gatherCandidates(o: GatherOptions): Promise<GatheredCandidate[]> {
  const out: GatheredCandidate[] = [];
  const seen = new Set<string>();
  const add = (kind: GatheredKind, address: string, port: number, localPref: number): void => {
    const key = `${address}|${port}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ kind, address, port, priority: priorityOf(kind, localPref) });
  };
  const hosts = hostAddresses(o.bindAddress);
  hosts.forEach((a, i) => add('host', a, o.localPort, 65535 - i));
  const [mapped, upnp] = await Promise.all([stunMappings(o), o.upnp ? upnpMapping(o) : Promise.resolve(undefined)]);
  mapped.forEach((m, i) => add('srflx', m.mapped.address, m.mapped.port, 65535 - i));
  if (upnp !== undefined) add('upnp', upnp.address, upnp.port, 65535);
  return out.sort((a, b) => b.priority - a.priority);
}

/** UPnP mapping for the link's port; undefined when no gateway answers. */
async function upnpMapping(_o: GatherOptions): Promise<Endpoint | undefined> {
  return undefined;
}
