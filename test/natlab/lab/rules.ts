// NAT lab: the nftables rulesets of a lab router — NAT type, firewall, hairpin, impairment and
// the tables miniupnpd fills — as text for `nft -f -`. Facts: docs/specs/natlab.md §3, §4, §6.

/** RFC 4787 behaviour of a lab router, by its classic name. */
export type LabNatType = 'full-cone' | 'address-restricted' | 'port-restricted' | 'symmetric';

/** Every NAT type a lab router can take. */
export const LAB_NAT_TYPES: readonly LabNatType[] = ['full-cone', 'address-restricted', 'port-restricted', 'symmetric'];

/**
 * Local (ephemeral) port range of a lab router's own sockets (net.ipv4.ip_local_port_range),
 * kept apart from the public ports it gives LAN hosts.
 */
export const ROUTER_PORT_RANGE: readonly [number, number] = [61000, 65000];

/** Inputs of {@link natRuleset}. */
export interface NatRulesetOptions {
  readonly nat: LabNatType;
  /** The router's address on the lab internet. */
  readonly wanIp: string;
  /** The LAN prefix (e.g. 10.0.1.0/24): only its traffic is translated, not the router's own. */
  readonly lanCidr: string;
  /** Hairpinning: a LAN host reaches another LAN host through its public mapping (§3.4). */
  readonly hairpin: boolean;
  /**
   * Drop unsolicited packets addressed to the router itself (§3.5). Without it, a peer's early
   * punch leaves a confirmed conntrack entry that makes MASQUERADE pick another port, so
   * port-restricted ↔ port-restricted punching fails; only turn it off to emulate that router.
   */
  readonly dropUnsolicited: boolean;
  /** STUN server addresses whose answers the router itself must receive (miniupnpd's check, §6 step 3). */
  readonly stunServers: readonly string[];
  /** Lifetime of the inbound cone bindings in s (the conntrack UDP timeout governs the rest, §3.7). */
  readonly bindingTimeoutS: number;
}

/**
 * The router's NAT as one nft table, replaced atomically (`table` / `delete table` / full
 * definition in one `nft -f`, §8: nft 1.0.6 has no `destroy`).
 *
 * - port-restricted: plain masquerade = endpoint-independent mapping with port preservation,
 *   address-and-port-dependent filtering by conntrack (§3.1).
 * - symmetric: masquerade fully-random = address-and-port-dependent mapping (§3.2).
 * - full cone / address-restricted: masquerade plus a learnt map public port → LAN endpoint,
 *   filled after srcnat, that DNATs inbound packets (§3.3).
 */
export function natRuleset(o: NatRulesetOptions): string {
  const pre: string[] = [];
  if (o.nat === 'full-cone') pre.push('iifname "wan0" meta l4proto udp dnat ip to udp dport map @pub2lan');
  if (o.nat === 'address-restricted') {
    pre.push('iifname "wan0" meta l4proto udp udp dport . ip saddr @contacted dnat ip to udp dport map @pub2lan');
  }
  const post: string[] = [];
  if (o.hairpin) {
    pre.push(`iifname "lan0" ip daddr ${o.wanIp} meta l4proto udp dnat ip to udp dport map @pub2lan`);
    post.push(`iifname "lan0" oifname "lan0" ct status dnat snat ip to ${o.wanIp}`);
  }
  // The router's own sockets (miniupnpd's STUN check, §6 step 2) keep their ports: with
  // fully-random masquerade they would look like a symmetric NAT to that check, which then
  // refuses to forward ports.
  // Public ports for the LAN stay below ROUTER_PORT_RANGE, so they never meet the router's own.
  post.push(`oifname "wan0" ip saddr ${o.lanCidr} meta l4proto { tcp, udp } masquerade to :1024-${ROUTER_PORT_RANGE[0] - 1}${o.nat === 'symmetric' ? ' fully-random' : ''}`);
  post.push(`oifname "wan0" ip saddr ${o.lanCidr} masquerade`);
  const input: string[] = [];
  if (o.stunServers.length > 0) {
    // Only to the router's own ephemeral ports: the STUN server's RFC 5780 answers to a LAN
    // host's public port must still die here unconfirmed (§3.5), or the next flow of that host
    // clashes with them and gets another public port.
    input.push(`iifname "wan0" ip saddr { ${o.stunServers.join(', ')} } udp sport 3478-3479 udp dport ${ROUTER_PORT_RANGE[0]}-${ROUTER_PORT_RANGE[1]} accept`);
  }
  if (o.dropUnsolicited) input.push('iifname "wan0" ct state new drop');
  const t = Math.max(1, Math.round(o.bindingTimeoutS));
  return `table ip natlab
delete table ip natlab
table ip natlab {
  map pub2lan {
    typeof udp dport : ip daddr . udp dport
    flags dynamic, timeout
    timeout ${t}s
    size 65535
  }
  set contacted {
    typeof udp sport . ip daddr
    flags dynamic, timeout
    timeout ${t}s
    size 65535
  }
  chain input {
    type filter hook input priority filter; policy accept;
${indent(input)}
  }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
${indent(pre)}
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
${indent(post)}
  }
  chain learn {
    type filter hook postrouting priority srcnat + 10; policy accept;
    oifname "wan0" meta l4proto udp ct direction original update @pub2lan { udp sport : ct original ip saddr . ct original proto-src } update @contacted { udp sport . ip daddr }
  }
}
`;
}

/** Loss and duplication of a router's UDP traffic, in % (0..100 each), per direction. */
export interface NftImpairment {
  readonly lossPct: number;
  readonly dupPct: number;
}

/**
 * Loss/duplication after NAT (§4): `dup` must sit after srcnat, or the copy leaves untracked
 * with the private source address. Uplink = out of wan0, downlink = out of lan0.
 */
export function impairRuleset(up: NftImpairment, down: NftImpairment): string {
  const rules: string[] = [];
  for (const [dev, imp] of [['wan0', up], ['lan0', down]] as const) {
    if (imp.lossPct > 0) rules.push(`oifname "${dev}" meta l4proto udp numgen random mod 100 < ${pct(imp.lossPct)} counter drop`);
    if (imp.dupPct > 0) {
      rules.push(`oifname "${dev}" meta l4proto udp numgen random mod 100 < ${pct(imp.dupPct)} counter dup to ip daddr device "${dev}"`);
    }
  }
  return `table ip impair
delete table ip impair
table ip impair {
  chain post {
    type filter hook postrouting priority srcnat + 20; policy accept;
${indent(rules)}
  }
}
`;
}

/**
 * The tables miniupnpd 2.3.1 (nftables backend) writes into, made by hand because Debian's
 * nft_init.sh is broken (§6 step 1): table inet filter with chains miniupnpd,
 * prerouting_miniupnpd, postrouting_miniupnpd, reached from base chains; forward policy accept.
 */
export function miniupnpdTables(): string {
  return `table inet filter
delete table inet filter
table inet filter {
  chain forward {
    type filter hook forward priority filter; policy accept;
    jump miniupnpd
  }
  chain miniupnpd {
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    jump postrouting_miniupnpd
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
}
`;
}

/** Inputs of {@link miniupnpdConfig}. */
export interface MiniupnpdConfigOptions {
  readonly name: string;
  readonly igd: 'v1' | 'v2';
  readonly lanCidr: string;
  readonly leaseFile: string;
  readonly uuid: string;
  readonly stunHost: string;
  readonly httpPort: number;
}

/**
 * miniupnpd.conf for a lab router (§6). `ext_perform_stun` gets it past its reserved-address
 * check of 203.0.113.0/24; `force_igd_desc_v1` switches the description between
 * IGDv1 (WANIPConnection:1) and IGDv2 (WANIPConnection:2); `secure_mode` only lets a client
 * map ports to itself.
 */
export function miniupnpdConfig(o: MiniupnpdConfigOptions): string {
  return [
    'ext_ifname=wan0',
    'listening_ip=lan0',
    `http_port=${o.httpPort}`,
    'enable_natpmp=yes',
    'enable_upnp=yes',
    'secure_mode=yes',
    'system_uptime=yes',
    'notify_interval=60',
    'clean_ruleset_interval=600',
    `uuid=${o.uuid}`,
    `friendly_name=natlab-${o.name}`,
    `lease_file=${o.leaseFile}`,
    `force_igd_desc_v1=${o.igd === 'v1' ? 'yes' : 'no'}`,
    'ext_perform_stun=yes',
    `ext_stun_host=${o.stunHost}`,
    'ext_stun_port=3478',
    `allow 1024-65535 ${o.lanCidr} 1024-65535`,
    'deny 0-65535 0.0.0.0/0 0-65535',
    '',
  ].join('\n');
}

function indent(lines: readonly string[]): string {
  return lines.map((l) => `    ${l}`).join('\n');
}

function pct(v: number): number {
  return Math.max(0, Math.min(100, Math.round(v)));
}
