// NAT lab builder: network namespaces joined by veth pairs into a lab "internet"
// (203.0.113.0/24), NAT routers of each RFC 4787 type with LANs in 10.x behind them, coturn as
// a two-address STUN server, miniupnpd, and impairment; `destroy()` removes all of it by its
// own names and pids. Recipe and measurements: docs/specs/natlab.md.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { START_TIMEOUT_MS } from '../../e2e/agent-process.js';
import { LabProcess, run } from './run.js';
import { impairRuleset, miniupnpdConfig, miniupnpdTables, natRuleset, ROUTER_PORT_RANGE, type LabNatType } from './rules.js';
import { nfqDelayBinary } from './tools.js';
import { reapStaleLabs } from './cleanup.js';
import { NamespaceLab, NS_PREFIX } from './namespace-lab.js';

export { reapStaleLabs, NS_PREFIX };

/** The lab internet's prefix and the STUN / reflector server's addresses on it. */
export const LAB_INTERNET = Object.freeze({
  cidr: '203.0.113.0/24',
  /** coturn primary address (RFC 5780: ports 3478 and 3479 on both addresses). */
  stunPrimary: '203.0.113.10',
  /** coturn alternate address (OTHER-ADDRESS). */
  stunAlternate: '203.0.113.11',
  /** A third server address: another destination for mapping probes. */
  third: '203.0.113.12',
  stunPort: 3478,
  stunAltPort: 3479,
  /** UDP port of the reflector on every server address (and port+1 on the primary). */
  reflectorPort: 7000,
});

/** One NAT router with its LAN. */
export interface LabRouterOptions {
  /** Short name, letters/digits (e.g. 'A'); its hosts are `<lowercase name><n>` (a1, a2). */
  readonly name: string;
  readonly nat: LabNatType;
  /** Hosts on the LAN; default 1. */
  readonly hosts?: number;
  /** Hairpinning on (§3.4); default off, as Linux does for dynamic mappings. */
  readonly hairpin?: boolean;
  /** miniupnpd on this router, describing itself as IGDv1 or IGDv2 (§6). */
  readonly upnp?: 'v1' | 'v2';
  /** conntrack UDP timeouts (both) and cone binding lifetime in s (§3.7); default kernel 30/120. */
  readonly udpTimeoutS?: number;
  /** Drop unsolicited packets to the router itself (§3.5 fix); default true. */
  readonly dropUnsolicited?: boolean;
}

/** What {@link Lab.create} builds. */
export interface LabOptions {
  readonly routers: readonly LabRouterOptions[];
  /** Hosts straight on the lab internet, no NAT (`p1`, `p2`, …, 203.0.113.51+); default 0. */
  readonly publicHosts?: number;
  /** coturn on the server node `srv`; default true (miniupnpd needs it). */
  readonly stun?: boolean;
  /** The UDP reflector on `srv` (runners/reflector.js); default true. */
  readonly reflector?: boolean;
}

/** Per-direction impairment of a router's UDP traffic. */
export interface LabImpairment {
  /** Loss in % (nft numgen; applied after NAT). */
  readonly lossPct?: number;
  /** Duplication in % (nft dup after srcnat). */
  readonly dupPct?: number;
  /** Uplink delay in ms (NFQUEUE helper; reorders when jitter exceeds the packet spacing). */
  readonly delayMs?: number;
  /** ± jitter in ms around delayMs. */
  readonly jitterMs?: number;
}

interface RouterState {
  readonly opts: LabRouterOptions;
  readonly index: number;
  readonly wanIp: string;
  readonly lanPrefix: string;
  nat: LabNatType;
  hairpin: boolean;
  upnp: LabProcess | undefined;
  upnpMode: 'v1' | 'v2' | undefined;
  delay: LabProcess | undefined;
  bindingTimeoutS: number;
  dropUnsolicited: boolean;
}

/** One mapping as miniupnpd wrote it into its nft chain: external port → LAN endpoint. */
export interface UpnpRule {
  readonly protocol: 'udp' | 'tcp';
  readonly externalPort: number;
  readonly internalIp: string;
  readonly internalPort: number;
}

/** Time spent building the lab, for reports. */
export interface LabTimings {
  readonly namespacesMs: number;
  readonly servicesMs: number;
  readonly totalMs: number;
}

/** Routers built at once; `ip` commands are short, 3 keeps 2 shared cores busy without piling up. */
const BUILD_PARALLELISM = 3;

const here = dirname(fileURLToPath(import.meta.url));
/** Compiled runner scripts (test/dist/natlab/runners). */
export const RUNNERS_DIR = join(here, '..', 'runners');

/**
 * A running NAT lab. Build with {@link Lab.create}; always `await lab.destroy()` (in an
 * `after` hook), which also runs when create fails half-way.
 */
export class Lab extends NamespaceLab {
  /** Scratch directory for configs, pid and lease files; removed by destroy. */
  readonly runDir: string;
  timings: LabTimings = { namespacesMs: 0, servicesMs: 0, totalMs: 0 };
  private readonly routers = new Map<string, RouterState>();
  private readonly hostIps = new Map<string, string>();

  private constructor(private readonly options: LabOptions) {
    super('lab');
    this.runDir = mkdtempSync(join(tmpdir(), `meshpunch-natlab-${this.runId}-`));
  }

  /**
   * Builds the lab: namespaces, links, addresses, NAT rules, then coturn, the reflector and
   * miniupnpd where asked. Removes namespaces left by earlier runs whose creator is gone.
   * @throws Error (after tearing down what it built) when any step fails.
   */
  static async create(options: LabOptions): Promise<Lab> {
    validate(options);
    const lab = new Lab(options);
    return NamespaceLab.built(lab, async () => {
      const t0 = performance.now();
      await lab.buildTopology();
      const t1 = performance.now();
      await lab.startServices();
      const t2 = performance.now();
      lab.timings = { namespacesMs: Math.round(t1 - t0), servicesMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0) };
    });
  }

  /** The router's address on the lab internet. */
  wanIp(router: string): string {
    return this.router(router).wanIp;
  }

  /** A host's address (LAN address behind its router, or the public address of p<n>). */
  hostIp(host: string): string {
    const ip = this.hostIps.get(host);
    if (ip === undefined) throw new Error(`no lab host named ${host}`);
    return ip;
  }

  /** The router in front of a LAN host (its lowercase letters name it). */
  routerOf(host: string): string {
    for (const r of this.routers.values()) {
      if (host.startsWith(r.opts.name.toLowerCase()) && /^\d+$/.test(host.slice(r.opts.name.length))) return r.opts.name;
    }
    throw new Error(`${host} is not behind a lab router`);
  }

  /** Current NAT type of a router. */
  natType(router: string): LabNatType {
    return this.router(router).nat;
  }

  /**
   * Runs one of the compiled runner scripts (runners/<name>.js) with `node` inside a node's
   * namespace and parses the last line it prints as JSON.
   */
  async runJson<T = unknown>(node: string, runner: string, args: readonly string[], timeoutMs = 20_000): Promise<T> {
    const r = await this.exec(node, [process.execPath, join(RUNNERS_DIR, `${runner}.js`), ...args], { timeoutMs });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as T;
    } catch {
      throw new Error(`${runner} in ${node} printed no JSON: ${r.stdout.slice(-500)} ${r.stderr.slice(-500)}`);
    }
  }

  /** Starts a runner script as a long-lived process in a node's namespace. */
  spawnRunner(node: string, runner: string, args: readonly string[]): LabProcess {
    return this.spawn(node, [process.execPath, join(RUNNERS_DIR, `${runner}.js`), ...args], `${node}:${runner}`);
  }

  /**
   * Switches a router's NAT type (and hairpinning) atomically and flushes its conntrack table
   * so no mapping of the previous mode survives (§8).
   */
  async setNat(router: string, nat: LabNatType, opts: { hairpin?: boolean; dropUnsolicited?: boolean; udpOnly?: boolean } = {}): Promise<void> {
    const r = this.router(router);
    r.nat = nat;
    if (opts.hairpin !== undefined) r.hairpin = opts.hairpin;
    if (opts.dropUnsolicited !== undefined) r.dropUnsolicited = opts.dropUnsolicited;
    await this.loadNat(r);
    await this.flushConntrack(router, opts.udpOnly === true);
  }

  /**
   * Forgets every NAT binding of a router (conntrack -F and the cone maps); `udpOnly` keeps the
   * TCP ones, so a host's signaling WebSocket survives a change of its UDP mappings.
   */
  async flushConntrack(router: string, udpOnly = false): Promise<void> {
    const r = this.router(router);
    await this.exec(r.opts.name, udpOnly ? ['conntrack', '-D', '-p', 'udp'] : ['conntrack', '-F'], { allowFail: true });
    await this.nft(r.opts.name, 'flush map ip natlab pub2lan\nflush set ip natlab contacted\n');
  }

  /**
   * Sets a router's conntrack UDP timeouts (and the cone binding lifetime) in s (§3.7);
   * undefined restores the kernel defaults (30 s, 120 s for streams).
   */
  async setUdpTimeout(router: string, seconds: number | undefined): Promise<void> {
    const r = this.router(router);
    await this.exec(r.opts.name, ['sysctl', '-q', '-w', `net.netfilter.nf_conntrack_udp_timeout=${seconds ?? 30}`,
      `net.netfilter.nf_conntrack_udp_timeout_stream=${seconds ?? 120}`]);
    r.bindingTimeoutS = seconds ?? 120;
    await this.loadNat(r);
  }

  /**
   * Impairs a router's UDP traffic: loss/duplication per direction with nft, uplink delay and
   * jitter with the NFQUEUE helper (compiled on first use). Replaces any earlier impairment.
   */
  async impair(router: string, up: LabImpairment, down: LabImpairment = {}): Promise<void> {
    const r = this.router(router);
    await this.clearImpairment(router);
    await this.nft(r.opts.name, impairRuleset(
      { lossPct: up.lossPct ?? 0, dupPct: up.dupPct ?? 0 },
      { lossPct: down.lossPct ?? 0, dupPct: down.dupPct ?? 0 },
    ));
    if ((up.delayMs ?? 0) > 0) {
      const bin = await nfqDelayBinary();
      r.delay = this.spawn(r.opts.name, [bin, '0', String(up.delayMs), String(up.jitterMs ?? 0), '0'], `${r.opts.name}:nfq-delay`);
      await r.delay.waitForLine(/^ready/, START_TIMEOUT_MS);
      // mangle POSTROUTING via the iptables compat path: nft's own `queue` is not built (§9);
      // --queue-bypass lets packets pass if the helper is gone.
      await this.exec(r.opts.name, ['iptables', '-t', 'mangle', '-A', 'POSTROUTING', '-o', 'wan0', '-p', 'udp',
        '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']);
    }
  }

  /** Removes all impairment of a router and stops its delay helper. */
  async clearImpairment(router: string): Promise<void> {
    const r = this.router(router);
    await this.exec(r.opts.name, ['iptables', '-t', 'mangle', '-F', 'POSTROUTING'], { allowFail: true });
    if (r.delay) {
      await r.delay.stop();
      r.delay = undefined;
    }
    await this.nft(r.opts.name, 'table ip impair\ndelete table ip impair\n');
  }

  /**
   * Starts (or restarts) miniupnpd on a router as IGDv1 or IGDv2 and waits until its STUN check
   * enabled port forwarding (§6). Needs the lab's coturn.
   */
  async startUpnp(router: string, igd: 'v1' | 'v2'): Promise<void> {
    const r = this.router(router);
    await this.stopUpnp(router);
    await this.nft(r.opts.name, miniupnpdTables());
    const base = join(this.runDir, `miniupnpd-${r.opts.name}`);
    const conf = `${base}.conf`;
    writeFileSync(conf, miniupnpdConfig({
      name: r.opts.name,
      igd,
      lanCidr: `${r.lanPrefix}.0/24`,
      leaseFile: `${base}.leases`,
      uuid: `3f1e2c4a-0000-4000-8000-${(0xa00000000000 + r.index).toString(16)}`,
      stunHost: LAB_INTERNET.stunPrimary,
      httpPort: 5000,
    }));
    // -d: foreground with debug log (what waitForLine reads); -P: own pid file, required for
    // more than one instance (§6).
    r.upnp = this.spawn(r.opts.name, ['miniupnpd', '-f', conf, '-d', '-P', `${base}.pid`], `${r.opts.name}:miniupnpd`);
    r.upnpMode = igd;
    await r.upnp.waitForLine(/Port forwarding is now enabled|HTTP listening on port/, START_TIMEOUT_MS);
    await r.upnp.waitForLine(/Port forwarding is now enabled/, START_TIMEOUT_MS);
  }

  /** Stops a router's miniupnpd (by pid) and drops its tables. */
  async stopUpnp(router: string): Promise<void> {
    const r = this.router(router);
    if (r.upnp) {
      await r.upnp.stop();
      r.upnp = undefined;
      r.upnpMode = undefined;
    }
    await this.nft(r.opts.name, 'table inet filter\ndelete table inet filter\n');
  }

  /** miniupnpd's log so far (debug level), for assertions and failure messages. */
  upnpLog(router: string): readonly string[] {
    return this.router(router).upnp?.lines ?? [];
  }

  /**
   * The port mappings miniupnpd has installed, read from its own nft chain
   * `prerouting_miniupnpd` (not from any client's word).
   */
  async upnpRules(router: string): Promise<UpnpRule[]> {
    const r = await this.exec(router, ['nft', 'list', 'chain', 'inet', 'filter', 'prerouting_miniupnpd'], { allowFail: true });
    if (r.code !== 0) return [];
    return parseUpnpRules(r.stdout);
  }

  /**
   * Tears everything down: stops every process it started (SIGTERM, then SIGKILL, by pid),
   * kills by pid whatever still runs inside its namespaces, deletes the namespaces (an
   * `ip netns del` alone would leave processes running in an unnamed namespace, §8) and the
   * scratch directory. Safe to call twice.
   */
  override async destroy(): Promise<void> {
    await super.destroy();
    rmSync(this.runDir, { recursive: true, force: true });
  }

  private router(name: string): RouterState {
    const r = this.routers.get(name);
    if (r === undefined) throw new Error(`no lab router named ${name}`);
    return r;
  }

  private async nft(node: string, script: string): Promise<void> {
    await this.exec(node, ['nft', '-f', '-'], { input: script });
  }

  private async loadNat(r: RouterState): Promise<void> {
    await this.nft(r.opts.name, natRuleset({
      nat: r.nat,
      wanIp: r.wanIp,
      lanCidr: `${r.lanPrefix}.0/24`,
      hairpin: r.hairpin,
      dropUnsolicited: r.dropUnsolicited,
      stunServers: this.options.stun === false ? [] : [LAB_INTERNET.stunPrimary, LAB_INTERNET.stunAlternate],
      bindingTimeoutS: r.bindingTimeoutS,
    }));
  }

  private async buildTopology(): Promise<void> {
    const inet = await this.addNamespace('inet');
    // Bridged frames must not go through iptables/conntrack: br_netfilter is built in and its
    // sysctls default to 1 in every new namespace (§2).
    await this.exec('inet', ['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0',
      'net.bridge.bridge-nf-call-arptables=0']);
    await run(['ip', '-n', inet, 'link', 'add', 'br0', 'type', 'bridge']);
    await run(['ip', '-n', inet, 'link', 'set', 'br0', 'up']);

    const uplink = async (node: string, port: string, addrs: readonly string[]): Promise<void> => {
      const ns = this.ns(node);
      // Both ends are created straight in their namespaces: the root namespace is never touched.
      await run(['ip', 'link', 'add', 'wan0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', inet]);
      await run(['ip', '-n', inet, 'link', 'set', port, 'master', 'br0', 'up']);
      for (const a of addrs) await run(['ip', '-n', ns, 'addr', 'add', `${a}/24`, 'dev', 'wan0']);
      await run(['ip', '-n', ns, 'link', 'set', 'wan0', 'up']);
    };

    await this.addNamespace('srv');
    await uplink('srv', 'p-srv', [LAB_INTERNET.stunPrimary, LAB_INTERNET.stunAlternate, LAB_INTERNET.third]);

    for (let k = 1; k <= (this.options.publicHosts ?? 0); k++) {
      const ip = `203.0.113.${50 + k}`;
      await this.addNamespace(`p${k}`);
      await uplink(`p${k}`, `p-p${k}`, [ip]);
      this.hostIps.set(`p${k}`, ip);
    }

    // Routers (with their LANs) are independent: build a few at once. allSettled, so no builder
    // is still adding namespaces when a failure makes create() tear the lab down.
    const queue = [...this.options.routers.entries()];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.buildRouter(next[0], next[1], uplink);
    };
    const results = await Promise.allSettled(Array.from({ length: BUILD_PARALLELISM }, worker));
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async buildRouter(index: number, opts: LabRouterOptions,
    uplink: (node: string, port: string, addrs: readonly string[]) => Promise<void>): Promise<void> {
    const r: RouterState = {
      opts, index, wanIp: `203.0.113.${101 + index}`, lanPrefix: `10.0.${index + 1}`, nat: opts.nat,
      hairpin: opts.hairpin ?? false, upnp: undefined, upnpMode: undefined, delay: undefined,
      bindingTimeoutS: opts.udpTimeoutS ?? 120, dropUnsolicited: opts.dropUnsolicited ?? true,
    };
    this.routers.set(opts.name, r);
    const rns = await this.addNamespace(opts.name);
    await uplink(opts.name, `p-${opts.name}`, [r.wanIp]);
    const sysctls = ['net.ipv4.ip_forward=1', `net.ipv4.ip_local_port_range=${ROUTER_PORT_RANGE[0]} ${ROUTER_PORT_RANGE[1]}`, 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0',
      'net.bridge.bridge-nf-call-arptables=0'];
    if (opts.udpTimeoutS !== undefined) {
      sysctls.push(`net.netfilter.nf_conntrack_udp_timeout=${opts.udpTimeoutS}`, `net.netfilter.nf_conntrack_udp_timeout_stream=${opts.udpTimeoutS}`);
    }
    await this.exec(opts.name, ['sysctl', '-q', '-w', ...sysctls]);
    // The LAN is a bridge so that several hosts can sit behind one NAT (§2).
    await run(['ip', '-n', rns, 'link', 'add', 'lan0', 'type', 'bridge']);
    await run(['ip', '-n', rns, 'addr', 'add', `${r.lanPrefix}.1/24`, 'dev', 'lan0']);
    await run(['ip', '-n', rns, 'link', 'set', 'lan0', 'up']);
    for (let h = 1; h <= (opts.hosts ?? 1); h++) {
      const host = `${opts.name.toLowerCase()}${h}`;
      const ip = `${r.lanPrefix}.${h + 1}`;
      const hns = await this.addNamespace(host);
      await run(['ip', 'link', 'add', 'eth0', 'netns', hns, 'type', 'veth', 'peer', 'name', `h-${host}`, 'netns', rns]);
      await run(['ip', '-n', rns, 'link', 'set', `h-${host}`, 'master', 'lan0', 'up']);
      await run(['ip', '-n', hns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await run(['ip', '-n', hns, 'link', 'set', 'eth0', 'up']);
      // The default route also carries SSDP's multicast M-SEARCH to the LAN (§6 step 5).
      await run(['ip', '-n', hns, 'route', 'add', 'default', 'via', `${r.lanPrefix}.1`]);
      this.hostIps.set(host, ip);
    }
    await this.loadNat(r);
  }

  private async startServices(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    if (this.options.stun !== false) {
      const coturn = this.spawn('srv', ['turnserver', '-n', '--stun-only', '--no-tcp', '-L', LAB_INTERNET.stunPrimary, '-L', LAB_INTERNET.stunAlternate,
        '--listening-port', String(LAB_INTERNET.stunPort), '--alt-listening-port', String(LAB_INTERNET.stunAltPort),
        '--no-tls', '--no-dtls', '--no-cli', '--log-file', 'stdout', '--simple-log',
        '--pidfile', join(this.runDir, 'coturn.pid'), '--db', join(this.runDir, 'turndb')], 'srv:coturn');
      waits.push(waitForUdp(this, 'srv', `${LAB_INTERNET.stunAlternate}:${LAB_INTERNET.stunAltPort}`, coturn));
    }
    if (this.options.reflector !== false) {
      const refl = this.spawnRunner('srv', 'reflector', [LAB_INTERNET.stunPrimary, LAB_INTERNET.stunAlternate, LAB_INTERNET.third,
        String(LAB_INTERNET.reflectorPort)]);
      waits.push(refl.waitForLine(/^ready/, START_TIMEOUT_MS));
    }
    await Promise.all(waits);
    for (const r of this.routers.values()) {
      if (r.opts.upnp) await this.startUpnp(r.opts.name, r.opts.upnp);
    }
  }
}

/** Waits (bounded) until a UDP socket is bound on ip:port in the node's namespace. */
async function waitForUdp(lab: Lab, node: string, ipPort: string, proc: LabProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await lab.exec(node, ['ss', '-Hlnu'], { allowFail: true });
    if (r.stdout.includes(ipPort)) return;
    if (proc.hasExited) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`${proc.label} did not bind ${ipPort}: ${proc.tail()}`);
}

/** Parses miniupnpd's `prerouting_miniupnpd` chain listing into mappings. */
export function parseUpnpRules(listing: string): UpnpRule[] {
  const out: UpnpRule[] = [];
  // e.g. `iif "wan0" @nh,72,8 0x11 th dport 48000 dnat ip to 10.0.1.2:48000` (0x11 = UDP, 0x6 = TCP)
  const re = /@nh,72,8 (0x[0-9a-f]+).*?dport (\d+) dnat ip to (\d+\.\d+\.\d+\.\d+):(\d+)/g;
  for (const m of listing.matchAll(re)) {
    out.push({ protocol: m[1] === '0x11' ? 'udp' : 'tcp', externalPort: Number(m[2]), internalIp: m[3]!, internalPort: Number(m[4]) });
  }
  return out;
}

function validate(o: LabOptions): void {
  const names = new Set<string>();
  if (o.routers.length > 150) throw new Error('at most 150 routers');
  for (const r of o.routers) {
    if (!/^[A-Z][A-Z0-9]{0,3}$/.test(r.name)) throw new Error(`router name must be 1-4 capitals/digits starting with a letter, got ${r.name}`);
    if (names.has(r.name)) throw new Error(`duplicate router name ${r.name}`);
    names.add(r.name);
    if ((r.hosts ?? 1) < 0 || (r.hosts ?? 1) > 20) throw new Error(`router ${r.name}: hosts must be 0..20`);
  }
  if ((o.publicHosts ?? 0) < 0 || (o.publicHosts ?? 0) > 40) throw new Error('publicHosts must be 0..40');
  if (o.routers.some((r) => r.upnp) && o.stun === false) throw new Error('miniupnpd needs the lab STUN server (stun: true)');
}
