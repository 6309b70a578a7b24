// The cluster store and bus on Redis (issue 14), with the official `redis` client. Every step
// two nodes could race on (claiming a lobby's home, writing a record only while still its home)
// is one Lua script, so Redis runs it atomically; peer ids and maxPeers need none, since only a
// lobby's home core draws ids and admits members. Keys, all under the prefix and all expiring:
//   <p>node:<id>      lease of a node            <p>home:<lobby>   its home node's id
//   <p>lobby:<lobby>  its record (JSON)          <p>tok:<token>    the lobby a resume token is in
// and one pub/sub channel per node: <p>bus:<id>. Scripts build key names from the prefix, so
// they suit one Redis (or a Sentinel-managed primary), not Redis Cluster's slots.
import { createHash, randomBytes } from 'node:crypto';
import type { LobbyRecord } from '../core/lobby-record.js';
import type { ClusterBus, ClusterStore, HomeClaim, TokenClaim } from './store.js';

/** Options of a Redis-backed cluster. */
export interface RedisClusterOptions {
  /** redis://[user:pass@]host:port[/db] */
  readonly url: string;
  /** Key and channel prefix. Default 'meshpunch:'. */
  readonly prefix?: string;
  /** A command not answered within this many ms fails (the node then counts Redis as down). Default 1000. */
  readonly commandTimeoutMs?: number;
}

// KEYS: home, lobby. ARGV: node, create (1/0), ttl ms, node-key prefix.
// Returns {home, record}: home false when there is none; record only when this node just took it.
const CLAIM = `
local home = redis.call('GET', KEYS[1])
if home and (home == ARGV[1] or redis.call('EXISTS', ARGV[4] .. home) == 1) then return {home, false} end
local rec = redis.call('GET', KEYS[2])
if (not rec) and ARGV[2] ~= '1' then return {false, false} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return {ARGV[1], rec}
`;

// The resume path in one round trip: the token's lobby, then CLAIM for it (never creating).
// KEYS: token. ARGV: node, ttl ms, node-key prefix, home-key prefix, lobby-key prefix.
// Returns {code, home, record}: code false for an unknown token, home false for no home.
const CLAIM_BY_TOKEN = `
local code = redis.call('GET', KEYS[1])
if not code then return {false, false, false} end
local hk = ARGV[4] .. code
local home = redis.call('GET', hk)
if home and (home == ARGV[1] or redis.call('EXISTS', ARGV[3] .. home) == 1) then return {code, home, false} end
local rec = redis.call('GET', ARGV[5] .. code)
if not rec then return {code, false, false} end
redis.call('SET', hk, ARGV[1], 'PX', ARGV[2])
return {code, ARGV[1], rec}
`;

// KEYS: home, lobby. ARGV: node, ttl ms, node-key prefix, token-key prefix, record ('' = delete),
// lobby key, number of tokens to add, tokens to add..., tokens to drop...
// Returns 0 when another live node is the home (fenced), else 1.
const SAVE = `
local home = redis.call('GET', KEYS[1])
if home and home ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. home) == 1 then return 0 end
local n = tonumber(ARGV[7])
for i = 8 + n, #ARGV do redis.call('DEL', ARGV[4] .. ARGV[i]) end
if ARGV[5] == '' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[2])
for i = 8, 7 + n do redis.call('SET', ARGV[4] .. ARGV[i], ARGV[6], 'PX', ARGV[2]) end
return 1
`;

// ARGV: node, home prefix, lobby prefix, token prefix, ttl ms, node prefix, lobby keys...
// Returns the lobby keys another live node is home of now (this node lost them).
const TOUCH = `
local lost = {}
for i = 7, #ARGV do
  local hk = ARGV[2] .. ARGV[i]
  local home = redis.call('GET', hk)
  if home and home ~= ARGV[1] and redis.call('EXISTS', ARGV[6] .. home) == 1 then lost[#lost + 1] = ARGV[i] end
  if home == ARGV[1] then
    redis.call('PEXPIRE', hk, ARGV[5])
    local lk = ARGV[3] .. ARGV[i]
    local rec = redis.call('GET', lk)
    if rec then
      redis.call('PEXPIRE', lk, ARGV[5])
      for _, m in ipairs(cjson.decode(rec).members) do redis.call('PEXPIRE', ARGV[4] .. m.token, ARGV[5]) end
    end
  end
end
return lost
`;

// ARGV: node, home prefix, lobby keys...
const RELEASE = `
for i = 3, #ARGV do
  local hk = ARGV[2] .. ARGV[i]
  if redis.call('GET', hk) == ARGV[1] then redis.call('DEL', hk) end
end
return 1
`;

type Client = {
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  withCommandOptions(o: { timeout: number; rejectInFlight: boolean }): Client;
  duplicate(): Client;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  on(event: 'error', l: (err: Error) => void): unknown;
  destroy(): void;
  readonly isReady: boolean;
};

/** A store and a bus sharing one Redis; made by connectRedisCluster. */
export class RedisCluster implements ClusterStore, ClusterBus {
  readonly nodeId: string;
  readonly #p: string;
  readonly #client: Client;
  readonly #cmd: Client;
  readonly #sub: Client;
  readonly #shas = new Map<string, string>();
  readonly #timeoutMs: number;
  /** The subscription sent and not yet confirmed or refused; a retry waits on it instead of sending another. */
  #subscribing: Promise<unknown> | undefined;
  #closed = false;

  private constructor(client: Client, sub: Client, prefix: string, timeoutMs: number) {
    this.nodeId = randomBytes(6).toString('hex');
    this.#p = prefix;
    this.#client = client;
    this.#cmd = client.withCommandOptions({ timeout: timeoutMs, rejectInFlight: true });
    this.#sub = sub;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Connects (the `@redis/client` package is loaded only here, so a service without --redis never
   * loads it). Resolves at once even when Redis is down: the client keeps reconnecting and
   * the node is unhealthy until it answers.
   * @param onError every client error (connection refused, reset), for logs
   */
  static async connect(o: RedisClusterOptions, onError: (err: Error) => void): Promise<RedisCluster> {
    const { createClient } = await import('@redis/client');
    const timeoutMs = o.commandTimeoutMs ?? 1000;
    const client = createClient({
      url: o.url, disableOfflineQueue: true,
      socket: { connectTimeout: timeoutMs, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 5), 1000) },
    }) as unknown as Client;
    const sub = client.duplicate();
    client.on('error', onError);
    sub.on('error', onError);
    const c = new RedisCluster(client, sub, o.prefix ?? 'meshpunch:', timeoutMs);
    // Not awaited past the timeout: a node may start while Redis is away.
    const connected = Promise.all([client.connect(), sub.connect()]);
    connected.catch(() => undefined);
    await Promise.race([connected, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    return c;
  }

  async #eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    let sha = this.#shas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex');
      this.#shas.set(script, sha);
    }
    try {
      return await this.#cmd.sendCommand(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
      return this.#cmd.sendCommand(['EVAL', script, String(keys.length), ...keys, ...args]);
    }
  }

  async renewNode(leaseMs: number): Promise<void> {
    await this.#cmd.sendCommand(['SET', `${this.#p}node:${this.nodeId}`, '1', 'PX', String(leaseMs)]);
  }

  async aliveNodes(nodes: readonly string[]): Promise<Set<string>> {
    if (nodes.length === 0) return new Set();
    const r = (await this.#cmd.sendCommand(['MGET', ...nodes.map((n) => `${this.#p}node:${n}`)])) as Array<string | null>;
    return new Set(nodes.filter((_n, i) => r[i] !== null));
  }

  async claimHome(code: string, create: boolean, ttlMs: number): Promise<HomeClaim> {
    const r = (await this.#eval(CLAIM, [`${this.#p}home:${code}`, `${this.#p}lobby:${code}`], [this.nodeId, create ? '1' : '0', String(ttlMs), `${this.#p}node:`])) as Array<string | null>;
    const home = r[0] ?? undefined;
    const rec = r[1] ?? undefined;
    return { home: home === null ? undefined : home, record: rec === undefined || rec === null ? undefined : (JSON.parse(rec) as LobbyRecord) };
  }

  async claimByToken(token: string, ttlMs: number): Promise<TokenClaim> {
    const r = (await this.#eval(CLAIM_BY_TOKEN, [`${this.#p}tok:${token}`], [this.nodeId, String(ttlMs), `${this.#p}node:`, `${this.#p}home:`, `${this.#p}lobby:`])) as Array<string | null>;
    const rec = r[2] ?? undefined;
    return { code: r[0] ?? undefined, home: r[1] ?? undefined, record: rec === undefined || rec === null ? undefined : (JSON.parse(rec) as LobbyRecord) };
  }

  async saveLobby(code: string, record: LobbyRecord | undefined, addTokens: readonly string[], dropTokens: readonly string[], ttlMs: number): Promise<boolean> {
    // EVAL, not EVALSHA: a lobby's writes are pipelined and must apply in the order sent, which a
    // NOSCRIPT retry (after Redis restarted) would break. Redis caches the script by its body.
    const r = await this.#cmd.sendCommand(['EVAL', SAVE, '2', `${this.#p}home:${code}`, `${this.#p}lobby:${code}`,
      this.nodeId, String(ttlMs), `${this.#p}node:`, `${this.#p}tok:`, record === undefined ? '' : JSON.stringify(record), code,
      String(addTokens.length), ...addTokens, ...dropTokens,
    ]);
    return Number(r) === 1;
  }

  async touchLobbies(codes: readonly string[], ttlMs: number): Promise<string[]> {
    const lost: string[] = [];
    // Bounded script runs: a node with many lobbies touches them in slices.
    for (let i = 0; i < codes.length; i += 500) {
      const r = await this.#eval(TOUCH, [], [this.nodeId, `${this.#p}home:`, `${this.#p}lobby:`, `${this.#p}tok:`, String(ttlMs), `${this.#p}node:`, ...codes.slice(i, i + 500)]);
      if (Array.isArray(r)) for (const code of r) if (typeof code === 'string') lost.push(code);
    }
    return lost;
  }

  async releaseHomes(codes: readonly string[]): Promise<void> {
    for (let i = 0; i < codes.length; i += 500) await this.#eval(RELEASE, [], [this.nodeId, `${this.#p}home:`, ...codes.slice(i, i + 500)]);
  }

  async leave(): Promise<void> {
    await this.#cmd.sendCommand(['DEL', `${this.#p}node:${this.nodeId}`]);
  }

  async subscribe(node: string, handler: (text: string) => void): Promise<void> {
    // The client has no timeout for SUBSCRIBE: it waits (queued) until its connection is ready,
    // however long Redis takes, and fails only when that connection fails. Bounded here like the
    // store's commands; the command stays queued, and a later call waits for that one.
    if (this.#subscribing === undefined) {
      const p = this.#sub.subscribe(`${this.#p}bus:${node}`, handler);
      this.#subscribing = p;
      p.catch(() => {
        if (this.#subscribing === p) this.#subscribing = undefined;
      });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.#subscribing, new Promise((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`SUBSCRIBE not confirmed within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      })]);
    } finally {
      clearTimeout(timer);
    }
  }

  async publish(node: string, text: string): Promise<void> {
    await this.#cmd.sendCommand(['PUBLISH', `${this.#p}bus:${node}`, text]);
  }

  /** Closes both connections (idempotent; the bus and the store share them). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sub.destroy();
    this.#client.destroy();
  }
}
