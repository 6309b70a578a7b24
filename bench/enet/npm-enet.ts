// npm `enet` 0.2.9 (libenet compiled by emscripten, on a node:dgram shim) as a bench contender.
// Its sockets deliver through 'message' events, so the loop yields to the event loop each pass.
import { createRequire } from 'node:module';
import { RUN_WALL_LIMIT_MS, turn, type Contender, type ThroughputResult } from './contender.js';

interface NpmPacket {
  data(): Buffer;
}
interface NpmPeer {
  send(channel: number, packet: unknown): boolean;
  disconnectNow(data?: number): void;
}
interface NpmHost {
  on(ev: 'connect', fn: (peer: NpmPeer, data: number | undefined, outgoing: boolean) => void): void;
  on(ev: 'message', fn: (peer: NpmPeer, packet: NpmPacket, channel: number) => void): void;
  removeAllListeners(ev?: string): void;
  connect(addr: { address: string; port: number }, channels: number, data: number): NpmPeer;
  address(): { port: number };
  flush(): void;
  destroy(): void;
  _service(): void;
}
interface NpmEnet {
  createServer(opts: object, cb: (err: Error | undefined, host: NpmHost) => void): void;
  createClient(opts: object, cb: (err: Error | undefined, host: NpmHost) => void): void;
  Packet: new (buf: Buffer, flags: number) => unknown;
  PACKET_FLAG: { RELIABLE: number };
}

function load(): NpmEnet {
  return createRequire(import.meta.url)('enet') as NpmEnet;
}

async function pair(enet: NpmEnet): Promise<{ server: NpmHost; client: NpmHost; toServer: NpmPeer; toClient: NpmPeer }> {
  const server = await new Promise<NpmHost>((resolve, reject) =>
    enet.createServer({ address: { address: '127.0.0.1', port: 0 }, peers: 4, channels: 2 }, (e, h) => (e ? reject(e) : resolve(h))),
  );
  const client = await new Promise<NpmHost>((resolve, reject) =>
    enet.createClient({ peers: 1, channels: 2 }, (e, h) => (e ? reject(e) : resolve(h))),
  );
  let toClient: NpmPeer | undefined;
  let clientUp = false;
  server.on('connect', (peer) => (toClient = peer));
  client.on('connect', () => (clientUp = true));
  const toServer = client.connect({ address: '127.0.0.1', port: server.address().port }, 2, 0);
  const t0 = Date.now();
  while (toClient === undefined || !clientUp) {
    client._service();
    server._service();
    await turn();
    if (Date.now() - t0 > 5000) throw new Error('npm enet: connect timed out');
  }
  return { server, client, toServer, toClient };
}

function close(server: NpmHost, client: NpmHost): void {
  client.destroy();
  server.destroy();
}

/** The npm `enet` contender. */
export function npmEnet(): Contender {
  const enet = load();
  return {
    name: 'npm enet 0.2.9',
    async throughput(size, count, inflight): Promise<ThroughputResult> {
      const { server, client, toServer } = await pair(enet);
      const payload = Buffer.alloc(size);
      let sent = 0;
      let received = 0;
      server.on('message', () => received++);
      const t0 = performance.now();
      while (received < count) {
        while (sent < count && sent - received < inflight) {
          toServer.send(0, new enet.Packet(payload, enet.PACKET_FLAG.RELIABLE));
          sent++;
        }
        client._service();
        server._service();
        await turn();
        if (performance.now() - t0 > RUN_WALL_LIMIT_MS) throw new Error(`npm enet: ${received}/${count} after the wall limit`);
      }
      const seconds = (performance.now() - t0) / 1000;
      close(server, client);
      return { packets: received, seconds };
    },
    async pingPong(count, size): Promise<number[]> {
      const { server, client, toServer } = await pair(enet);
      const payload = Buffer.alloc(size);
      let got = 0;
      server.on('message', (peer, packet) => peer.send(0, new enet.Packet(Buffer.from(packet.data()), enet.PACKET_FLAG.RELIABLE)));
      client.on('message', () => got++);
      const rtts: number[] = [];
      const tl = performance.now();
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        toServer.send(0, new enet.Packet(payload, enet.PACKET_FLAG.RELIABLE));
        while (got <= i) {
          client._service();
          server._service();
          await turn();
          if (performance.now() - tl > RUN_WALL_LIMIT_MS) throw new Error('npm enet: ping-pong past the wall limit');
        }
        rtts.push((performance.now() - t0) * 1000);
      }
      close(server, client);
      return rtts;
    },
  };
}
