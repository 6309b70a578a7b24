// Test helper: polls ENetMultiplayerPeers (or services raw hosts) on real loopback sockets until
// a condition holds, bounded in time (wall-clock bounds only guard against hangs here).
import type { ENetMultiplayerPeer } from '../../src/index.js';

/** Polls every peer (and runs `extra`) every 1 ms until `cond` holds; throws after `timeoutMs`. */
export async function pump(peers: readonly ENetMultiplayerPeer[], cond: () => boolean, what: string, timeoutMs = 5000, extra?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of peers) p.poll();
    extra?.();
    if (cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Polls for `ms` milliseconds (to show that something does NOT happen). */
export async function pumpFor(peers: readonly ENetMultiplayerPeer[], ms: number, extra?: () => void): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const p of peers) p.poll();
    extra?.();
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Records peerConnected/peerDisconnected of a peer as "+id"/"-id" strings. */
export function recordEvents(p: ENetMultiplayerPeer): string[] {
  const log: string[] = [];
  p.on('peerConnected', (id) => log.push(`+${id}`));
  p.on('peerDisconnected', (id) => log.push(`-${id}`));
  return log;
}
