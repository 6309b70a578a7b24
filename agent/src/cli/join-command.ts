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
  /** Sends `count` reliable messages to every linked peer; resolves with the count received per peer. */
  exchangeMessages(count: number, timeoutMs: number): Promise<Map<number, number>>;
  /** Starts counting exchange messages now (peers may send before our mesh is complete). */
  countExchangeMessages(): void;
  /** Resolves true when the service has an outcome for every pair of members (false after timeoutMs). */
  lobbySettled(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts a session for the flags; rejects with an Error whose message is one sentence. */
export type JoinStarter = (flags: JoinFlags, onProgress: (e: MeshEvent) => void) => Promise<JoinSessionLike>;

/** Events printed when output is not a terminal (changes only, no per-phase noise). */
const CHANGE_EVENTS: ReadonlySet<MeshEvent['type']> = new Set(['joined', 'memberJoined', 'memberLeft', 'candidatesRejected', 'linkUp', 'linkFailed', 'peerRemoved', 'signalLost']);

/**
 * After a complete mesh, stay this long before leaving: our side of a link is up when ENet says
 * CONNECT, but the listener's side waits for our acknowledgement of VERIFY_CONNECT, which the
 * mesh's next poll sends; leaving at once would reset it unsent (libenet enet_peer_reset_queues)
 * and fail the link on the other side. 1 s covers a poll and several RTTs of a 20 ms lab link.
 */
export const EXIT_LINGER_MS = 1000;

/**
 * Before that, wait at most this long for the service to hold an outcome for every pair of the
 * lobby: a member that leaves as soon as its own links are up would cut the links the others
 * are still finishing (and shrink their lobby below --wait-peers).
 */
export const EXIT_SETTLE_MS = 5000;

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
  let finished = false;
  const onEvent = (e: MeshEvent): void => {
    if (finished) return;
    // A link's `connected`/`failed` phases are told by linkUp/linkFailed lines.
    const redundant = e.type === 'linkPhase' && (e.phase === 'connected' || e.phase === 'failed');
    if (printEvents && !redundant && (live || CHANGE_EVENTS.has(e.type))) out.write(`${progressLine(e, io.now() - t0)}\n`);
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

  if (flags.exchange > 0) session.countExchangeMessages();
  const stopPrinting = (): void => {
    finished = true;
  };
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
      if (lost !== undefined || interrupted || (flags.waitPeers !== undefined && session.memberCount >= flags.waitPeers && session.isSettled) || (deadline !== undefined && io.now() >= deadline)) {
        // From here on the outcome is printed once; later events (our own leaving) are not news.
        stopPrinting();
      }
      if (lost !== undefined) return finish(session, flags, io, 1, `lost the signaling service: ${lost}`);
      if (interrupted) return finish(session, flags, io, 0, undefined);
      if (flags.waitPeers !== undefined && session.memberCount >= flags.waitPeers && session.isSettled) {
        if (session.isFull) {
          if (flags.exchange === 0) return finish(session, flags, io, 0, undefined);
          const left = deadline === undefined ? EXCHANGE_DEFAULT_MS : Math.max(1, deadline - io.now());
          const got = await session.exchangeMessages(flags.exchange, left);
          const short = [...got].filter(([, n]) => n < flags.exchange).map(([id, n]) => `${id} ${n}/${flags.exchange}`);
          const exchange = { sent: flags.exchange, received: Object.fromEntries([...got].map(([id, n]) => [String(id), n])) };
          return finish(session, flags, io, short.length === 0 ? 0 : 1, short.length === 0 ? undefined : `messages missing from ${short.join(', ')}`, exchange);
        }
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

/** Limit of the message exchange when the run has no --timeout, ms. */
const EXCHANGE_DEFAULT_MS = 10_000;

async function finish(session: JoinSessionLike, flags: JoinFlags, io: CliIo, code: number, reason: string | undefined, exchange?: MessageExchange): Promise<number> {
  const report: MeshReport & { exchange?: MessageExchange } = exchange === undefined ? session.report() : { ...session.report(), exchange };
  // Print first: the mesh is complete now; leaving (ENet disconnects, lobby.leave) comes after.
  io.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${meshTable(report)}\n${exchange === undefined ? '' : `${exchangeLine(exchange)}\n`}`);
  if (reason !== undefined) io.stderr.write(`meshpunch join: ${reason}\n`);
  // After a settled mesh (complete or not), give the others time to finish their side of our
  // links before leaving: a peer whose own attempt at our pair is still running would otherwise
  // see us leave instead of its typed outcome.
  if (flags.waitPeers !== undefined && session.memberCount >= flags.waitPeers && session.isSettled) {
    await session.lobbySettled(EXIT_SETTLE_MS);
    await new Promise((r) => setTimeout(r, EXIT_LINGER_MS));
  }
  await session.close();
  return code;
}

/** What `--exchange N` adds to the report: messages sent to each peer and received from each. */
export interface MessageExchange {
  readonly sent: number;
  readonly received: Readonly<Record<string, number>>;
}

function exchangeLine(x: MessageExchange): string {
  return `messages: sent ${x.sent} to each peer; received ${Object.entries(x.received).map(([id, n]) => `${n} from ${id}`).join(', ')}`;
}

/** The first line of an error's message. */
export function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!;
}
