// @meshpunch/enet as a bench contender: two ENetConnection hosts in this process, each polled
// with serviceSync() (timeout 0) every pass; the pass yields one event-loop turn so node:dgram
// can deliver datagrams (as for npm enet; libenet reads its socket inside service instead).
// With `dtls`, the same hosts run Godot's DTLS (pinned fingerprints both ways, the mesh's mode).
import { generateIdentity, type GeneratedIdentity } from '@meshpunch/dtls';
import { ENetConnection, EventType, FLAG_RELIABLE, TLSOptions, type ENetPacketPeer } from '@meshpunch/enet';
import { RUN_WALL_LIMIT_MS, cpuSecondsSince, turn, type Contender, type ThroughputResult } from './contender.js';

interface Pair {
  server: ENetConnection;
  client: ENetConnection;
  toServer: ENetPacketPeer;
  toClient: ENetPacketPeer;
}

let identities: [GeneratedIdentity, GeneratedIdentity] | undefined;

async function pair(dtls: boolean): Promise<Pair> {
  const server = new ENetConnection();
  const client = new ENetConnection();
  await server.createHostBound('127.0.0.1', 0, 4, 2);
  await client.createHostBound('127.0.0.1', 0, 1, 2);
  if (dtls) {
    // Per-session identities, made before the clock starts (key generation is not the handshake).
    const [s, c] = (identities ??= [generateIdentity(), generateIdentity()]);
    server.dtlsServerSetup(TLSOptions.pinned(s.identity, c.fingerprint));
    client.dtlsClientSetup('', TLSOptions.pinned(c.identity, s.fingerprint));
  }
  const toServer = client.connectToHost('127.0.0.1', server.getLocalPort(), 2, 0);
  let toClient: ENetPacketPeer | undefined;
  let clientUp = false;
  const t0 = Date.now();
  while (toClient === undefined || !clientUp) {
    for (let ev = client.serviceSync(); ev.type !== EventType.NONE; ev = client.serviceSync()) if (ev.type === EventType.CONNECT) clientUp = true;
    for (let ev = server.serviceSync(); ev.type !== EventType.NONE; ev = server.serviceSync()) if (ev.type === EventType.CONNECT) toClient = ev.peer;
    await turn();
    if (Date.now() - t0 > 5000) throw new Error('ours: connect timed out');
  }
  return { server, client, toServer, toClient };
}

function close(p: Pair): void {
  p.client.destroy();
  p.server.destroy();
}

/** The @meshpunch/enet contender; `dtls` runs it over DTLS (ChaCha20-Poly1305, X25519, pinned certificates). */
export function ours(options: { dtls?: boolean } = {}): Contender {
  const dtls = options.dtls === true;
  return {
    name: dtls ? '@meshpunch/enet + DTLS' : '@meshpunch/enet',
    async connectTimes(count): Promise<number[]> {
      const ms: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const p = await pair(dtls);
        ms.push(performance.now() - t0);
        close(p);
      }
      return ms;
    },
    async throughput(size, count, inflight): Promise<ThroughputResult> {
      const p = await pair(dtls);
      const payload = new Uint8Array(size);
      let sent = 0;
      let received = 0;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      while (received < count) {
        while (sent < count && sent - received < inflight) {
          p.toServer.send(0, payload, FLAG_RELIABLE);
          sent++;
        }
        for (let ev = p.client.serviceSync(); ev.type !== EventType.NONE; ev = p.client.serviceSync());
        for (let ev = p.server.serviceSync(); ev.type !== EventType.NONE; ev = p.server.serviceSync()) {
          if (ev.type === EventType.RECEIVE) received++;
          else if (ev.type === EventType.DISCONNECT) throw new Error('ours: disconnected during throughput');
        }
        await turn();
        if (performance.now() - t0 > RUN_WALL_LIMIT_MS) throw new Error(`ours: ${received}/${count} after the wall limit`);
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = cpuSecondsSince(cpu0);
      close(p);
      return { packets: received, seconds, cpuSeconds };
    },
    async pingPong(count, size): Promise<number[]> {
      const p = await pair(dtls);
      const payload = new Uint8Array(size);
      const rtts: number[] = [];
      const tl = performance.now();
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        p.toServer.send(0, payload, FLAG_RELIABLE);
        let got = false;
        while (!got) {
          for (let ev = p.client.serviceSync(); ev.type !== EventType.NONE; ev = p.client.serviceSync()) if (ev.type === EventType.RECEIVE) got = true;
          for (let ev = p.server.serviceSync(); ev.type !== EventType.NONE; ev = p.server.serviceSync()) {
            if (ev.type === EventType.RECEIVE) p.toClient.send(0, ev.packet!, FLAG_RELIABLE);
          }
          if (!got) await turn();
          if (performance.now() - tl > RUN_WALL_LIMIT_MS) throw new Error('ours: ping-pong past the wall limit');
        }
        rtts.push((performance.now() - t0) * 1000);
      }
      close(p);
      return rtts;
    },
  };
}
