// NAT behaviour discovery (RFC 5780 §4.3 mapping, §4.4 filtering; port allocation from samples)
// as a sans-IO core wrapping a StunClient — core, no I/O. No hairpin probe (tailscale#1795: they
// trip firewalls' LAND-attack rules and flip results).
//
// Phases (order matters: a datagram we send opens our NAT's filter for its destination):
//   1. test I: Binding → primary server (learns mapped address, OTHER-ADDRESS).
//   2. with OTHER-ADDRESS: filtering tests II (CHANGE-REQUEST ip+port) and III (port) in parallel;
//      both go to the primary only, so neither opens the filter for the other's answer.
//   3. mapping tests II (alt IP, primary port) and III (alt IP, alt port) — only after phase 2,
//      since they open the filter for the alternate address.
//   4. plain servers (all at once): mapping without RFC 5780, and extra port samples.
import { NatError } from '../../errors.js';
import { FilteringBehavior, MappingBehavior, PortAllocation } from '../nat-behavior.js';
import type { TransportAddress } from '../stun/binding.js';
import { StunClient, type StunClientEvent } from '../stun/client.js';
import type { StunAddress } from '../stun/attributes.js';
import {
  classifyMappingPlain,
  classifyMappingRfc5780,
  classifyPortAllocation,
  type MappingSample,
  type PortSample,
} from './classify.js';

/** Inputs of one discovery run. */
export interface NatDiscoveryOptions {
  random: (out: Uint8Array) => void;
  /** STUN servers, resolved. The first is asked first; if it returns OTHER-ADDRESS the RFC 5780 tests run against it. */
  servers: readonly TransportAddress[];
  /** The socket's own address(es) and port, to recognise "no NAT" (mapped = local). */
  localAddresses: readonly TransportAddress[];
  /** Schedule of tests expected to succeed: initial RTO (default 200 ms), requests (5), final wait ×RTO (8): gives up after 4.6 s. */
  rtoMs?: number;
  requestCount?: number;
  lastWaitFactor?: number;
  /** Schedule of filtering tests, whose silence is an answer: default 100 ms × 4 requests, wait ×8 = 1.5 s. */
  filteringRtoMs?: number;
  filteringRequestCount?: number;
  filteringLastWaitFactor?: number;
  /** Port samples from other sockets of this host (local port, mapped port), oldest first. */
  extraPortSamples?: readonly PortSample[];
  /** Start time, ms. */
  now: number;
}

/** What discovery found (the CLI prints this as JSON; string values are RFC 4787 names). */
export interface NatDiscoveryReport {
  /** Whether any STUN server answered (false: UDP blocked or servers down). */
  readonly udp: boolean;
  /** This socket as the first answering server saw it. */
  readonly mappedAddress: StunAddress | undefined;
  readonly mapping: MappingBehavior;
  readonly filtering: FilteringBehavior;
  readonly portAllocation: PortAllocation;
  /** Whether the mapping changed with the server IP (undefined: not measured). */
  readonly mappingVariesByDestIp: boolean | undefined;
  /** Whether the server supported RFC 5780 (sent OTHER-ADDRESS). */
  readonly rfc5780: boolean;
  /** The server's alternate address, when it had one. */
  readonly otherAddress: StunAddress | undefined;
  /** Every Binding answer, in arrival order. */
  readonly samples: ReadonlyArray<MappingSample & { readonly rttMs: number; readonly test: string }>;
  readonly durationMs: number;
}

/** The one event: discovery finished (it always does, within the schedules' bound). */
export type NatDiscoveryEvent = { readonly type: 'done'; readonly at: number; readonly report: NatDiscoveryReport };

/** Servers asked at once in the plain phase; more adds nothing to the classification and bounds the client. */
const MAX_SERVERS = 16;

type Phase = 'test1' | 'filtering' | 'mapping' | 'plain' | 'done';

/** The discovery core (docs/design.md §2 contract); one run per instance. */
export class NatDiscovery {
  readonly client: StunClient;
  #opts: NatDiscoveryOptions;
  #phase: Phase = 'test1';
  #tests = new Map<number, string>();
  #results = new Map<string, StunClientEvent>();
  #samples: Array<MappingSample & { rttMs: number; test: string }> = [];
  #events: NatDiscoveryEvent[] = [];
  #report: NatDiscoveryReport | undefined;
  #serverIndex = 0;

  /**
   * Starts at `options.now` with test I.
   * @throws NatError ERR_INVALID_PARAMETER when not 1..16 servers are given.
   */
  constructor(options: NatDiscoveryOptions) {
    if (!Array.isArray(options.servers) || options.servers.length === 0 || options.servers.length > MAX_SERVERS) {
      throw new NatError('ERR_INVALID_PARAMETER', `servers must list 1..${MAX_SERVERS} STUN servers, got ${options.servers?.length ?? 0}`);
    }
    this.#opts = options;
    this.client = new StunClient({
      random: options.random,
      rtoMs: options.rtoMs ?? 200,
      requestCount: options.requestCount ?? 5,
      lastWaitFactor: options.lastWaitFactor ?? 8,
    });
    this.#ask(options.now, 'I', options.servers[0]!);
  }

  /** The report, once done. */
  get report(): NatDiscoveryReport | undefined {
    return this.#report;
  }

  handleDatagram(now: number, from: TransportAddress, bytes: Uint8Array): boolean {
    const consumed = this.client.handleDatagram(now, from, bytes);
    if (consumed) this.#advance(now);
    return consumed;
  }

  handleTimeout(now: number): void {
    this.client.handleTimeout(now);
    this.#advance(now);
  }

  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    return this.client.pollTransmit(now, out, to);
  }

  pollTimeout(): number | undefined {
    return this.client.pollTimeout();
  }

  pollEvent(): NatDiscoveryEvent | undefined {
    return this.#events.shift();
  }

  #ask(now: number, test: string, server: TransportAddress, change?: { changeIp?: boolean; changePort?: boolean }): void {
    const filtering = change !== undefined;
    const id = this.client.request(now, server, {
      changeRequest: change,
      rtoMs: filtering ? (this.#opts.filteringRtoMs ?? 100) : undefined,
      requestCount: filtering ? (this.#opts.filteringRequestCount ?? 4) : undefined,
      lastWaitFactor: filtering ? (this.#opts.filteringLastWaitFactor ?? 8) : undefined,
    });
    this.#tests.set(id, test);
  }

  #ok(test: string): (StunClientEvent & { type: 'stunSuccess' }) | undefined {
    const r = this.#results.get(test);
    return r?.type === 'stunSuccess' ? r : undefined;
  }

  #advance(now: number): void {
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) {
      const test = this.#tests.get(e.id);
      if (test === undefined) continue;
      this.#results.set(test, e);
      if (e.type === 'stunSuccess') {
        this.#samples.push({ server: e.server, mapped: { address: e.mapped.address, port: e.mapped.port }, rttMs: e.rttMs, test });
      }
    }
    if (this.client.pending > 0 || this.#phase === 'done') return;
    const servers = this.#opts.servers;
    switch (this.#phase) {
      case 'test1': {
        const t1 = this.#ok('I');
        if (!t1) {
          // The first server is silent: try the next one as "test I" before giving up on UDP.
          this.#serverIndex++;
          if (this.#serverIndex < servers.length) {
            this.#results.delete('I');
            this.#ask(now, 'I', servers[this.#serverIndex]!);
            return;
          }
          this.#finish(now);
          return;
        }
        if (t1.otherAddress) {
          this.#phase = 'filtering';
          this.#ask(now, 'filter-II', t1.server, { changeIp: true, changePort: true });
          this.#ask(now, 'filter-III', t1.server, { changePort: true });
          return;
        }
        this.#startPlain(now);
        return;
      }
      case 'filtering': {
        const t1 = this.#ok('I')!;
        const other = t1.otherAddress!;
        this.#phase = 'mapping';
        this.#ask(now, 'II', { address: other.address, port: t1.server.port });
        this.#ask(now, 'III', { address: other.address, port: other.port });
        return;
      }
      case 'mapping':
        this.#startPlain(now);
        return;
      case 'plain':
        this.#finish(now);
        return;
    }
  }

  #startPlain(now: number): void {
    this.#phase = 'plain';
    const first = this.#ok('I')!.server;
    let asked = 0;
    for (const s of this.#opts.servers) {
      if (s.address === first.address && s.port === first.port) continue;
      this.#ask(now, `plain-${s.address}:${s.port}`, s);
      asked++;
    }
    if (asked === 0) this.#finish(now);
  }

  #finish(now: number): void {
    this.#phase = 'done';
    const local = this.#opts.localAddresses;
    const t1 = this.#ok('I');
    const rfc5780 = t1?.otherAddress !== undefined;
    const sample = (test: string): MappingSample | undefined => this.#samples.find((s) => s.test === test);
    const plainSamples = this.#samples.filter((s) => s.test === 'I' || s.test.startsWith('plain-'));
    const plain = classifyMappingPlain(local, plainSamples);
    let mapping: MappingBehavior = plain.mapping;
    if (rfc5780) {
      const m = classifyMappingRfc5780(local, sample('I'), sample('II'), sample('III'));
      if (m !== MappingBehavior.Unknown) mapping = m;
    }
    let filtering: FilteringBehavior = FilteringBehavior.Unknown;
    if (rfc5780) {
      const f2 = this.#results.get('filter-II');
      const f3 = this.#results.get('filter-III');
      // An error response (e.g. 420: the server ignores CHANGE-REQUEST) proves nothing.
      const answered = (e: StunClientEvent | undefined) => e?.type === 'stunSuccess';
      const silent = (e: StunClientEvent | undefined) => e?.type === 'stunFailure' && e.reason === 'timeout';
      if (answered(f2)) filtering = FilteringBehavior.EndpointIndependent;
      else if (silent(f2) && answered(f3)) filtering = FilteringBehavior.AddressDependent;
      else if (silent(f2) && silent(f3)) filtering = FilteringBehavior.AddressAndPortDependent;
    }
    // Port samples: one per distinct mapping of this socket, then the caller's other sockets.
    const localPort = local[0]?.port ?? 0;
    const ports: PortSample[] = [];
    const seen = new Set<string>();
    for (const s of this.#samples) {
      if (s.test.startsWith('filter')) continue;
      const k = `${s.mapped.address}|${s.mapped.port}`;
      if (seen.has(k)) continue;
      seen.add(k);
      ports.push({ localPort, mappedPort: s.mapped.port });
    }
    ports.push(...(this.#opts.extraPortSamples ?? []));
    const portAllocation = mapping === MappingBehavior.None ? PortAllocation.Preserving : classifyPortAllocation(ports);
    let varies = plain.variesByDestIp;
    if (rfc5780 && sample('I') && sample('II')) {
      const a = sample('I')!.mapped;
      const b = sample('II')!.mapped;
      varies = a.address !== b.address || a.port !== b.port;
    }
    this.#report = Object.freeze({
      udp: t1 !== undefined,
      mappedAddress: t1?.mapped,
      mapping,
      filtering,
      portAllocation,
      mappingVariesByDestIp: varies,
      rfc5780,
      otherAddress: t1?.otherAddress,
      samples: this.#samples.slice(),
      durationMs: now - this.#opts.now,
    });
    this.#events.push({ type: 'done', at: now, report: this.#report });
  }
}
