// Two @meshpunch/enet hosts in this process linked directly or through a TURN relay spoken from
// host A's own ENet socket (docs/specs/relay.md §1), as an agent's listen side does: A allocates
// with a TurnSocketClient on its socket (intercept in, egress out, deliver for unwrapped data),
// permits 127.0.0.1, binds a channel to B once B's first datagram arrives; B connects to A's
// relayed address as plain UDP. Both hosts are polled with serviceSync() as in bench/enet.
import { ENetConnection, EventType, FLAG_RELIABLE, type ENetPacketPeer } from '@meshpunch/enet';
import { TurnSocketClient } from '@meshpunch/nat';
import { RUN_WALL_LIMIT_MS, turn, type ThroughputResult } from '../enet/contender.js';
import { startForwarder, type RelayUnderTest } from './relays.js';

/** A linked pair: B (client) → A (server), and how many datagrams crossed the relay. */
export interface LinkedPair {
  readonly a: ENetConnection;
  readonly b: ENetConnection;
  readonly toA: ENetPacketPeer;
  readonly toB: ENetPacketPeer;
  /** Datagrams A sent through the relay plus those it received from it (0 when direct). */
  relayedDatagrams(): number;
  close(): void;
}

async function host(peers: number): Promise<ENetConnection> {
  const h = new ENetConnection();
  await h.createHostBound('127.0.0.1', 0, peers, 2);
  return h;
}

async function connect(a: ENetConnection, b: ENetConnection, address: string, port: number): Promise<{ toA: ENetPacketPeer; toB: ENetPacketPeer }> {
  const toA = b.connectToHost(address, port, 2, 0);
  let toB: ENetPacketPeer | undefined;
  let up = false;
  const t0 = Date.now();
  while (toB === undefined || !up) {
    for (let ev = b.serviceSync(); ev.type !== EventType.NONE; ev = b.serviceSync()) if (ev.type === EventType.CONNECT) up = true;
    for (let ev = a.serviceSync(); ev.type !== EventType.NONE; ev = a.serviceSync()) if (ev.type === EventType.CONNECT) toB = ev.peer;
    await turn();
    if (Date.now() - t0 > 10_000) throw new Error(`connect to ${address}:${port} timed out`);
  }
  return { toA, toB };
}

/** A and B linked directly on loopback. */
export async function directPair(): Promise<LinkedPair> {
  const a = await host(4);
  const b = await host(1);
  const { toA, toB } = await connect(a, b, '127.0.0.1', a.getLocalPort());
  return { a, b, toA, toB, relayedDatagrams: () => 0, close: () => { b.destroy(); a.destroy(); } };
}

/**
 * A and B linked through a bare node:dgram forwarder process (no TURN): the Node I/O ceiling.
 * `cpuSeconds` reads the forwarder's CPU; relayed datagrams are counted as for TURN (A's side).
 */
export async function forwardedPair(): Promise<LinkedPair & { cpuSeconds(): number }> {
  const a = await host(4);
  const b = await host(1);
  const fwd = await startForwarder(a.getLocalPort());
  let through = 0;
  a.intercept = () => {
    through++;
    return false;
  };
  a.egress = () => {
    through++;
    return false;
  };
  try {
    const { toA, toB } = await connect(a, b, '127.0.0.1', fwd.port);
    return {
      a, b, toA, toB, relayedDatagrams: () => through, cpuSeconds: () => fwd.cpuSeconds(),
      close: () => {
        void fwd.stop();
        b.destroy();
        a.destroy();
      },
    };
  } catch (err) {
    await fwd.stop();
    throw err;
  }
}

/** A and B linked through `relay`, A holding the allocation on its ENet socket. */
export async function relayedPair(relay: RelayUnderTest): Promise<LinkedPair> {
  const a = await host(4);
  const b = await host(1);
  const t = new TurnSocketClient((addr, p, bytes) => a.socketSend(addr, p, bytes), { server: relay.server, username: relay.username, password: relay.password });
  const peers = new Set<string>();
  a.intercept = (from, bytes) => t.intercept(bytes, from);
  t.on('data', (payload, peer) => {
    const key = `${peer.address}:${peer.port}`;
    if (!peers.has(key)) {
      peers.add(key);
      void t.bindChannel(peer);
    }
    a.deliver(peer, payload.slice());
  });
  a.egress = (to, bytes) => peers.has(`${to.address}:${to.port}`) && t.send(to, bytes);
  const { relayed } = await t.allocate();
  await t.createPermission('127.0.0.1');
  const { toA, toB } = await connect(a, b, relayed.address, relayed.port);
  // Wait (bounded) until the channel is bound, so the measured traffic is ChannelData.
  for (let i = 0; i < 500 && t.core.counters.channelDataSent === 0; i++) {
    toB.send(0, new Uint8Array(8), FLAG_RELIABLE);
    for (let ev = a.serviceSync(); ev.type !== EventType.NONE; ev = a.serviceSync());
    for (let ev = b.serviceSync(); ev.type !== EventType.NONE; ev = b.serviceSync());
    await new Promise((r) => setTimeout(r, 2));
  }
  if (t.core.counters.channelDataSent === 0) throw new Error(`${relay.name}: no ChannelData after the channel bind`);
  return {
    a, b, toA, toB,
    relayedDatagrams: () => a.egressHandled + a.delivered,
    close: () => {
      t.stop();
      b.destroy();
      a.destroy();
    },
  };
}

/** Moves `count` reliable `size`-byte packets B → A with at most `inflight` unreceived. */
export async function throughput(p: LinkedPair, size: number, count: number, inflight: number): Promise<ThroughputResult> {
  const payload = new Uint8Array(size);
  let sent = 0;
  let received = 0;
  const t0 = performance.now();
  while (received < count) {
    while (sent < count && sent - received < inflight) {
      p.toA.send(0, payload, FLAG_RELIABLE);
      sent++;
    }
    for (let ev = p.b.serviceSync(); ev.type !== EventType.NONE; ev = p.b.serviceSync());
    for (let ev = p.a.serviceSync(); ev.type !== EventType.NONE; ev = p.a.serviceSync()) {
      if (ev.type === EventType.RECEIVE) received++;
      else if (ev.type === EventType.DISCONNECT) throw new Error('disconnected during throughput');
    }
    await turn();
    if (performance.now() - t0 > RUN_WALL_LIMIT_MS) throw new Error(`${received}/${count} after the wall limit`);
  }
  return { packets: received, seconds: (performance.now() - t0) / 1000 };
}

/** `count` sequential reliable round trips of `size` bytes B → A → B; RTTs in µs. */
export async function pingPong(p: LinkedPair, count: number, size: number): Promise<number[]> {
  const payload = new Uint8Array(size);
  const rtts: number[] = [];
  const tl = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    p.toA.send(0, payload, FLAG_RELIABLE);
    let got = false;
    while (!got) {
      for (let ev = p.b.serviceSync(); ev.type !== EventType.NONE; ev = p.b.serviceSync()) if (ev.type === EventType.RECEIVE) got = true;
      for (let ev = p.a.serviceSync(); ev.type !== EventType.NONE; ev = p.a.serviceSync()) {
        if (ev.type === EventType.RECEIVE) p.toB.send(0, ev.packet!, FLAG_RELIABLE);
      }
      if (!got) await turn();
      if (performance.now() - tl > RUN_WALL_LIMIT_MS) throw new Error('ping-pong past the wall limit');
    }
    rtts.push((performance.now() - t0) * 1000);
  }
  return rtts;
}
