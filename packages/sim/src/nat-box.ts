// A NAT box for SimNet configured in RFC 4787 terms: mapping and filtering behaviour as key
// functions over the 4-tuple, mapping timeout, port allocation and hairpinning (docs/design.md §6).
// Every method takes `now` (virtual ms); nothing here reads a clock or a timer.
import { Prng } from './prng.js';
import { endpointKey, type Endpoint } from './endpoint.js';
import type { Datagram, Gateway } from './net.js';
import { SimError } from './errors.js';

/** RFC 4787 §4.1 (mapping) and §5 (filtering) behaviours. */
export type NatBehavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** How a new mapping's public port is chosen (RFC 4787 §4.2.1 port preservation, else). */
export type PortAllocation = 'preserving' | 'sequential' | 'random';

/**
 * A key function over (inside endpoint, remote endpoint). Two outbound datagrams share a mapping
 * when their mapping keys are equal; an inbound datagram passes the filter when its filter key was
 * seen outbound on that mapping.
 */
export type TupleKey = (inside: Endpoint, remote: Endpoint) => string;

/** The mapping key of an RFC 4787 behaviour. */
export function mappingKeyOf(behavior: NatBehavior): TupleKey {
  switch (behavior) {
    case 'endpoint-independent':
      return (inside) => endpointKey(inside.address, inside.port);
    case 'address-dependent':
      return (inside, remote) => `${endpointKey(inside.address, inside.port)}>${remote.address}`;
    case 'address-and-port-dependent':
      return (inside, remote) => `${endpointKey(inside.address, inside.port)}>${endpointKey(remote.address, remote.port)}`;
  }
}

/** The filter key of an RFC 4787 behaviour (the inside endpoint is fixed by the mapping). */
export function filterKeyOf(behavior: NatBehavior): TupleKey {
  switch (behavior) {
    case 'endpoint-independent':
      return () => '*';
    case 'address-dependent':
      return (_inside, remote) => remote.address;
    case 'address-and-port-dependent':
      return (_inside, remote) => endpointKey(remote.address, remote.port);
  }
}

/** Configuration of a NatBox (RFC 4787 terms). */
export interface NatBoxOptions {
  /** The realm of the hosts behind the NAT. */
  insideRealm: string;
  /** The realm the public address lives in (default "internet"). */
  outsideRealm?: string;
  publicAddress: string;
  /** RFC 4787 mapping behaviour or a custom key function (default endpoint-independent). */
  mapping?: NatBehavior | TupleKey;
  /** RFC 4787 filtering behaviour or a custom key function (default address-and-port-dependent). */
  filtering?: NatBehavior | TupleKey;
  /** Idle time after which a mapping and its permissions expire, ms (RFC 4787 REQ-5: ≥ 120 000). */
  mappingTimeoutMs?: number;
  /** Whether inbound traffic refreshes the mapping timer (RFC 4787 REQ-6 leaves it optional; default false). */
  inboundRefresh?: boolean;
  /** Port allocation for new mappings (default preserving; a taken port falls back to random). */
  portAllocation?: PortAllocation;
  /** Public ports handed out, inclusive (default 1024..65535). */
  portRange?: [number, number];
  /** Hairpinning (RFC 4787 REQ-9): inside → own public address loops back in (default false). */
  hairpin?: boolean;
  /** Upper bound on live mappings; beyond it new flows are dropped and counted (default 4096). */
  maxMappings?: number;
  /** Random source for port allocation. */
  prng?: Prng;
}

/** What a NatBox did with datagrams (every drop has a reason). */
export interface NatBoxCounters {
  outbound: number;
  inbound: number;
  hairpinned: number;
  mappingsCreated: number;
  mappingsExpired: number;
  droppedNoMapping: number;
  droppedFiltered: number;
  droppedHairpin: number;
  droppedTableFull: number;
}

interface Mapping {
  key: string;
  /** A port forward (UPnP/NAT-PMP): filters nothing and expires only at `expiresAt`. */
  forward: boolean;
  expiresAt: number;
  /** Keys in #flows of the remote-initiated flows through this forward. */
  flows: string[];
  inside: Endpoint;
  publicPort: number;
  lastOutboundAt: number;
  lastActivityAt: number;
  /** filter key → time of the last outbound datagram it allowed. */
  permissions: Map<string, number>;
}

function flowKey(inside: Endpoint, remote: Endpoint): string {
  return `${endpointKey(inside.address, inside.port)}>${endpointKey(remote.address, remote.port)}`;
}

/** Attempts at finding a free random port before declaring the table full. */
const RANDOM_PORT_ATTEMPTS = 64;

/** A NAT (or, with all-independent behaviour, a full-cone NAT) between two SimNet realms. */
export class NatBox implements Gateway {
  readonly insideRealm: string;
  readonly outsideRealm: string;
  readonly publicAddress: string;
  readonly counters: NatBoxCounters = {
    outbound: 0, inbound: 0, hairpinned: 0, mappingsCreated: 0, mappingsExpired: 0,
    droppedNoMapping: 0, droppedFiltered: 0, droppedHairpin: 0, droppedTableFull: 0,
  };
  readonly mappingTimeoutMs: number;
  readonly portAllocation: PortAllocation;
  readonly hairpin: boolean;
  #mappingKey: TupleKey;
  #filterKey: TupleKey;
  #inboundRefresh: boolean;
  #range: [number, number];
  #maxMappings: number;
  #prng: Prng;
  #byKey = new Map<string, Mapping>();
  #byPort = new Map<number, Mapping>();
  #flows = new Map<string, Mapping>();
  #nextSequential: number;

  constructor(options: NatBoxOptions) {
    this.insideRealm = options.insideRealm;
    this.outsideRealm = options.outsideRealm ?? 'internet';
    this.publicAddress = options.publicAddress;
    const m = options.mapping ?? 'endpoint-independent';
    const f = options.filtering ?? 'address-and-port-dependent';
    this.#mappingKey = typeof m === 'function' ? m : mappingKeyOf(m);
    this.#filterKey = typeof f === 'function' ? f : filterKeyOf(f);
    this.mappingTimeoutMs = options.mappingTimeoutMs ?? 120_000;
    this.#inboundRefresh = options.inboundRefresh ?? false;
    this.portAllocation = options.portAllocation ?? 'preserving';
    this.#range = options.portRange ?? [1024, 65535];
    if (this.#range[0] < 1 || this.#range[1] > 65535 || this.#range[0] > this.#range[1]) {
      throw new SimError('ERR_INVALID_PARAMETER', `portRange must lie within 1..65535 and be ordered, got ${this.#range.join('..')}`);
    }
    this.hairpin = options.hairpin ?? false;
    this.#maxMappings = options.maxMappings ?? 4096;
    this.#prng = options.prng ?? new Prng(0x4787);
    this.#nextSequential = this.#range[0];
  }

  /** Live mappings at `now` (expired ones are swept first). */
  mappingCount(now: number): number {
    this.#sweep(now);
    return this.#byKey.size;
  }

  /** The public port of the live mapping for `inside` → `remote`, if any. */
  publicPortFor(now: number, inside: Endpoint, remote: Endpoint): number | undefined {
    const m = this.#byKey.get(this.#mappingKey(inside, remote));
    return m && !this.#expired(now, m) ? m.publicPort : undefined;
  }

  outbound(now: number, dg: Datagram): Datagram | undefined {
    this.counters.outbound++;
    const isHairpin = dg.to.address === this.publicAddress;
    if (isHairpin && !this.hairpin) {
      this.counters.droppedHairpin++;
      return undefined;
    }
    const flow = this.#flows.get(flowKey(dg.from, dg.to));
    if (flow && !this.#expired(now, flow)) {
      if (isHairpin) this.counters.hairpinned++;
      return { ...dg, from: { address: this.publicAddress, port: flow.publicPort } };
    }
    const key = this.#mappingKey(dg.from, dg.to);
    let m = this.#byKey.get(key);
    if (m && this.#expired(now, m)) {
      this.#remove(m);
      m = undefined;
    }
    if (!m) {
      if (this.#byKey.size >= this.#maxMappings) this.#sweep(now);
      const port = this.#byKey.size < this.#maxMappings ? this.#allocate(dg.from.port) : undefined;
      if (port === undefined) {
        this.counters.droppedTableFull++;
        return undefined;
      }
      m = {
        key, forward: false, expiresAt: Infinity, flows: [], inside: { ...dg.from }, publicPort: port,
        lastOutboundAt: now, lastActivityAt: now, permissions: new Map(),
      };
      this.#byKey.set(key, m);
      this.#byPort.set(port, m);
      this.counters.mappingsCreated++;
    }
    m.lastOutboundAt = now;
    m.lastActivityAt = now;
    m.permissions.set(this.#filterKey(dg.from, dg.to), now);
    if (isHairpin) this.counters.hairpinned++;
    return { ...dg, from: { address: this.publicAddress, port: m.publicPort } };
  }

  inbound(now: number, dg: Datagram): Datagram | undefined {
    this.counters.inbound++;
    const m = this.#byPort.get(dg.to.port);
    if (!m || this.#expired(now, m)) {
      if (m) this.#remove(m);
      this.counters.droppedNoMapping++;
      return undefined;
    }
    if (m.forward) {
      // Like the conntrack entry a DNAT creates: replies to this remote leave from the forwarded port.
      const flow = flowKey(m.inside, dg.from);
      // Bounded like the mapping table; past it the flow still passes but replies use the NAT's own mapping.
      if (!this.#flows.has(flow) && this.#flows.size < this.#maxMappings) {
        this.#flows.set(flow, m);
        m.flows.push(flow);
      }
      return { ...dg, to: { address: m.inside.address, port: m.inside.port } };
    }
    const allowedAt = m.permissions.get(this.#filterKey(m.inside, dg.from));
    if (allowedAt === undefined || now - allowedAt > this.mappingTimeoutMs) {
      this.counters.droppedFiltered++;
      return undefined;
    }
    if (this.#inboundRefresh) m.lastActivityAt = now;
    return { ...dg, to: { address: m.inside.address, port: m.inside.port } };
  }

  /**
   * Adds a port forward, as a UPnP IGD AddPortMapping or NAT-PMP request makes: datagrams to
   * `publicPort` from anyone reach `inside` until `leaseMs` has passed (default: forever).
   * Returns false when the port is taken.
   */
  addPortForward(now: number, inside: Endpoint, publicPort: number, leaseMs = Infinity): boolean {
    const old = this.#byPort.get(publicPort);
    if (old && !this.#expired(now, old)) return false;
    if (old) this.#remove(old);
    const key = `forward:${publicPort}`;
    const m: Mapping = {
      key, forward: true, expiresAt: now + leaseMs, flows: [], inside: { ...inside }, publicPort,
      lastOutboundAt: now, lastActivityAt: now, permissions: new Map(),
    };
    this.#byKey.set(key, m);
    this.#byPort.set(publicPort, m);
    return true;
  }

  /** Removes a port forward (UPnP DeletePortMapping); false when there was none. */
  removePortForward(_now: number, publicPort: number): boolean {
    const m = this.#byPort.get(publicPort);
    if (!m || !m.forward) return false;
    this.#remove(m);
    return true;
  }

  #expired(now: number, m: Mapping): boolean {
    if (m.forward) return now >= m.expiresAt;
    return now - Math.max(m.lastOutboundAt, m.lastActivityAt) > this.mappingTimeoutMs;
  }

  #remove(m: Mapping): void {
    this.#byKey.delete(m.key);
    for (const f of m.flows) this.#flows.delete(f);
    this.#byPort.delete(m.publicPort);
    this.counters.mappingsExpired++;
  }

  #sweep(now: number): void {
    for (const m of [...this.#byKey.values()]) if (this.#expired(now, m)) this.#remove(m);
  }

  #free(port: number): boolean {
    return port >= this.#range[0] && port <= this.#range[1] && !this.#byPort.has(port);
  }

  #allocate(insidePort: number): number | undefined {
    const [lo, hi] = this.#range;
    if (this.portAllocation === 'preserving' && this.#free(insidePort)) return insidePort;
    if (this.portAllocation === 'sequential') {
      const span = hi - lo + 1;
      for (let i = 0; i < span; i++) {
        const p = this.#nextSequential;
        this.#nextSequential = p >= hi ? lo : p + 1;
        if (this.#free(p)) return p;
      }
      return undefined;
    }
    for (let i = 0; i < RANDOM_PORT_ATTEMPTS; i++) {
      const p = this.#prng.int(lo, hi);
      if (this.#free(p)) return p;
    }
    for (let p = lo; p <= hi; p++) if (this.#free(p)) return p;
    return undefined;
  }
}

/** The classic names (RFC 3489 "cone" terms, for UI text and test tables) in RFC 4787 terms. */
export type NatPresetName = 'full-cone' | 'address-restricted' | 'port-restricted' | 'symmetric';

/**
 * Mapping, filtering and allocation of a classic NAT type, as the NAT lab builds them
 * (docs/specs/natlab.md §3): full cone EIM/EIF, address-restricted EIM/ADF, port-restricted EIM/APDF
 * (Linux MASQUERADE), symmetric APDM/APDF with random ports (MASQUERADE --random-fully).
 */
export function natPreset(name: NatPresetName): Pick<NatBoxOptions, 'mapping' | 'filtering' | 'portAllocation'> {
  switch (name) {
    case 'full-cone':
      return { mapping: 'endpoint-independent', filtering: 'endpoint-independent', portAllocation: 'preserving' };
    case 'address-restricted':
      return { mapping: 'endpoint-independent', filtering: 'address-dependent', portAllocation: 'preserving' };
    case 'port-restricted':
      return { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', portAllocation: 'preserving' };
    case 'symmetric':
      return { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'random' };
  }
}
