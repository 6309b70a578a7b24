// Mesh formation on loopback: N agents in this process, one signaling service in it too; time
// from the first join call to every agent seeing a full mesh (issue #7 "Measure"), with each
// link's phases timed from the sessions' progress events (phases.ts).
import { joinMesh, type MeshEvent, type MeshSession } from '@meshpunch/agent';
import { SignalingServer } from '@meshpunch/signaling';
import { markPhase, type AgentTimeline } from './phases.js';
import type { MeshVariant } from './variants.js';

/** One run's result. */
export interface MeshRun {
  readonly agents: number;
  readonly links: number;
  /** ms from launch to full mesh, or NaN when it did not form in time. */
  readonly ms: number;
  /** ms from the last member's join to full mesh, or NaN. */
  readonly fromLastJoinMs: number;
  readonly failure: string | undefined;
  /** Every agent's join time and link phases (ms from launch). */
  readonly timelines: readonly AgentTimeline[];
}

/** Forms one mesh of `agents` on loopback and tears it down; bounded by `timeoutMs`. */
export async function loopbackMesh(agents: number, timeoutMs: number, run: number, variant: MeshVariant): Promise<MeshRun> {
  const server = await SignalingServer.start({ host: '127.0.0.1', port: 0, log: () => {}, ...(variant.relay ? {} : { relay: false }) });
  const sessions: MeshSession[] = [];
  const lobby = `bench-${agents}-${run}`;
  const timelines: AgentTimeline[] = [];
  const links = (agents * (agents - 1)) / 2;
  let t0 = 0;
  const track = (): ((e: MeshEvent) => void) => {
    const tl: AgentTimeline = { joinMs: Number.NaN, links: new Map() };
    timelines.push(tl);
    return (e) => {
      const at = performance.now() - t0;
      if (e.type === 'joined') tl.joinMs = at;
      if (e.type !== 'linkPhase' && e.type !== 'linkSecured') return;
      let t = tl.links.get(e.remoteId);
      if (t === undefined) tl.links.set(e.remoteId, (t = {}));
      if (e.type === 'linkPhase') markPhase(t, e.phase, at);
      else t.secured ??= at;
    };
  };
  try {
    t0 = performance.now();
    const common = { signal: server.url, lobby, bindAddress: '127.0.0.1', secure: variant.secure };
    sessions.push(await joinMesh({ ...common, create: true, maxPeers: agents }, track()));
    sessions.push(...(await Promise.all(Array.from({ length: agents - 1 }, () => joinMesh(common, track())))));
    const lastJoin = Math.max(...timelines.map((t) => t.joinMs));
    await Promise.all(sessions.map((s) => s.waitForMesh(agents, timeoutMs)));
    const ms = performance.now() - t0;
    return { agents, links, ms, fromLastJoinMs: ms - lastJoin, failure: undefined, timelines };
  } catch (err) {
    const failed = sessions.flatMap((s) => s.report().failures.map((f) => `${s.id}→${f.id} ${f.reason}`));
    const detail = failed.length === 0 ? '' : ` (${failed.length} failed link sides, e.g. ${failed.slice(0, 3).join(', ')})`;
    return { agents, links, ms: Number.NaN, fromLastJoinMs: Number.NaN, failure: `${(err as Error).message}${detail}`, timelines };
  } finally {
    await Promise.all(sessions.map((s) => s.close({ timeoutMs: 0 })));
    await server.close();
  }
}
