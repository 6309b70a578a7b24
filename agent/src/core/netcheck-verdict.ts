// The netcheck report's types and its plain-language verdict (core, pure). Terms follow RFC 4787
// §4.1 (mapping) and §5 (filtering); "easy/hard NAT" appears only in the human text (docs/design.md §3).

import { addressClass, hostOf, type AddressClass } from './address-class.js';

/** RFC 4787 behaviour, or `none` (no NAT: the mapped address is our own), or `unknown`. */
export type NatBehavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'none' | 'unknown';

/** How the NAT picks public ports: kept, counted up, random, or not measured. */
export type PortAllocation = 'preserving' | 'sequential' | 'random' | 'none' | 'unknown';

/** The UPnP part of the report. */
export interface UpnpReport {
  readonly available: boolean;
  /** The gateway's control URL or address, when found. */
  readonly gateway: string | null;
  readonly externalAddress: string | null;
  readonly detail?: string;
}

/** `meshpunch netcheck --json` prints this object (schema in docs/cli.md). */
export interface NetcheckReport {
  /** A STUN answer came back over UDP. */
  readonly udp: boolean;
  /** Our IPv4 endpoint as the first STUN server to answer saw it (`ip:port`), or null. */
  readonly publicAddress: string | null;
  /**
   * What kind of address `publicAddress` is: `public`, or `loopback` / `private` when the STUN
   * server is on this machine or inside the local network (the report then says nothing about
   * the internet); null without one.
   */
  readonly addressClass: AddressClass | null;
  /** Our public IPv6 endpoint, or null. */
  readonly publicAddressV6: string | null;
  readonly mappingBehavior: NatBehavior;
  readonly filteringBehavior: NatBehavior;
  readonly portAllocation: PortAllocation;
  readonly upnp: UpnpReport | null;
  /** Round-trip time per STUN server (`host:port` → ms, null when it never answered). */
  readonly stunRttMs: Readonly<Record<string, number | null>>;
  /** One plain-language sentence. */
  readonly verdict: string;
}

/** The inputs of the verdict. */
export interface VerdictInput {
  readonly udp: boolean;
  readonly mappingBehavior: NatBehavior;
  readonly filteringBehavior: NatBehavior;
  readonly upnpAvailable: boolean;
  /** The mapped IPv4 endpoint (`ip:port`) or address, when a server answered. */
  readonly mappedAddress?: string | null;
  /** The time limit passed before the check finished (what is known so far is reported). */
  readonly timedOut?: boolean;
}

/**
 * One sentence saying what the measured behaviour means for direct connections. Hole punching
 * works whenever at least one side has endpoint-independent mapping (natlab.md §3.6, Ford et al.
 * 2005); symmetric ↔ port-restricted and symmetric ↔ symmetric need UPnP or a relay.
 */
export function netcheckVerdict(v: VerdictInput): string {
  if (!v.udp) {
    return v.timedOut === true
      ? 'No STUN server answered before the time limit: UDP may be blocked; direct connections are unlikely, needs a relay.'
      : 'UDP is blocked or no STUN server answered: direct connections are impossible, needs a relay.';
  }
  const host = v.mappedAddress === undefined || v.mappedAddress === null ? undefined : hostOf(v.mappedAddress);
  const cls = host === undefined ? undefined : addressClass(host);
  if (v.mappingBehavior === 'none') {
    // "No NAT" is only news about the internet when the address the server saw is public.
    if (cls === 'loopback') return `No NAT between you and the STUN server, which is on this machine (loopback address ${host}): this says nothing about the internet; direct connections likely only with peers on this machine.`;
    if (cls === 'private') return `No NAT between you and the STUN server, but your address ${host} is private: the server is inside your network, so this says nothing about the internet; direct connections likely with peers on that network.`;
    return v.filteringBehavior === 'endpoint-independent' || v.filteringBehavior === 'none' || v.filteringBehavior === 'unknown'
      ? 'No NAT: your address is public, direct connections likely with everyone.'
      : 'No NAT but a stateful firewall: direct connections likely by hole punching.';
  }
  const sentence = natVerdict(v);
  return cls === 'private'
    ? `${sentence} The STUN server saw a private address (${host}): another NAT (carrier-grade, or a second router) is in front of this one, or the server is inside your network.`
    : sentence;
}

function natVerdict(v: VerdictInput): string {
  if (v.upnpAvailable) return 'UPnP port mapping is available: direct connections likely, even with peers behind hard NATs.';
  if (v.mappingBehavior === 'endpoint-independent') {
    if (v.filteringBehavior === 'endpoint-independent') return 'Full-cone NAT (endpoint-independent mapping and filtering, an "easy" NAT): direct connections likely.';
    return 'Restricted-cone NAT (endpoint-independent mapping, an "easy" NAT): direct connections likely by hole punching; peers behind symmetric NATs need a relay if your filtering is port-dependent.';
  }
  if (v.mappingBehavior === 'address-dependent' || v.mappingBehavior === 'address-and-port-dependent') {
    return 'Symmetric NAT (endpoint-dependent mapping, a "hard" NAT): direct connections only with peers behind no NAT, full-cone or address-restricted NATs, or UPnP; others need a relay.';
  }
  return 'NAT behaviour unknown (it needs a STUN server with two addresses, RFC 5780): direct connections may work.';
}
