// LAN adverts (issue #16): what a meshpunch agent tells the LAN about itself over DNS-SD
// (service type `_meshpunch._tcp.local`), as records and back. Pure: no sockets, no clock.
//
// Every agent of a LAN lobby advertises one instance `mp-<token>._meshpunch._tcp.local` whose
// TXT says its role: `host` (runs the lobby's signaling service; SRV + A/AAAA say where),
// `candidate` (looking for a host, may become one) or `member` (in the lobby, linked). Members
// and candidates let a newcomer see that a lobby exists while its host is being handed over, so
// it waits instead of founding a second lobby of the same name.
//
// Everything here comes from the network and may be garbage or hostile: every field is checked,
// lengths are bounded, and what fails a check is dropped and counted, never thrown.

import type { Answer, Packet } from 'dns-packet';
import { isValidLobbyName } from '@meshpunch/protocol';
import { isIpv4, isIpv6 } from '../core/endpoint.js';

/** The DNS-SD service type. */
export const SERVICE_TYPE = '_meshpunch._tcp.local';
/** Version of the TXT layout (`v=`); adverts of other versions are ignored (and counted). */
export const LAN_ADVERT_VERSION = 1;
/** TTL of our records, s: short, since a host that dies without a goodbye must age out soon. */
export const ADVERT_TTL_S = 10;
/** At most this many records of one packet are looked at (a packet may carry thousands). */
export const MAX_RECORDS_PER_PACKET = 64;

export type LanRole = 'host' | 'candidate' | 'member';

/** One agent's advert. */
export interface LanAdvert {
  readonly role: LanRole;
  readonly lobby: string;
  /** The agent's random identity for this run, 16 hex digits: the tie break between candidates. */
  readonly token: string;
  /** Members of the lobby as the agent knows it (hosts: the service's count). */
  readonly members: number;
  /** The lobby has a password (joiners must get a host proof first: password.ts). */
  readonly password: boolean;
  readonly mode: 'mesh';
  /** The agent's peer id in the lobby, when it has one. */
  readonly peer: number | undefined;
  /** Hosts: the signaling service's TCP port. */
  readonly port: number | undefined;
  /** Hosts of password lobbies: the UDP port answering password proofs. */
  readonly proofPort: number | undefined;
  /** Hosts: the service's address (from A/AAAA, else the sender's). */
  readonly address: string | undefined;
}

/** An advert as heard: with the address it came from. */
export interface HeardAdvert extends LanAdvert {
  readonly from: string;
}

const TOKEN_RE = /^[0-9a-f]{16}$/;

export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

/** The instance name of an agent's advert. */
export function instanceName(token: string): string {
  return `mp-${token}.${SERVICE_TYPE}`;
}

function targetName(token: string): string {
  return `mp-${token}.local`;
}

/** TXT strings of an advert (`key=value`, each well under 255 bytes). */
export function advertTxt(a: LanAdvert): string[] {
  const txt = [`v=${LAN_ADVERT_VERSION}`, `role=${a.role}`, `lobby=${a.lobby}`, `tok=${a.token}`, `members=${a.members}`, `pw=${a.password ? 1 : 0}`, `mode=${a.mode}`];
  if (a.peer !== undefined) txt.push(`peer=${a.peer}`);
  if (a.proofPort !== undefined) txt.push(`proof=${a.proofPort}`);
  return txt;
}

/**
 * The records that answer a query for our service (or announce it unsolicited): PTR, SRV, TXT
 * and, for a host, the A/AAAA record of the address it serves on. `ttl` 0 makes a goodbye.
 */
export function advertRecords(a: LanAdvert, ttl = ADVERT_TTL_S): Answer[] {
  const inst = instanceName(a.token);
  const out: Answer[] = [
    { name: SERVICE_TYPE, type: 'PTR', ttl, data: inst },
    { name: inst, type: 'TXT', ttl, flush: true, data: advertTxt(a) },
  ];
  if (a.role === 'host' && a.port !== undefined && a.address !== undefined) {
    out.push({ name: inst, type: 'SRV', ttl, flush: true, data: { port: a.port, target: targetName(a.token), priority: 0, weight: 0 } });
    out.push(isIpv6(a.address)
      ? { name: targetName(a.token), type: 'AAAA', ttl, flush: true, data: a.address }
      : { name: targetName(a.token), type: 'A', ttl, flush: true, data: a.address });
  }
  return out;
}

/** Why records were dropped, for counters. */
export type AdvertDrop = 'bad-txt' | 'bad-version' | 'bad-lobby' | 'bad-host' | 'too-many-records';

/** What one packet held: adverts, goodbyes (tokens whose records had TTL 0), drops. */
export interface ParsedAdverts {
  readonly adverts: HeardAdvert[];
  readonly goodbyes: string[];
  readonly drops: AdvertDrop[];
}

function txtStrings(data: unknown): string[] | undefined {
  const list = Array.isArray(data) ? data : [data];
  const out: string[] = [];
  for (const d of list.slice(0, 32)) {
    if (typeof d === 'string') out.push(d);
    else if (d instanceof Uint8Array) out.push(Buffer.from(d).toString('utf8'));
    else return undefined;
  }
  return out;
}

function intIn(s: string | undefined, min: number, max: number): number | undefined {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= min && n <= max ? n : undefined;
}

/** Parses a TXT record into the fields of an advert, or the reason it is not one. */
export function parseTxt(data: unknown): Omit<LanAdvert, 'port' | 'address'> | AdvertDrop {
  const strings = txtStrings(data);
  if (strings === undefined) return 'bad-txt';
  const kv = new Map<string, string>();
  for (const s of strings) {
    if (s.length > 255) return 'bad-txt';
    const i = s.indexOf('=');
    if (i <= 0) continue;
    const k = s.slice(0, i);
    // RFC 6763 §6.4: the first occurrence of a key wins.
    if (!kv.has(k)) kv.set(k, s.slice(i + 1));
  }
  if (kv.get('v') !== String(LAN_ADVERT_VERSION)) return 'bad-version';
  const role = kv.get('role');
  const lobby = kv.get('lobby') ?? '';
  const token = kv.get('tok') ?? '';
  const members = intIn(kv.get('members'), 0, 4096);
  const pw = kv.get('pw');
  if ((role !== 'host' && role !== 'candidate' && role !== 'member') || !isToken(token) || members === undefined || (pw !== '0' && pw !== '1') || kv.get('mode') !== 'mesh') return 'bad-txt';
  if (!isValidLobbyName(lobby)) return 'bad-lobby';
  const peer = kv.has('peer') ? intIn(kv.get('peer'), 1, 2 ** 31 - 1) : undefined;
  if (kv.has('peer') && peer === undefined) return 'bad-txt';
  const proofPort = kv.has('proof') ? intIn(kv.get('proof'), 1, 65535) : undefined;
  if (kv.has('proof') && proofPort === undefined) return 'bad-txt';
  return { role, lobby, token, members, password: pw === '1', mode: 'mesh', peer, proofPort };
}

/**
 * The adverts in one mDNS response. A host advert needs its SRV (port) and an address: the A or
 * AAAA record of the SRV target when the packet has it, else the sender's address.
 * @param from the sender's address (rinfo.address)
 */
export function parseAdverts(packet: Pick<Packet, 'answers' | 'additionals'>, from: string): ParsedAdverts {
  const drops: AdvertDrop[] = [];
  const all = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
  if (all.length > MAX_RECORDS_PER_PACKET) drops.push('too-many-records');
  const records = all.slice(0, MAX_RECORDS_PER_PACKET);
  const txt = new Map<string, { data: unknown; ttl: number }>();
  const srv = new Map<string, { port: number; target: string }>();
  const addr = new Map<string, string>();
  for (const r of records) {
    if (typeof r !== 'object' || r === null || typeof r.name !== 'string') continue;
    const name = r.name.toLowerCase();
    if (r.type === 'TXT' && name.endsWith(`.${SERVICE_TYPE}`)) txt.set(name, { data: r.data, ttl: r.ttl ?? ADVERT_TTL_S });
    else if (r.type === 'SRV' && name.endsWith(`.${SERVICE_TYPE}`)) {
      const d = r.data as { port?: unknown; target?: unknown } | undefined;
      if (typeof d?.port === 'number' && typeof d.target === 'string') srv.set(name, { port: d.port, target: d.target.toLowerCase() });
    } else if ((r.type === 'A' && typeof r.data === 'string' && isIpv4(r.data)) || (r.type === 'AAAA' && typeof r.data === 'string' && isIpv6(r.data))) {
      addr.set(name, r.data as string);
    }
  }
  const adverts: HeardAdvert[] = [];
  const goodbyes: string[] = [];
  for (const [name, t] of txt) {
    const fields = parseTxt(t.data);
    if (typeof fields === 'string') {
      drops.push(fields);
      continue;
    }
    // The instance name must be the one its token gives: a record cannot speak for another agent.
    if (name !== instanceName(fields.token)) {
      drops.push('bad-txt');
      continue;
    }
    if (t.ttl === 0) {
      goodbyes.push(fields.token);
      continue;
    }
    let port: number | undefined;
    let address: string | undefined;
    if (fields.role === 'host') {
      const s = srv.get(name);
      if (s === undefined || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535) {
        drops.push('bad-host');
        continue;
      }
      port = s.port;
      address = addr.get(s.target) ?? from;
      if (!isIpv4(address) && !isIpv6(address)) {
        drops.push('bad-host');
        continue;
      }
    }
    adverts.push({ ...fields, port, address, from });
  }
  return { adverts, goodbyes, drops };
}

/** The question that asks every meshpunch agent on the link to answer. */
export const SERVICE_QUESTION = Object.freeze({ name: SERVICE_TYPE, type: 'PTR' as const });

/** True when a query asks for our service (PTR or ANY of the service type, or our instance). */
export function asksForUs(questions: readonly { name?: unknown; type?: unknown }[] | undefined, token: string): boolean {
  for (const q of (questions ?? []).slice(0, MAX_RECORDS_PER_PACKET)) {
    if (typeof q?.name !== 'string') continue;
    const n = q.name.toLowerCase();
    if ((n === SERVICE_TYPE && (q.type === 'PTR' || q.type === 'ANY')) || n === instanceName(token)) return true;
  }
  return false;
}
