// A signaling service under test as a client sees it: one node, or several nodes sharing an
// in-memory or a Redis cluster store (issue 14). Clients spread over the nodes' URLs.
import { randomBytes } from 'node:crypto';
import type { SignalingServer, SignalingServerOptions } from '../../src/adapter/signaling-server.js';
import { MemoryBus, MemoryCluster, MemoryStore } from '../../src/cluster/memory-store.js';
import { RedisCluster } from '../../src/cluster/redis-store.js';
import { startTestServer } from './server.js';

export type StoreKind = 'one node' | 'memory' | 'redis';

export interface ServiceUnderTest {
  readonly servers: SignalingServer[];
  /** The URL of node i mod n. */
  url(i: number): string;
  close(): Promise<void>;
}

/**
 * Starts `n` nodes (one for 'one node'). 'redis' needs `redisUrl`; each service gets its own key
 * prefix, so tests sharing one redis-server never see each other's lobbies. `redisCommandTimeoutMs`
 * is the store's command timeout (the service's default, 1 s, when not given).
 */
export async function startService(kind: StoreKind, n: number, options: SignalingServerOptions = {}, redisUrl?: string, leaseMs = 1500, redisCommandTimeoutMs?: number): Promise<ServiceUnderTest> {
  const servers: SignalingServer[] = [];
  if (kind === 'one node') servers.push(await startTestServer(options));
  else {
    const memory = new MemoryCluster(() => performance.now());
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    for (let i = 0; i < n; i++) {
      const pair = kind === 'memory'
        ? { store: new MemoryStore(memory, `n${i}`), bus: new MemoryBus(memory, `n${i}`) }
        : await (async () => {
          const rc = await RedisCluster.connect({ url: redisUrl!, prefix, ...(redisCommandTimeoutMs === undefined ? {} : { commandTimeoutMs: redisCommandTimeoutMs }) }, () => undefined);
          return { store: rc, bus: rc };
        })();
      servers.push(await startTestServer({ ...options, cluster: { ...pair, leaseMs } }));
    }
  }
  return {
    servers,
    url: (i) => servers[i % servers.length]!.url,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
