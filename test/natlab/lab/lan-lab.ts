// LAN lab (issue #16): hosts in network namespaces on one bridge, with no router, no default
// route and no internet — a LAN party's switch. Multicast (mDNS) stays on that bridge: the
// bridge lives in its own namespace, never in the root one. Namespaces, processes and teardown
// are the NAT lab's (NamespaceLab): reapStaleLabs() removes what a crashed run left, and
// destroy() removes everything by its own names and pids.
import { NamespaceLab } from './namespace-lab.js';
import { run } from './run.js';

/** What {@link LanLab.create} builds. */
export interface LanLabOptions {
  /** LANs (bridges), each with its hosts: `h<lan><n>` at 10.77.<lan>.<n+1>/24 (and fd77:<lan>::<n+1>/64). */
  readonly lans: readonly { readonly hosts: number }[];
  /** Hosts with a second interface on LAN 2 (a machine on two LANs), by name. */
  readonly dualHomed?: readonly string[];
}

export class LanLab extends NamespaceLab {
  private readonly ips = new Map<string, string[]>();

  private constructor() {
    super('lan-lab');
  }

  /** Builds the LANs. @throws Error (after tearing down what it built) when a step fails. */
  static async create(options: LanLabOptions): Promise<LanLab> {
    if (options.lans.length < 1 || options.lans.length > 4) throw new Error('1..4 LANs');
    const lab = new LanLab();
    return NamespaceLab.built(lab, () => lab.build(options));
  }

  /** A host's IPv4 addresses (first: its LAN's). */
  hostIps(host: string): readonly string[] {
    const ip = this.ips.get(host);
    if (ip === undefined) throw new Error(`no lan-lab host named ${host}`);
    return ip;
  }

  private async build(o: LanLabOptions): Promise<void> {
    const sw = await this.addNamespace('switch');
    await run(['ip', 'netns', 'exec', sw, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0', 'net.bridge.bridge-nf-call-arptables=0']);
    for (let l = 1; l <= o.lans.length; l++) {
      // No IGMP snooping: every port gets the LAN's multicast, as on a plain switch.
      await run(['ip', '-n', sw, 'link', 'add', `br${l}`, 'type', 'bridge', 'mcast_snooping', '0']);
      await run(['ip', '-n', sw, 'link', 'set', `br${l}`, 'up']);
    }
    const attach = async (host: string, ns: string, lan: number, dev: string, n: number): Promise<string> => {
      const port = `${host}-${dev}`.slice(0, 15);
      await run(['ip', 'link', 'add', dev, 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
      await run(['ip', '-n', sw, 'link', 'set', port, 'master', `br${lan}`, 'up']);
      const ip = `10.77.${lan}.${n + 1}`;
      await run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
      // IPv6 with DAD off, so the address is usable at once.
      await run(['ip', '-n', ns, 'addr', 'add', `fd77:${lan}::${n + 1}/64`, 'dev', dev, 'nodad']);
      await run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      return ip;
    };
    for (let l = 1; l <= o.lans.length; l++) {
      for (let h = 1; h <= o.lans[l - 1]!.hosts; h++) {
        const host = `h${l}${h}`;
        const ns = await this.addNamespace(host);
        this.ips.set(host, [await attach(host, ns, l, 'eth0', h)]);
      }
    }
    for (const host of o.dualHomed ?? []) {
      if (o.lans.length < 2) throw new Error('dualHomed needs 2 LANs');
      const ns = this.ns(host);
      this.ips.get(host)!.push(await attach(host, ns, 2, 'eth1', 100 + this.namespaceIndex(ns)));
    }
  }
}
