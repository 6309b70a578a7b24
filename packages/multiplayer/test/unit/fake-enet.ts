// In-memory stand-in for @meshpunch/enet hosts, so ENetMultiplayerPeer's logic is tested without
// sockets. Delivery is immediate (queued on the remote host); ENet received-flag rules of
// godot-enet.md §2.7 are applied so mode mapping can be checked.
import type { EventShape, HostShape, PeerShape } from '../../src/enet-shapes.js';

const CONNECTED = 5;
const DISCONNECTED = 0;
const CONNECTING = 1;
const FAKE_MTU = 1392;

/** A registry of fake hosts by port (one per test). */
export class FakeNet {
  readonly hosts = new Map<number, FakeHost>();
  nextPort = 40000;
  /** Hosts whose create* should fail with this error code. */
  failCreateWith: string | undefined = undefined;
}

export class FakePeer implements PeerShape {
  state = CONNECTING;
  remote: FakePeer | undefined = undefined;
  readonly sent: Array<{ channel: number; packet: Uint8Array; flags: number }> = [];
  constructor(readonly host: FakeHost) {}

  send(channel: number, packet: Uint8Array, flags: number): boolean {
    if (this.state !== CONNECTED || this.remote === undefined) return false;
    this.sent.push({ channel, packet, flags });
    // What ENet sets on the received packet (§2.7): reliable → 1, unsequenced → 2,
    // unreliable fragment (over MTU with flag 8) → 8, plain unreliable → 0.
    let received = 0;
    if (flags & 1) received = 1;
    else if (packet.length > FAKE_MTU && flags & 8) received = 8;
    else if (flags & 2) received = 2;
    this.remote.host.push({ type: 3, peer: this.remote, data: 0, channel, packet: packet.slice(), flags: received });
    return true;
  }
  peerDisconnect(data = 0): void {
    const r = this.remote;
    if (this.state !== CONNECTED) return;
    this.state = DISCONNECTED;
    this.host.push({ type: 2, peer: this, data: 0, channel: 0 });
    if (r && r.state === CONNECTED) {
      r.state = DISCONNECTED;
      r.host.push({ type: 2, peer: r, data, channel: 0 });
    }
  }
  peerDisconnectNow(data = 0): void {
    const r = this.remote;
    this.state = DISCONNECTED;
    if (r && r.state === CONNECTED) {
      r.state = DISCONNECTED;
      r.host.push({ type: 2, peer: r, data, channel: 0 });
    }
  }
  reset(): void {
    this.state = DISCONNECTED;
  }
  getState(): number {
    return this.state;
  }
  isActive(): boolean {
    return this.state !== DISCONNECTED;
  }
  /** Simulates the remote timing out on us: we see a DISCONNECT. */
  timeOut(): void {
    if (this.state === DISCONNECTED) return;
    this.state = DISCONNECTED;
    this.host.push({ type: 2, peer: this, data: 0, channel: 0 });
  }
}

export class FakeHost implements HostShape {
  port = 0;
  created = false;
  destroyed = false;
  flushes = 0;
  peers: FakePeer[] = [];
  readonly events: EventShape[] = [];
  /** Accepts CONNECTs (a real ENet host always does while it has free slots). */
  accepting = true;
  constructor(readonly net: FakeNet) {}

  push(ev: EventShape): void {
    if (!this.destroyed) this.events.push(ev);
  }
  private create(port: number): void {
    if (this.net.failCreateWith) throw Object.assign(new Error('fake create failure'), { code: this.net.failCreateWith });
    this.port = port === 0 ? this.net.nextPort++ : port;
    this.created = true;
    this.net.hosts.set(this.port, this);
  }
  async createHost(): Promise<void> {
    this.create(0);
  }
  async createHostBound(_addr: string, port: number): Promise<void> {
    this.create(port);
  }
  connectToHost(_address: string, port: number, _channels = 0, data = 0): FakePeer {
    const local = new FakePeer(this);
    this.peers.push(local);
    const server = this.net.hosts.get(port);
    if (server && server.accepting && !server.destroyed) {
      const remote = new FakePeer(server);
      server.peers.push(remote);
      local.remote = remote;
      remote.remote = local;
      local.state = CONNECTED;
      remote.state = CONNECTED;
      this.push({ type: 1, peer: local, data: 0, channel: 0 });
      server.push({ type: 1, peer: remote, data, channel: 0 });
    }
    return local;
  }
  async connectToHostAsync(address: string, port: number, channels = 0, data = 0): Promise<FakePeer> {
    if (address.endsWith('.invalid')) throw Object.assign(new Error('cannot resolve'), { code: 'ERR_CANT_RESOLVE' });
    return this.connectToHost(address, port, channels, data);
  }
  serviceSync(): EventShape {
    if (this.destroyed) throw new Error('destroyed');
    this.peers = this.peers.filter((p) => p.isActive());
    return this.events.shift() ?? { type: 0, data: 0, channel: 0 };
  }
  flush(): void {
    this.flushes++;
  }
  getPeers(): FakePeer[] {
    return this.peers;
  }
  destroy(): void {
    if (this.destroyed) throw new Error('already destroyed');
    this.destroyed = true;
    for (const p of this.peers) p.state = DISCONNECTED;
    this.net.hosts.delete(this.port);
  }
}

/** Makes a connected pair of mesh hosts (a: connector, b: listener) and drains their events. */
export function connectedPair(net: FakeNet): [FakeHost, FakeHost] {
  const a = new FakeHost(net);
  const b = new FakeHost(net);
  void a.createHost();
  void b.createHost();
  a.connectToHost('127.0.0.1', b.port, 0, 0);
  a.events.length = 0;
  b.events.length = 0;
  return [a, b];
}
