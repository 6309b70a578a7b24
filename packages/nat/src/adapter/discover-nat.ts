// Runs RFC 5780 NAT behaviour discovery from an existing socket (adapter), optionally sampling the
// port allocation from a few extra ephemeral sockets.
import { createSocket } from 'node:dgram';
import { NatError } from '../errors.js';
import type { PortSample } from '../core/discovery/classify.js';
import { NatDiscovery, type NatDiscoveryReport } from '../core/discovery/nat-discovery.js';
import type { TransportAddress } from '../core/stun/binding.js';
import { CoreRunner } from './core-runner.js';
import { monotonicNow } from '@meshpunch/base';
import { nodeRandom } from './hmac-sha1.js';
import { stunBinding } from './stun-binding.js';
import { resolveStunServer, type StunServerSpec } from './stun-server-address.js';
import { udpTransport, type DatagramTransport } from './transport.js';

/** Options of `discoverNat`. */
export interface DiscoverNatOptions {
  /** STUN servers; the first should be an RFC 5780 (two-address) server such as coturn. */
  servers: ReadonlyArray<string | StunServerSpec | TransportAddress>;
  /** The socket's own address(es) and port, to recognise "no NAT". */
  localAddresses: readonly TransportAddress[];
  /** Resolve names to this family (4 for a udp4 socket). */
  family?: 4 | 6;
  /**
   * Extra ephemeral sockets to open, one after another, for port-allocation samples (default 0).
   * Each sends one Binding to the first server and is closed again.
   */
  portSamples?: number;
  /** Passed to the core: RTOs and request counts of positive and filtering tests. */
  rtoMs?: number;
  requestCount?: number;
  filteringRtoMs?: number;
  filteringRequestCount?: number;
}

/** Upper bound on extra sockets, so a flag cannot open hundreds of ports. */
const MAX_PORT_SAMPLES = 8;

/**
 * Classifies this socket's NAT (mapping, filtering, port allocation) through `transport`.
 * Never rejects for an unreachable server: the report says `udp: false` and 'unknown'.
 * @throws NatError ERR_INVALID_PARAMETER (no servers, portSamples > 8), ERR_CANT_RESOLVE.
 */
export async function discoverNat(transport: DatagramTransport, options: DiscoverNatOptions): Promise<NatDiscoveryReport> {
  if (!options.servers || options.servers.length === 0) throw new NatError('ERR_INVALID_PARAMETER', 'servers must list at least one STUN server');
  const samples = options.portSamples ?? 0;
  if (!Number.isInteger(samples) || samples < 0 || samples > MAX_PORT_SAMPLES) {
    throw new NatError('ERR_INVALID_PARAMETER', `portSamples must be 0..${MAX_PORT_SAMPLES}, got ${samples}`);
  }
  const servers = await Promise.all(options.servers.map((s) => resolveStunServer(s, options.family)));
  const extra: PortSample[] = [];
  for (let i = 0; i < samples; i++) {
    const sock = createSocket(options.family === 6 ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((res, rej) => {
        sock.once('error', rej);
        sock.bind(0, () => res());
      });
      const t = udpTransport(sock);
      const r = await stunBinding(t, servers[0]!, { rtoMs: 200, requestCount: 4, lastWaitFactor: 8 }).catch(() => undefined);
      if (r) extra.push({ localPort: sock.address().port, mappedPort: r.mapped.port });
      t.detach();
    } finally {
      sock.close();
    }
  }
  const core = new NatDiscovery({
    random: nodeRandom,
    servers,
    localAddresses: options.localAddresses,
    extraPortSamples: extra,
    rtoMs: options.rtoMs,
    requestCount: options.requestCount,
    filteringRtoMs: options.filteringRtoMs,
    filteringRequestCount: options.filteringRequestCount,
    now: monotonicNow(),
  });
  return new Promise<NatDiscoveryReport>((resolve) => {
    const runner = new CoreRunner(transport, core, () => {
      const e = core.pollEvent();
      if (e) {
        runner.stop();
        resolve(e.report);
      }
    });
    runner.start();
  });
}
