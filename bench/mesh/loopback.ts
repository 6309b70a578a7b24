// Mesh formation on loopback: N agents in this process, one embedded signaling service; time
// from the first join call to every agent seeing a full mesh (issue #7 "Measure").
import { joinMesh, startEmbeddedSignaling, type MeshSession } from '@meshpunch/agent';

/** One run's result. */
export interface MeshRun {
  readonly agents: number;
  readonly links: number;
  /** ms from launch to full mesh, or NaN when it did not form in time. */
  readonly ms: number;
  readonly failure: string | undefined;
}

/** Forms one mesh of `agents` on loopback and tears it down; bounded by `timeoutMs`. */
export async function loopbackMesh(agents: number, timeoutMs: number, run: number): Promise<MeshRun> {
  const signaling = await startEmbeddedSignaling();
  const sessions: MeshSession[] = [];
  const lobby = `bench-${agents}-${run}`;
  try {
    const t0 = performance.now();
    sessions.push(await joinMesh({ signal: signaling.url, lobby, create: true, maxPeers: agents, bindAddress: '127.0.0.1' }));
    sessions.push(...(await Promise.all(Array.from({ length: agents - 1 }, () => joinMesh({ signal: signaling.url, lobby, bindAddress: '127.0.0.1' })))));
    await Promise.all(sessions.map((s) => s.waitForMesh(agents, timeoutMs)));
    return { agents, links: (agents * (agents - 1)) / 2, ms: performance.now() - t0, failure: undefined };
  } catch (err) {
    return { agents, links: (agents * (agents - 1)) / 2, ms: Number.NaN, failure: (err as Error).message };
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await signaling.close();
  }
}
