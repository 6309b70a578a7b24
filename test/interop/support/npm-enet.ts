// The npm `enet` 0.2.9 package (libenet compiled by emscripten over node:dgram) as an interop
// peer: a small typed wrapper that records its events like HarnessPeer does.
import { createRequire } from 'node:module';

interface NpmPacket {
  data(): Buffer;
  flags(): number;
}
/** A peer of the npm `enet` package. */
export interface NpmPeer {
  send(channel: number, packet: unknown): boolean;
  disconnect(data?: number): void;
  on(ev: 'disconnect', fn: (data: number) => void): void;
  on(ev: 'connect', fn: () => void): void;
}
interface NpmHost {
  on(ev: 'connect', fn: (peer: NpmPeer, data: number | undefined, outgoing: boolean) => void): void;
  on(ev: 'message', fn: (peer: NpmPeer, packet: NpmPacket, channel: number) => void): void;
  connect(addr: { address: string; port: number }, channels: number, data: number): NpmPeer;
  address(): { port: number };
  start(intervalMs: number): void;
  enableCompression(): void;
  destroy(): void;
}
interface NpmEnetModule {
  createServer(opts: object, cb: (err: Error | undefined, host: NpmHost) => void): void;
  createClient(opts: object, cb: (err: Error | undefined, host: NpmHost) => void): void;
  Packet: new (buf: Buffer, flags: number) => unknown;
}

/** One event seen by an npm `enet` host. */
export type NpmEvent =
  | { type: 'connect'; peer: NpmPeer; data: number | undefined }
  | { type: 'disconnect'; peer: NpmPeer; data: number }
  | { type: 'receive'; peer: NpmPeer; channel: number; flags: number; bytes: Uint8Array };

/** How often the npm host services itself (ms); its default is 10. */
const SERVICE_INTERVAL_MS = 2;

let mod: NpmEnetModule | undefined;
function load(): NpmEnetModule {
  mod ??= createRequire(import.meta.url)('enet') as NpmEnetModule;
  return mod;
}

/** An npm `enet` host that keeps its events for the test to wait on. */
export class NpmEnetHost {
  readonly events: NpmEvent[] = [];

  private constructor(readonly host: NpmHost) {
    // The emscripten build hands u32 event data out as a signed int32; `>>> 0` restores it.
    host.on('connect', (peer, data) => {
      this.events.push({ type: 'connect', peer, data: data === undefined ? undefined : data >>> 0 });
      peer.on('disconnect', (d) => this.events.push({ type: 'disconnect', peer, data: d >>> 0 }));
    });
    host.on('message', (peer, packet, channel) => {
      this.events.push({ type: 'receive', peer, channel, flags: packet.flags(), bytes: new Uint8Array(packet.data()) });
    });
    host.start(SERVICE_INTERVAL_MS);
  }

  /** A server bound to 127.0.0.1 on a free port. */
  static server(peers: number, channels: number): Promise<NpmEnetHost> {
    return new Promise((resolve, reject) =>
      load().createServer({ address: { address: '127.0.0.1', port: 0 }, peers, channels }, (e, h) => (e ? reject(e) : resolve(new NpmEnetHost(h)))),
    );
  }

  /** An unbound client host. */
  static client(channels: number): Promise<NpmEnetHost> {
    return new Promise((resolve, reject) => load().createClient({ peers: 1, channels }, (e, h) => (e ? reject(e) : resolve(new NpmEnetHost(h)))));
  }

  get port(): number {
    return this.host.address().port;
  }

  connect(port: number, channels: number, data: number): NpmPeer {
    return this.host.connect({ address: '127.0.0.1', port }, channels, data);
  }

  /** Queues `bytes` to `peer` with libenet packet flags. */
  send(peer: NpmPeer, channel: number, bytes: Uint8Array, flags: number): void {
    const m = load();
    if (peer.send(channel, new m.Packet(Buffer.from(bytes), flags))) throw new Error('npm enet refused the packet');
  }

  /** Resolves with (and removes) the first event matching `pred`. */
  async waitEvent(pred: (e: NpmEvent) => boolean, timeoutMs = 5000, what = 'event'): Promise<NpmEvent> {
    const start = Date.now();
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0]!;
      if (Date.now() - start > timeoutMs) throw new Error(`npm enet: no ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  destroy(): void {
    this.host.destroy();
  }
}
