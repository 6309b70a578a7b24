// Helpers of the embedded-relay tests: a lobby of SignalingClients with relay credentials, TURN
// clients on loopback sockets, plain UDP peers, and /metrics read over HTTP.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { attachTurnClient } from '@meshpunch/nat';
import type { TurnSocketClient, TurnSocketClientOptions } from '@meshpunch/nat';
import { SignalingClient } from '../../src/adapter/signaling-client.js';
import type { RelayCredentials } from '../../src/adapter/signaling-client.js';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';

/** Everything a test opened, closed by `close()` in afterEach. */
export class RelayWorld {
  readonly server: SignalingServer;
  readonly #clients: SignalingClient[] = [];
  readonly #sockets: Socket[] = [];
  readonly #turns: Array<TurnSocketClient & { detach(): void }> = [];

  constructor(server: SignalingServer) {
    this.server = server;
  }

  async client(): Promise<SignalingClient> {
    const c = await SignalingClient.connect(this.server.url);
    this.#clients.push(c);
    return c;
  }

  /** `n` members of one new lobby, each with relay credentials. */
  async lobby(n: number): Promise<Array<{ client: SignalingClient; cred: RelayCredentials }>> {
    const out: Array<{ client: SignalingClient; cred: RelayCredentials }> = [];
    const first = await this.client();
    const { lobby } = await first.createLobby({ maxPeers: Math.max(2, n) });
    out.push({ client: first, cred: await first.relayCredentials() });
    for (let i = 1; i < n; i++) {
      const c = await this.client();
      await c.joinLobby(lobby.code);
      out.push({ client: c, cred: await c.relayCredentials() });
    }
    return out;
  }

  async socket(address = '127.0.0.1'): Promise<Socket> {
    const s = createSocket('udp4');
    this.#sockets.push(s);
    await new Promise<void>((res) => s.bind(0, address, () => res()));
    return s;
  }

  /**
   * A TURN client for `cred` on a fresh socket at `address`, toward the embedded relay.
   * Its first retransmission comes after 2 s: the tests count requests per answer code
   * (`relay_requests_total`, `allocations_total`), and the relay answers a retransmitted refused
   * request again and counts it again. With a 100 ms RTO, a loaded machine's stall of the test
   * process (client and relay share it) made the client retransmit before the relay had read the
   * first copy: quota refusals counted 2, and during the Allocate flood test the legitimate
   * client gave up (4 tries in 2.3 s) while the relay was still reading the flood. Every request
   * here is answered on loopback; a lost one is retried after 2, then 4 s, and given up after 14 s.
   */
  async turn(cred: { username: string; password: string }, address = '127.0.0.1', extra: Partial<TurnSocketClientOptions> = {}): Promise<TurnSocketClient & { detach(): void; socket: Socket }> {
    const s = await this.socket(address);
    const t = attachTurnClient(s, {
      server: { address: '127.0.0.1', port: this.server.stunPort! }, username: cred.username, password: cred.password,
      rtoMs: 2000, requestCount: 3, lastWaitFactor: 4, ...extra,
    });
    this.#turns.push(t);
    return Object.assign(t, { socket: s });
  }

  /** /metrics over HTTP as `name{labels}` → value. */
  async metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${this.server.port}/metrics`)).text();
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line === '') continue;
      const sp = line.lastIndexOf(' ');
      out.set(line.slice(0, sp).replace(/^meshpunch_signal_/, ''), Number(line.slice(sp + 1)));
    }
    return out;
  }

  async close(): Promise<void> {
    for (const t of this.#turns.splice(0)) {
      t.stop();
      t.detach();
    }
    await Promise.all(this.#clients.splice(0).map((c) => c.close()));
    await this.server.close();
    for (const s of this.#sockets.splice(0)) s.close();
  }
}

/** Resolves with the first datagram `socket` receives, or undefined after `ms`. */
export function nextDatagram(socket: Socket, ms: number): Promise<{ msg: Buffer; from: { address: string; port: number } } | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      socket.off('message', on);
      resolve(undefined);
    }, ms);
    const on = (msg: Buffer, rinfo: { address: string; port: number }): void => {
      clearTimeout(t);
      socket.off('message', on);
      resolve({ msg, from: { address: rinfo.address, port: rinfo.port } });
    };
    socket.on('message', on);
  });
}

/** Polls `check` every 20 ms until it is true or `ms` passed; returns whether it became true. */
export async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** The rejection of `p` (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; details?: { reason?: string; code?: number } }> {
  return p.then(() => {
    throw new Error('expected a rejection');
  }, (e: unknown) => e as Error & { code?: string; details?: { reason?: string; code?: number } });
}
