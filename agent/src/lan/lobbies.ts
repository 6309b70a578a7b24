// `meshpunch lobbies --lan` (adapter, issue #16): asks the LAN for meshpunch agents over mDNS
// and sums their adverts up per lobby. It advertises nothing itself.

import { randomBytes } from 'node:crypto';
import { isIpv6 } from '../core/endpoint.js';
import type { LanAdvert } from './advert.js';
import { LanDirectory, lanInterfaces } from './directory.js';

/** One lobby seen on the LAN. */
export interface LanLobby {
  readonly name: string;
  /** `address:port` of the host's signaling service, or null while it has none (hand-over, or still deciding). */
  readonly host: string | null;
  /** Members: the host's count, else the members heard. */
  readonly members: number;
  readonly password: boolean;
  readonly mode: 'mesh';
  /** Hosts heard for the lobby (more than 1: a rare race, see docs/cli.md). */
  readonly hosts: number;
}

/** Sums adverts up per lobby, sorted by name. */
export function summarizeLobbies(adverts: readonly LanAdvert[]): LanLobby[] {
  const by = new Map<string, LanAdvert[]>();
  for (const a of adverts) by.set(a.lobby, [...(by.get(a.lobby) ?? []), a]);
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, list]) => {
    const hosts = list.filter((a) => a.role === 'host').sort((a, b) => b.members - a.members || (a.token < b.token ? -1 : 1));
    const h = hosts[0];
    return {
      name,
      host: h === undefined ? null : `${isIpv6(h.address!) ? `[${h.address!}]` : h.address!}:${h.port!}`,
      members: h?.members ?? list.filter((a) => a.role === 'member').length,
      password: h?.password ?? list.some((a) => a.password),
      mode: 'mesh',
      hosts: hosts.length,
    };
  });
}

/**
 * Listens for `listenMs` (asking at the start and a few times more) and returns the lobbies.
 * @throws Error when no LAN interface can be used.
 */
export async function listLanLobbies(bind: string, listenMs: number): Promise<LanLobby[]> {
  const dir = await LanDirectory.open(lanInterfaces(bind), randomBytes(8).toString('hex'));
  try {
    const t0 = performance.now();
    for (const at of [0, 200, 600]) {
      if (at >= listenMs) break;
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + at - performance.now())));
      dir.query();
    }
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + listenMs - performance.now())));
    return summarizeLobbies(dir.adverts(listenMs + 1000));
  } finally {
    dir.close();
  }
}
