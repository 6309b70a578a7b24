// Test helper: a TurnServerCore and TurnClients wired in memory (no sockets, virtual time), with
// plain "peers" that record what reaches them from relayed ports and can send to relayed ports.
import {
  TurnClient,
  TurnServerCore,
  mintTurnRestCredential,
  nodeHmacSha1,
  nodeMd5,
  type TurnClientEvent,
  type TurnClientOptions,
  type TurnServerEvent,
  type TurnServerOptions,
} from '../../../src/index.js';

export const SECRET = 'lab-secret';
export const SERVER = { address: '198.51.100.1', port: 3478 };
/** Unix ms at core time 0 in these tests. */
export const T0_UNIX_MS = 1_700_000_000_000;

/** A deterministic `random(out)` (a counter): tests need no CSPRNG, and runs repeat. */
export function counterRandom(seed = 1): (out: Uint8Array) => void {
  let n = seed;
  return (out) => {
    for (let i = 0; i < out.length; i++) out[i] = (n = (n * 1103515245 + 12345) >>> 0) >>> 24;
  };
}

export interface PeerDatagram {
  readonly to: string;
  readonly fromPort: number;
  readonly bytes: Uint8Array;
}

export class TurnLab {
  now = 0;
  readonly server: TurnServerCore;
  readonly members = new Set<string>(['lobby.a', 'lobby.b', 'lobby.c']);
  readonly clients = new Map<string, TurnClient>();
  readonly clientEvents = new Map<TurnClient, TurnClientEvent[]>();
  readonly serverEvents: TurnServerEvent[] = [];
  readonly toPeers: PeerDatagram[] = [];
  readonly freedPorts: number[] = [];
  readonly boundPorts = new Set<number>();
  /** When set, `bindPort` is answered with `portBindFailed`. */
  failBinds = false;
  nextPort = 49152;
  #out = new Uint8Array(2048);

  constructor(options: Partial<TurnServerOptions> = {}) {
    this.server = new TurnServerCore({
      secret: SECRET, relayAddress: SERVER.address, hmacSha1: nodeHmacSha1, md5: nodeMd5, random: counterRandom(7),
      unixMsAtZero: T0_UNIX_MS, isMember: (m) => this.members.has(m), ...options,
    });
  }

  /** A REST credential for `member` valid `ttlS` seconds from now (negative: already expired). */
  credential(member: string, ttlS = 600, secret = SECRET): { username: string; password: string } {
    const [tag, peer] = member.split('.') as [string, string];
    const expiry = Math.floor((T0_UNIX_MS + this.now) / 1000) + ttlS;
    return mintTurnRestCredential(new TextEncoder().encode(secret), tag, peer, expiry, nodeHmacSha1);
  }

  /** A client at `address:port` (its 5-tuple) with `member`'s credential unless overridden. */
  client(address: string, port: number, member: string, overrides: Partial<TurnClientOptions> = {}): TurnClient {
    const c = new TurnClient({
      server: SERVER, ...this.credential(member), hmacSha1: nodeHmacSha1, md5: nodeMd5, random: counterRandom(port),
      ...overrides,
    });
    this.clients.set(`${address}:${port}`, c);
    this.clientEvents.set(c, []);
    return c;
  }

  addressOf(c: TurnClient): { address: string; port: number } {
    for (const [k, v] of this.clients) {
      if (v === c) {
        const i = k.lastIndexOf(':');
        return { address: k.slice(0, i), port: Number(k.slice(i + 1)) };
      }
    }
    throw new Error('unknown client');
  }

  events(c: TurnClient): TurnClientEvent[] {
    return this.clientEvents.get(c)!;
  }

  /** Moves datagrams until nothing is left (bounded). */
  pump(): void {
    for (let round = 0; round < 1000; round++) {
      let moved = false;
      for (const [key, c] of this.clients) {
        const from = this.addressOf(c);
        void key;
        const to = { address: '', port: 0 };
        for (let n = c.pollTransmit(this.now, this.#out, to); n > 0; n = c.pollTransmit(this.now, this.#out, to)) {
          moved = true;
          this.server.handleDatagram(this.now, from, this.#out.slice(0, n));
        }
        for (let e = c.pollEvent(); e; e = c.pollEvent()) this.events(c).push(e);
      }
      for (let e = this.server.pollEvent(); e; e = this.server.pollEvent()) {
        moved = true;
        this.serverEvents.push(e);
        if (e.type === 'bindPort') {
          if (this.failBinds) this.server.portBindFailed(this.now, e.allocation);
          else {
            if (e.evenPort && (this.nextPort & 1) === 1) this.nextPort++;
            const p = this.nextPort++;
            this.boundPorts.add(p);
            this.server.portBound(this.now, e.allocation, p);
          }
        } else if (e.type === 'freePort') {
          this.freedPorts.push(e.port);
          this.boundPorts.delete(e.port);
        }
      }
      const to = { address: '', port: 0, relayPort: 0 };
      for (let n = this.server.pollTransmit(this.now, this.#out, to); n > 0; n = this.server.pollTransmit(this.now, this.#out, to)) {
        moved = true;
        const bytes = this.#out.slice(0, n);
        if (to.relayPort !== 0) {
          this.toPeers.push({ to: `${to.address}:${to.port}`, fromPort: to.relayPort, bytes });
          continue;
        }
        const c = this.clients.get(`${to.address}:${to.port}`);
        if (c) c.handleDatagram(this.now, SERVER, bytes);
      }
      if (!moved) return;
    }
    throw new Error('pump did not settle in 1000 rounds');
  }

  /** Advances virtual time to `t`, firing every core's deadlines on the way (bounded). */
  advanceTo(t: number): void {
    for (let i = 0; i < 100_000; i++) {
      let next = t;
      for (const c of this.clients.values()) {
        const d = c.pollTimeout();
        if (d !== undefined && d < next) next = d;
      }
      const d = this.server.pollTimeout();
      if (d !== undefined && d < next) next = d;
      this.now = Math.max(this.now, next);
      for (const c of this.clients.values()) {
        const dc = c.pollTimeout();
        if (dc !== undefined && dc <= this.now) c.handleTimeout(this.now);
      }
      const ds = this.server.pollTimeout();
      if (ds !== undefined && ds <= this.now) this.server.handleTimeout(this.now);
      this.pump();
      if (this.now >= t) return;
    }
    throw new Error('advanceTo did not reach its time');
  }

  /** A plain peer at `from` sends `bytes` to relayed port `relayPort`. */
  peerSend(from: { address: string; port: number }, relayPort: number, bytes: Uint8Array): void {
    this.server.handleRelayDatagram(this.now, relayPort, from, bytes);
    this.pump();
  }

  /** Allocates for `c` and returns its relayed port (throws naming the event otherwise). */
  allocate(c: TurnClient): number {
    c.allocate(this.now);
    this.pump();
    const e = this.events(c).find((x) => x.type === 'allocated' || x.type === 'failed');
    if (e?.type !== 'allocated') throw new Error(`allocation failed: ${JSON.stringify(e)}`);
    return e.relayed.port;
  }
}
