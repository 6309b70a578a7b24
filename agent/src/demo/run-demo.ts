// `npm run demo` (adapter-level program): an embedded signaling service on loopback, four agents
// joining one lobby in this process, a full mesh, messages in every transfer mode between every
// pair through ENetMultiplayerPeer, then the mesh matrix and the delivery counts.

import { TransferMode } from '@meshpunch/multiplayer';
import { joinMesh } from '../adapter/join-mesh.js';
import type { MeshSession } from '../adapter/mesh-session.js';
import { startEmbeddedSignaling, type EmbeddedSignaling } from '../adapter/embedded-signaling.js';
import { deliveryTable, meshMatrix, type DeliveryRow } from './matrix.js';

/** Demo settings (all bounded: the demo always ends). */
export interface DemoOptions {
  readonly agents: number;
  /** Messages per (sender, receiver, mode). */
  readonly messagesPerPair: number;
  /** The mesh must be complete within this, ms. */
  readonly meshTimeoutMs: number;
  /** Reliable messages must all arrive within this after sending, ms. */
  readonly deliveryTimeoutMs: number;
  readonly log: (line: string) => void;
}

export const DEFAULT_DEMO: Omit<DemoOptions, 'log'> = Object.freeze({ agents: 4, messagesPerPair: 10, meshTimeoutMs: 20_000, deliveryTimeoutMs: 5_000 });

const MODES: ReadonlyArray<[string, TransferMode]> = [
  ['reliable', TransferMode.TRANSFER_MODE_RELIABLE],
  ['unreliable-ordered', TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED],
  ['unreliable', TransferMode.TRANSFER_MODE_UNRELIABLE],
];

/** What the demo measured. */
export interface DemoResult {
  readonly ok: boolean;
  readonly reason: string | undefined;
  readonly meshMs: number;
  readonly delivery: readonly DeliveryRow[];
}

/** Runs the demo; never throws for a failed mesh (returns ok: false with the reason). */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  let signaling: EmbeddedSignaling | undefined;
  const sessions: MeshSession[] = [];
  const delivery: DeliveryRow[] = MODES.map(([mode]) => ({ mode, sent: 0, delivered: 0 }));
  try {
    signaling = await startEmbeddedSignaling();
    o.log(`signaling service on ${signaling.url}${signaling.stunAddress === undefined ? '' : ` (STUN responder on udp ${signaling.stunAddress})`}`);
    const lobby = 'demo';
    // The creator first (it becomes peer 1), then the others at once.
    sessions.push(await joinMesh({ signal: signaling.url, lobby, create: true, bindAddress: '127.0.0.1' }));
    const rest = await Promise.all(Array.from({ length: o.agents - 1 }, () => joinMesh({ signal: signaling!.url, lobby, bindAddress: '127.0.0.1' })));
    sessions.push(...rest);
    o.log(`${o.agents} agents joined lobby '${lobby}': peers ${sessions.map((s) => s.id).join(', ')}`);
    try {
      await Promise.all(sessions.map((s) => s.waitForMesh(o.agents, o.meshTimeoutMs)));
    } catch (err) {
      o.log(meshMatrix(sessions.map((s) => s.report())));
      return { ok: false, reason: (err as Error).message, meshMs: performance.now() - t0, delivery };
    }
    const meshMs = performance.now() - t0;
    o.log(`full mesh in ${meshMs.toFixed(0)} ms\n`);
    o.log(meshMatrix(sessions.map((s) => s.report())));

    // Count every (from, to, mode) arrival; payload = "from:to:mode:seq".
    const got = new Map<string, number>();
    for (const s of sessions) {
      s.multiplayer.on('packet', (data, from) => {
        const [f, t, m] = new TextDecoder().decode(data).split(':');
        if (Number(f) !== from || Number(t) !== s.id) return;
        const k = `${m}`;
        got.set(k, (got.get(k) ?? 0) + 1);
      });
    }
    const enc = new TextEncoder();
    for (const s of sessions) {
      for (const [name, mode] of MODES) {
        s.multiplayer.transferMode = mode;
        for (const r of sessions) {
          if (r === s) continue;
          s.multiplayer.setTargetPeer(r.id);
          for (let i = 0; i < o.messagesPerPair; i++) s.multiplayer.putPacket(enc.encode(`${s.id}:${r.id}:${name}:${i}`));
        }
      }
    }
    const perMode = o.agents * (o.agents - 1) * o.messagesPerPair;
    const until = performance.now() + o.deliveryTimeoutMs;
    while (performance.now() < until && MODES.some(([m]) => (got.get(m) ?? 0) < perMode)) await new Promise((r) => setTimeout(r, 10));
    for (const row of delivery) Object.assign(row, { sent: perMode, delivered: got.get(row.mode) ?? 0 });
    o.log(`\nmessages (${o.messagesPerPair} per sender, receiver and mode):`);
    o.log(deliveryTable(delivery));
    const reliable = delivery[0]!;
    if (reliable.delivered !== reliable.sent) {
      return { ok: false, reason: `only ${reliable.delivered} of ${reliable.sent} reliable messages arrived within ${o.deliveryTimeoutMs} ms`, meshMs, delivery };
    }
    return { ok: true, reason: undefined, meshMs, delivery };
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n')[0], meshMs: performance.now() - t0, delivery };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await signaling?.close();
  }
}
