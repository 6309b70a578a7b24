// Starts the embedded TURN relay (relay.md §2(b)) on the STUN responder's primary socket and wires
// it to the core's RelayAccess: membership and permission questions, sources of authenticated
// TURN traffic, revocation, capacity (adapter). The TURN logic itself is @meshpunch/nat's
// TurnRelayServer over TurnServerCore.
import { networkInterfaces } from 'node:os';
import { isIpv4 as isIPv4 } from '@meshpunch/base';
import { TurnRelayServer } from '@meshpunch/nat';
import type { RelayServer } from '@meshpunch/protocol';
import { IpRateLimiter } from '../core/ip-rate-limiter.js';
import type { RelayAccess } from '../core/relay-access.js';
import { defaultRelayLimits } from '../core/relay-limits.js';
import type { RelayLimits } from '../core/relay-limits.js';
import { SignalingError } from '../errors.js';
import type { LogSink } from './json-log.js';

/** Source IPs whose unauthenticated answer rate is remembered; the oldest is forgotten first. */
const MAX_TRACKED_SOURCES = 10_000;

/** What the embedded relay needs from the service. */
export interface EmbeddedRelaySetup {
  access: RelayAccess;
  /** The address the service listens on (`--host`). */
  host: string;
  /** The STUN responder's primary port: the relay's control port. */
  controlPort: number;
  /** Sends from the STUN responder's primary socket (bytes never written again: no copy needed). */
  send: (address: string, port: number, bytes: Uint8Array | readonly Uint8Array[]) => void;
  /** `--relay-public-host`: announced in welcome.relay; when an IPv4 literal, also the relayed address. */
  publicHost: string | undefined;
  relayPorts: { min: number; max: number };
  allowPrivate: boolean;
  allowLoopback: boolean;
  limits: Partial<RelayLimits>;
  /** coturn servers offered beside the embedded relay (listed first in welcome.relay). */
  turnServers: readonly RelayServer[];
  log: LogSink;
}

/** The local IPv4 addresses of this machine (the relay's own addresses: never peers). */
function localIpv4(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4') out.push(i.address);
  return out;
}

/**
 * The IPv4 put in XOR-RELAYED-ADDRESS: `--relay-public-host` when it is an IPv4 literal, else
 * `--host` when it is a concrete IPv4, else the first non-loopback local IPv4 (the lab's
 * 203.0.113.10 on `srv`), else 127.0.0.1.
 */
export function relayedAddressFor(publicHost: string | undefined, host: string): string {
  if (publicHost !== undefined && isIPv4(publicHost)) return publicHost;
  if (isIPv4(host) && host !== '0.0.0.0') return host;
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  return '127.0.0.1';
}

/** `--relay-ports` when not given (relay.md §2(b): IANA's dynamic range). */
export const DEFAULT_RELAY_PORTS: Readonly<{ min: number; max: number }> = Object.freeze({ min: 49152, max: 65535 });

/**
 * The default relayed port range for a control port: 49152-65535, or its larger part beside the
 * control port when that falls inside (`--port 0` picks from the kernel's ephemeral range, which
 * overlaps it; relayed ports must never include the control port, relay.md §1). An explicit
 * `--relay-ports` containing the control port is refused instead.
 */
export function defaultRelayPorts(controlPort: number): { min: number; max: number } {
  const { min, max } = DEFAULT_RELAY_PORTS;
  if (controlPort < min || controlPort > max) return { min, max };
  return controlPort - min >= max - controlPort ? { min, max: controlPort - 1 } : { min: controlPort + 1, max };
}

/**
 * Starts the relay and hooks it to `access`: returns it and the datagram hook for the STUN socket.
 * @throws SignalingError ERR_INVALID_PARAMETER for a bad port range or limit
 */
export function startEmbeddedRelay(s: EmbeddedRelaySetup): TurnRelayServer {
  const limits: RelayLimits = { ...defaultRelayLimits(), ...s.limits };
  const { unauthenticatedPerSecondPerIp, ...coreLimits } = limits;
  const relayAddress = relayedAddressFor(s.publicHost, s.host);
  const perIp = new IpRateLimiter(unauthenticatedPerSecondPerIp, unauthenticatedPerSecondPerIp * 2, MAX_TRACKED_SOURCES);
  const access = s.access;
  let relay: TurnRelayServer;
  try {
    relay = new TurnRelayServer({
      ...coreLimits,
      secret: access.config.secret,
      realm: access.config.realm,
      relayAddress,
      ownAddresses: localIpv4(),
      bindAddress: isIPv4(s.host) ? s.host : '0.0.0.0',
      allowPrivate: s.allowPrivate,
      allowLoopback: s.allowLoopback,
      isMember: (member) => access.memberOf(member) !== undefined,
      mayPermit: (member, peerIp) => access.mayPermit(member, peerIp),
      allowUnauthenticatedAnswer: (ip, now) => perIp.allow(now, ip),
      send: s.send,
      relayPorts: s.relayPorts,
      controlPort: s.controlPort,
    });
  } catch (err) {
    throw new SignalingError('ERR_INVALID_PARAMETER', `embedded relay: ${(err as Error).message}`, {}, err);
  }
  relay.on('allocation', (e) => {
    if (e.type === 'allocationCreated') {
      // Its client address is where this member's relayed traffic comes from: another member
      // of its lobby may permit it (relay.md §2(b) rule 3(c)).
      // (A dual-stack control socket reports IPv4 clients as ::ffff:a.b.c.d; peers are compared as IPv4.)
      const ip = e.client.address.startsWith('::ffff:') ? e.client.address.slice(7) : e.client.address;
      access.noteSource(e.member, ip);
      s.log('debug', 'relay.allocated', { member: e.member, relayedPort: e.relayedPort, lifetimeS: e.lifetimeS });
    } else {
      s.log('debug', 'relay.ended', { member: e.member, relayedPort: e.relayedPort, reason: e.reason });
    }
  });
  const cap = relay.core.config.maxAllocations;
  const onlyEmbedded = s.turnServers.length === 0;
  access.isFull = () => onlyEmbedded && relay.allocations >= cap;
  const embedded: RelayServer = s.publicHost === undefined ? { port: s.controlPort, transport: 'udp' } : { host: s.publicHost, port: s.controlPort, transport: 'udp' };
  access.servers = [...s.turnServers, embedded];
  s.log('info', 'relay.listening', { port: s.controlPort, relayedAddress: relayAddress, relayPorts: `${s.relayPorts.min}-${s.relayPorts.max}` });
  return relay;
}
