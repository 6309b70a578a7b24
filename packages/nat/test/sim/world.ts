// Test helper: a simulated internet with an RFC 5780 STUN server and hosts behind NAT boxes of
// each classic type, each host running a socket-sharing mux of sans-IO cores (as the agent does).
import { NatBox, Prng, SimDriver, SimNet, natPreset, type NatBoxOptions, type NatPresetName, type SansIoCore } from '@meshpunch/sim';
import { SimStunServer } from './sim-stun-server.js';

/** A host's network position: on the internet ('none') or behind a NAT of a classic type. */
export type NatKind = 'none' | NatPresetName;

/** Several cores on one socket: each datagram goes to the first core that consumes it. */
export class CoreMux implements SansIoCore {
  cores: Array<SansIoCore & { handleDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): boolean | void }> = [];

  handleDatagram(now: number, from: { address: string; port: number }, bytes: Uint8Array): void {
    for (const c of this.cores) {
      const consumed: unknown = c.handleDatagram(now, from, bytes);
      if (consumed === true) return;
    }
  }

  handleTimeout(now: number): void {
    for (const c of this.cores) {
      const t = c.pollTimeout();
      if (t !== undefined && t <= now) c.handleTimeout(now);
    }
  }

  pollTransmit(now: number, out: Uint8Array, to: { address: string; port: number }): number {
    for (const c of this.cores) {
      const n = c.pollTransmit(now, out, to);
      if (n > 0) return n;
    }
    return 0;
  }

  pollTimeout(): number | undefined {
    let t: number | undefined;
    for (const c of this.cores) {
      const d = c.pollTimeout();
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }
}

export interface Host {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly mux: CoreMux;
  readonly box: NatBox | undefined;
}

export interface World {
  readonly net: SimNet;
  readonly driver: SimDriver;
  readonly prng: Prng;
  readonly server: SimStunServer;
  /** A second, plain STUN server on another IP (for "plain servers only" discovery). */
  readonly plainServer: SimStunServer;
  readonly hosts: Host[];
}

/** Builds the STUN servers; hosts are added with `addHost`. */
export function makeWorld(seed: number, link: { latencyMs?: number; jitterMs?: number; loss?: number } = {}): World {
  const prng = new Prng(seed);
  const net = new SimNet({ prng, defaultLink: { latencyMs: link.latencyMs ?? 5, jitterMs: link.jitterMs ?? 0, loss: link.loss ?? 0 } });
  const server = new SimStunServer(net, { primaryIp: '203.0.113.10', alternateIp: '203.0.113.11' });
  const plainServer = new SimStunServer(net, { primaryIp: '203.0.113.20' });
  return { net, driver: new SimDriver(net), prng, server, plainServer, hosts: [] };
}

let natCount = 0;

/**
 * Adds a host behind a new NAT of `kind` (or on the internet for 'none'), or behind an existing
 * host's NAT with `behind`. Returns the host with an empty core mux bound at address:port.
 */
export function addHost(
  world: World,
  name: string,
  kind: NatKind,
  options: { behind?: Host; port?: number; nat?: Partial<NatBoxOptions> } = {},
): Host {
  const port = options.port ?? 40000;
  natCount++;
  if (options.behind) {
    const realm = world.net.realmOf(options.behind.address);
    const last = Number(options.behind.address.split('.')[3]) + 1 + world.hosts.length;
    const address = `${options.behind.address.split('.').slice(0, 3).join('.')}.${last}`;
    const mux = new CoreMux();
    world.driver.add(mux, address, port, realm);
    const host = { name, address, port, mux, box: options.behind.box };
    world.hosts.push(host);
    return host;
  }
  const index = world.hosts.length + 1;
  if (kind === 'none') {
    const address = `198.51.100.${100 + index}`;
    const mux = new CoreMux();
    world.driver.add(mux, address, port);
    const host = { name, address, port, mux, box: undefined };
    world.hosts.push(host);
    return host;
  }
  const realm = `lan-${name}-${natCount}`;
  const box = new NatBox({ insideRealm: realm, publicAddress: `198.51.100.${index}`, prng: new Prng(world.prng.nextUint32()), ...natPreset(kind), ...options.nat });
  world.net.addGateway(box);
  const address = `10.0.${index}.2`;
  const mux = new CoreMux();
  world.driver.add(mux, address, port, realm);
  const host = { name, address, port, mux, box };
  world.hosts.push(host);
  return host;
}
