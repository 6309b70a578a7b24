// `meshpunch join` (cli layer): joins the mesh, prints progress, the mesh table or the JSON
// report, and turns the outcome into an exit code (0 complete, 1 failed/timeout).

import type { MeshEvent } from '../core/mesh-events.js';
import type { MeshReport } from '../core/mesh-view.js';
import type { JoinFlags } from './flags.js';
import type { CliIo } from './io.js';
import { meshTable, progressLine } from './render.js';

/** What the command needs from a mesh session (the library's MeshSession satisfies it). */
export interface JoinSessionLike {
  readonly id: number;
  report(): MeshReport;
  readonly memberCount: number;
  readonly isFull: boolean;
  readonly isSettled: boolean;
  /** Called after every progress event; returns an unsubscribe function. */
  onProgress(listener: (e: MeshEvent) => void): () => void;
  close(): Promise<void>;
}

/** Starts a session for the flags; rejects with an Error whose message is one sentence. */
export type JoinStarter = (flags: JoinFlags, onProgress: (e: MeshEvent) => void) => Promise<JoinSessionLike>;

/** Events printed when output is not a terminal (changes only, no per-phase noise). */
const CHANGE_EVENTS: ReadonlySet<MeshEvent['type']> = new Set(['joined', 'memberJoined', 'memberLeft', 'linkUp', 'linkFailed', 'peerRemoved', 'signalLost']);

/**
 * After a complete mesh, stay this long before leaving: our side of a link is up when ENet says
 * CONNECT, but the listener's side waits for our acknowledgement of VERIFY_CONNECT, which the
 * mesh's next poll sends; leaving at once would reset it unsent (libenet enet_peer_reset_queues)
 * and fail the link on the other side. 1 s covers a poll and several RTTs of a 20 ms lab link.
 */
export const EXIT_LINGER_MS = 1000;

/** Runs `meshpunch join`; resolves with the exit code. */
export async function runJoin(flags: JoinFlags, io: CliIo, start: JoinStarter): Promise<number> {
  const t0 = io.now();
  // Live per-phase progress on a terminal; changes only when piped; nothing but the final object
  // on stdout with --json (progress then goes to stderr, and only when that is a terminal).
  const out = flags.json ? io.stderr : io.stdout;
  const live = out.isTTY === true;
  const printEvents = live || !flags.json;
  let wake: (() => void) | undefined;
  let lost: string | undefined;
  const onEvent = (e: MeshEvent): void => {
    if (printEvents && (live || CHANGE_EVENTS.has(e.type))) out.write(`${progressLine(e, io.now() - t0)}\n`);
    if (e.type === 'signalLost') lost = e.detail;
    wake?.();
  };

  let session: JoinSessionLike;
  try {
    session = await start(flags, onEvent);
  } catch (err) {
    io.stderr.write(`meshpunch join: ${oneLine(err)}\n`);
    return 1;
  }

  let interrupted = false;
  const stopInterrupt = io.onInterrupt(() => {
    interrupted = true;
    wake?.();
  });
  const deadline = flags.timeoutS === undefined ? undefined : t0 + flags.timeoutS * 1000;
  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = session.onProgress(() => wake?.());
  try {
    for (;;) {
      if (lost !== undefined) return finish(session, flags, io, 1, `lost the signaling service: ${lost}`);
      if (interrupted) return finish(session, flags, io, 0, undefined);
      if (flags.waitPeers !== undefined && session.memberCount >= flags.waitPeers && session.isSettled) {
        if (session.isFull) return finish(session, flags, io, 0, undefined);
        const r = session.report();
        const reasons = r.failures.map((f) => `${f.id} ${f.reason}`).join(', ');
        return finish(session, flags, io, 1, `${r.failures.length} of ${r.failures.length + r.peers.length} link(s) failed: ${reasons}`);
      }
      const now = io.now();
      if (deadline !== undefined && now >= deadline) {
        if (flags.waitPeers === undefined) return finish(session, flags, io, 0, undefined);
        const r = session.report();
        const why = session.memberCount < flags.waitPeers
          ? `the mesh has ${session.memberCount} of ${flags.waitPeers} members after ${flags.timeoutS} s`
          : `${r.failures.length} link(s) not up after ${flags.timeoutS} s`;
        return finish(session, flags, io, 1, why);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (deadline !== undefined) timer = setTimeout(resolve, Math.max(1, deadline - now));
      });
      wake = undefined;
      if (timer !== undefined) clearTimeout(timer);
    }
  } finally {
    unsubscribe();
    stopInterrupt();
  }
}

async function finish(session: JoinSessionLike, flags: JoinFlags, io: CliIo, code: number, reason: string | undefined): Promise<number> {
  const report = session.report();
  // Print first: the mesh is complete now; leaving (ENet disconnects, lobby.leave) comes after.
  io.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${meshTable(report)}\n`);
  if (reason !== undefined) io.stderr.write(`meshpunch join: ${reason}\n`);
  if (code === 0 && flags.waitPeers !== undefined) await new Promise((r) => setTimeout(r, EXIT_LINGER_MS));
  await session.close();
  return code;
}

/** The first line of an error's message. */
export function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!;
}
