// Drives several cluster nodes (SignalingCore + ClusterNode) over the in-memory store and bus
// with a virtual clock: bus delay from a seeded PRNG, node kills, store outages (issue 14).
import { expect } from 'chai';
import { decodeServerMessage } from '@meshpunch/protocol';
import type { ServerMessage } from '@meshpunch/protocol';
import { Prng } from '@meshpunch/sim';
import { SignalingCore } from '../../src/core/signaling-core.js';
import type { SignalingCoreOptions } from '../../src/core/config.js';
import { ClusterNode } from '../../src/cluster/cluster-node.js';
import { MemoryBus, MemoryCluster, MemoryStore } from '../../src/cluster/memory-store.js';
import { testHash } from './core-harness.js';

/** One client socket as the test sees it. */
export interface SimClient {
  readonly node: SimNode;
  readonly conn: number;
  readonly inbox: ServerMessage[];
  closed: { code: number; reason: string } | undefined;
}

export interface SimNode {
  readonly name: string;
  readonly core: SignalingCore;
  readonly cluster: ClusterNode;
  readonly clients: Map<number, SimClient>;
  dead: boolean;
  nextTickAt: number;
  drain(): void;
}

export class ClusterHarness {
  now = 1000;
  readonly prng: Prng;
  readonly store: MemoryCluster;
  readonly nodes: SimNode[] = [];
  /** Bus delay range (ms) per delivery; deliveries between two nodes keep their order. */
  maxDelayMs = 0;
  readonly #due: Array<{ at: number; seq: number; run: () => void }> = [];
  readonly #lastAt = new Map<string, number>();
  #seq = 0;
  #rid = 1;
  readonly #options: Partial<SignalingCoreOptions>;
  readonly leaseMs: number;
  /** Store round trip (ms, virtual); 0: a microtask. A dead node's calls never complete. */
  storeDelayMs = 0;
  /** Store calls made, by node name. */
  readonly storeCalls = new Map<string, number>();

  constructor(seed: number, options: Partial<SignalingCoreOptions> = {}, leaseMs = 3000) {
    this.prng = new Prng(seed);
    this.#options = options;
    this.leaseMs = leaseMs;
    this.store = new MemoryCluster(() => this.now);
    this.store.deliver = (from, to, run) => {
      const key = `${from}>${to}`;
      const at = Math.max(this.now + (this.maxDelayMs > 0 ? this.prng.int(0, this.maxDelayMs) : 0), this.#lastAt.get(key) ?? 0);
      this.#lastAt.set(key, at);
      this.#due.push({ at, seq: this.#seq++, run });
    };
    this.store.storeCall = (node, run) => {
      this.storeCalls.set(node, (this.storeCalls.get(node) ?? 0) + 1);
      const go = (): void => {
        if (this.nodes.find((n) => n.name === node)?.dead !== true) run();
      };
      if (this.storeDelayMs === 0) queueMicrotask(go);
      else this.#due.push({ at: this.now + this.storeDelayMs, seq: this.#seq++, run: go });
    };
  }

  async addNode(name: string): Promise<SimNode> {
    const core = new SignalingCore({ random: (out) => this.prng.fill(out), connectionsPerSecondPerIp: 0, ...this.#options });
    const clients = new Map<number, SimClient>();
    const h = this;
    // eslint-disable-next-line prefer-const
    let node: SimNode;
    const cluster = new ClusterNode({
      core, store: new MemoryStore(this.store, name), bus: new MemoryBus(this.store, name), leaseMs: this.leaseMs,
      transport: {
        now: () => h.now,
        send: (conn, text) => node.dead || h.#deliver(clients.get(conn), text),
        close: (conn, code, reason) => h.#closeClient(node, conn, code, reason),
        drain: () => node.drain(),
      },
    });
    node = {
      name, core, cluster, clients, dead: false, nextTickAt: this.now + this.leaseMs / 3,
      drain: () => {
        const gate = cluster.beginDrain();
        for (let o = core.pollOutput(); o !== undefined; o = core.pollOutput()) {
          if ((o.kind === 'send' || o.kind === 'close') && cluster.hold(gate, o)) {
            // sent by the node once the store acknowledged this drain's writes
          } else if ((o.kind === 'send' || o.kind === 'close') && cluster.isRemote(o.conn)) {
            cluster.output(o);
          } else if (o.kind === 'send') {
            if (!node.dead) this.#deliver(clients.get(o.conn), o.text);
          } else if (o.kind === 'close') {
            this.#closeClient(node, o.conn, o.code, o.reason);
          } else if (o.kind === 'hash') {
            const { job, secret, salt } = o;
            queueMicrotask(() => {
              if (node.dead) return;
              core.handleHashed(h.now, job, testHash(secret, salt));
              node.drain();
            });
          }
        }
      },
    };
    await cluster.start();
    this.nodes.push(node);
    return node;
  }

  #deliver(c: SimClient | undefined, text: string): void {
    if (c === undefined || c.closed !== undefined) return;
    const res = decodeServerMessage(text);
    if (!res.ok) expect.fail(`service sent an invalid message: ${res.message}: ${text}`);
    const msg = res.message;
    c.inbox.push(msg);
    const hb = msg.type === 'heartbeat' || msg.type === 'welcome' ? msg.n : undefined;
    if (hb !== undefined) this.send(c, { type: 'heartbeat.ack', n: hb, local: this.now + 5000 });
  }

  #closeClient(node: SimNode, conn: number, code: number, reason: string): void {
    const c = node.clients.get(conn);
    if (c === undefined || c.closed !== undefined) return;
    c.closed = { code, reason };
    // The WebSocket's close event follows.
    queueMicrotask(() => {
      if (node.dead) return;
      node.cluster.handleClose(this.now, conn, code);
      node.drain();
    });
  }

  /** Opens a client on `node` and says hello (restore capability on). */
  async connect(node: SimNode): Promise<SimClient> {
    const id = 1 + Math.max(0, ...node.clients.keys());
    const c: SimClient = { node, conn: id, inbox: [], closed: undefined };
    node.clients.set(id, c);
    node.core.handleOpen(this.now, id, '10.0.0.1');
    node.cluster.handleOpen(id, '10.0.0.1');
    node.drain();
    const w = await this.request(c, { type: 'hello', versions: [1], caps: ['restore'] });
    expect(w.type, JSON.stringify(w)).to.equal('welcome');
    return c;
  }

  send(c: SimClient, body: Record<string, unknown>): void {
    if (c.closed !== undefined || c.node.dead) return;
    const text = JSON.stringify(body);
    c.node.cluster.handleMessage(this.now, c.conn, text, Buffer.byteLength(text));
    c.node.drain();
  }

  /** Sends a request with a fresh rid and waits (virtual time) for the answer. */
  async request(c: SimClient, body: Record<string, unknown>, maxMs = 2000): Promise<ServerMessage> {
    const rid = this.#rid++;
    this.send(c, { ...body, rid });
    return this.waitFor(c, (m) => 'rid' in m && m.rid === rid, maxMs);
  }

  /** Runs (virtual) time until `c` received a message matching `pred` (removed from its inbox). */
  async waitFor(c: SimClient, pred: (m: ServerMessage) => boolean, maxMs = 2000): Promise<ServerMessage> {
    const end = this.now + maxMs;
    for (;;) {
      await this.settle();
      const i = c.inbox.findIndex(pred);
      if (i >= 0) return c.inbox.splice(i, 1)[0]!;
      if (this.now >= end) expect.fail(`no matching message within ${maxMs} ms on ${c.node.name}/${c.conn}; inbox: ${JSON.stringify(c.inbox.filter((m) => m.type !== 'heartbeat')).slice(0, 600)}; closed: ${JSON.stringify(c.closed)}`);
      await this.advance(5);
    }
  }

  /** Lets promise chains (store calls) and due deliveries run without moving the clock. */
  async settle(): Promise<void> {
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setImmediate(r));
      this.#runDue();
    }
  }

  #runDue(): void {
    this.#due.sort((a, b) => a.at - b.at || a.seq - b.seq);
    while (this.#due.length > 0 && this.#due[0]!.at <= this.now) this.#due.shift()!.run();
  }

  /** Moves the clock by `ms` in steps of at most 5 ms: deliveries, core deadlines, node ticks. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    while (this.now < target) {
      this.now = Math.min(target, this.now + 5);
      this.#runDue();
      for (const n of this.nodes) {
        if (n.dead) continue;
        const t = n.core.pollTimeout();
        if (t !== undefined && t <= this.now) {
          n.core.handleTimeout(this.now);
          n.drain();
        }
        if (this.now >= n.nextTickAt) {
          n.nextTickAt = this.now + this.leaseMs / 3;
          void n.cluster.tick();
        }
      }
      await this.settle();
    }
  }

  /** kill -9: the node stops (no lease renewal, no bus), its clients see their sockets drop. */
  kill(node: SimNode): void {
    node.dead = true;
    this.store.channels.delete(node.name);
    for (const c of node.clients.values()) if (c.closed === undefined) c.closed = { code: 1006, reason: 'node killed' };
  }

  /** Opens a client on `node` and resumes `token` there; returns the client and the answer. */
  async resume(node: SimNode, token: string, linked: number[] = []): Promise<{ client: SimClient; answer: ServerMessage }> {
    const client = await this.connect(node);
    const answer = await this.request(client, { type: 'resume', token, linked });
    return { client, answer };
  }
}
