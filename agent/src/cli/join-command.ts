// `meshpunch join` (cli layer): joins the mesh, prints progress, the mesh table or the JSON
// report (exactly one object, also on failure), and turns the outcome into an exit code
// (0 complete, 1 failed/timeout, 130 interrupted before completion).

import type { MeshEvent } from '../core/mesh-events.js';
import type { MeshReport } from '../core/mesh-view.js';
import type { MeshDiagnosis } from '../adapter/mesh-session.js';
import type { JoinFlags } from './flags.js';
import type { CliIo } from './io.js';
import { meshTable, progressLine } from './render.js';

/** What the command needs from a mesh session (the library's MeshSession satisfies it). */
export interface JoinSessionLike {
  readonly id: number;
  /** The lobby's live web view, when the service serves one. */
  readonly viewUrl?: string | undefined;
  report(): MeshReport;
  readonly memberCount: number;
  readonly isFull: boolean;
  readonly isSettled: boolean;
  /** Where the signaling connection stands (the mesh does not depend on it). */
  readonly signalState: 'connected' | 'reconnecting' | 'lost';
  /** Times the signaling connection dropped. */
  readonly signalOutages: number;
  /** Called after every progress event; returns an unsubscribe function. */
  onProgress(listener: (e: MeshEvent) => void): () => void;
  /** Sends `count` reliable messages to every linked peer; resolves with the count received per peer. */
  exchangeMessages(count: number, timeoutMs: number): Promise<Map<number, number>>;
  /** Starts counting exchange messages now (peers may send before our mesh is complete). */
  countExchangeMessages(): void;
  /** Resolves true when the service has an outcome for every pair of members (false after timeoutMs). */
  lobbySettled(timeoutMs: number): Promise<boolean>;
  /** Leaves gracefully (queued data delivered, peers told), bounded by timeoutMs. */
  close(options?: { timeoutMs?: number; lingerMs?: number }): Promise<void>;
  /** Why the mesh is not complete: added to an AGENT_TIMEOUT report as `diagnosis`. */
  diagnose?(): MeshDiagnosis;
}

/** Limits the command hands the starter: the time left for reaching the service and joining. */
export interface JoinLimits {
  /** ms until --timeout, or undefined without one. */
  readonly timeoutMs: number | undefined;
}

/** Starts a session for the flags; rejects with an Error whose message is one sentence (and a `code`). */
export type JoinStarter = (flags: JoinFlags, onProgress: (e: MeshEvent) => void, limits: JoinLimits) => Promise<JoinSessionLike>;

/** Exit codes of `meshpunch join` (docs/cli.md). 130 = 128 + SIGINT, the shell's convention. */
export const EXIT_JOIN_OK = 0;
export const EXIT_JOIN_FAILED = 1;
export const EXIT_INTERRUPTED = 130;

/** The `error` of the JSON report: a stable code and one sentence (docs/errors.md). */
export interface JoinError {
  readonly code: string;
  readonly message: string;
}

/** Events printed when output is not a terminal (changes only, no per-phase noise). */
const CHANGE_EVENTS: ReadonlySet<MeshEvent['type']> = new Set(['joined', 'memberJoined', 'memberLeft', 'candidatesRejected', 'linkUp', 'linkFailed', 'relayAllocated', 'pathChanged', 'peerRemoved', 'signalDown', 'signalBack', 'signalLost', 'lanRole']);
/** Signaling-state events (and the LAN role, issue #16): with --json they go to stderr even when it is not a terminal (issue #12). */
const SIGNAL_EVENTS: ReadonlySet<MeshEvent['type']> = new Set(['signalDown', 'signalBack', 'signalLost', 'lanRole']);
/** Relay events: with --json they go to stderr too, so a relayed link's allocation and path changes are always told. */
const RELAY_EVENTS: ReadonlySet<MeshEvent['type']> = new Set(['relayAllocated', 'pathChanged']);

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

/** Limit of the graceful leave (queued data delivered, peers acknowledging), ms. */
export const EXIT_CLOSE_MS = 3000;

/** Runs `meshpunch join`; resolves with the exit code. */
export async function runJoin(flags: JoinFlags, io: CliIo, start: JoinStarter): Promise<number> {
  const t0 = io.now();
  // Live per-phase progress on a terminal; changes only when piped; nothing but the final object
  // on stdout with --json (progress then goes to stderr: all of it on a terminal, the signaling
  // state changes always).
  const out = flags.json ? io.stderr : io.stdout;
  const live = out.isTTY === true;
  let wake: (() => void) | undefined;
  let gone: string | undefined;
  let finished = false;
  const onEvent = (e: MeshEvent): void => {
    if (finished) return;
    // A link's `connected`/`failed` phases are told by linkUp/linkFailed lines.
    const redundant = e.type === 'linkPhase' && (e.phase === 'connected' || e.phase === 'failed');
    const print = flags.json ? live || SIGNAL_EVENTS.has(e.type) || RELAY_EVENTS.has(e.type) : live || CHANGE_EVENTS.has(e.type);
    if (print && !redundant) out.write(`${progressLine(e, io.now() - t0)}\n`);
    if (e.type === 'signalLost') gone = e.detail;
    wake?.();
  };
  let interrupted = false;
  const stopInterrupt = io.onInterrupt(() => {
    interrupted = true;
    wake?.();
  });
  const deadline = flags.timeoutS === undefined ? undefined : t0 + flags.timeoutS * 1000;
  try {
    // --timeout bounds everything, reaching the service and joining included (issue #12 item 6).
    const starting = start(flags, onEvent, { timeoutMs: deadline === undefined ? undefined : Math.max(1, deadline - t0) });
    let session: JoinSessionLike;
    try {
      const first = await firstOf(starting, deadline, io, () => interrupted, (w) => (wake = w));
      if (first !== 'started') {
        // Whatever the start still does is dropped once it resolves (the process exits anyway).
        starting.then((s) => s.close({ timeoutMs: 0 }), () => undefined).catch(() => undefined);
        finished = true;
        if (first === 'interrupted') return fail(io, flags, EXIT_INTERRUPTED, { code: 'AGENT_INTERRUPTED', message: 'interrupted before joining the lobby' });
        return fail(io, flags, EXIT_JOIN_FAILED, { code: 'AGENT_TIMEOUT', message: `could not reach the signaling service and join within ${flags.timeoutS} s` });
      }
      session = await starting;
    } catch (err) {
      finished = true;
      const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'AGENT_FAILED';
      return fail(io, flags, EXIT_JOIN_FAILED, { code, message: oneLine(err) });
    }
    return await runSession(session, flags, io, {
      deadline,
      interrupted: () => interrupted,
      gone: () => gone,
      sleep: (ms) => new Promise<void>((resolve) => {
        const done = (): void => {
          if (timer !== undefined) clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        const timer = ms === undefined ? undefined : setTimeout(done, Math.max(1, ms));
        wake = done;
      }),
      stopPrinting: () => {
        finished = true;
      },
      poke: () => wake?.(),
    });
  } finally {
    stopInterrupt();
  }
}

/** Resolves with what happens first: the start resolving or rejecting ('started'), the deadline, an interrupt. */
async function firstOf(starting: Promise<JoinSessionLike>, deadline: number | undefined, io: CliIo, interrupted: () => boolean, setWake: (w: (() => void) | undefined) => void): Promise<'started' | 'timeout' | 'interrupted'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      starting.then(() => 'started' as const, () => 'started' as const),
      new Promise<'timeout' | 'interrupted'>((resolve) => {
        const check = (): void => {
          if (interrupted()) resolve('interrupted');
        };
        setWake(check);
        if (deadline !== undefined) timer = setTimeout(() => resolve('timeout'), Math.max(1, deadline - io.now()));
      }),
    ]);
  } finally {
    setWake(undefined);
    if (timer !== undefined) clearTimeout(timer);
  }
}

interface RunState {
  readonly deadline: number | undefined;
  interrupted(): boolean;
  /** The signaling connection's final loss, if it happened. */
  gone(): string | undefined;
  /** Waits for the next event, or `ms` (undefined: no limit). */
  sleep(ms: number | undefined): Promise<void>;
  stopPrinting(): void;
  /** Ends the current sleep (an event came). */
  poke(): void;
}

/** The joined part: wait for the mesh (or Ctrl-C), then report and leave. */
async function runSession(session: JoinSessionLike, flags: JoinFlags, io: CliIo, st: RunState): Promise<number> {
  if (flags.exchange > 0) session.countExchangeMessages();
  const unsubscribe = session.onProgress(() => st.poke());
  const complete = (): boolean => flags.waitPeers !== undefined && session.memberCount >= flags.waitPeers && session.isSettled;
  try {
    for (;;) {
      const now = io.now();
      const timedOut = st.deadline !== undefined && now >= st.deadline;
      // Losing the service ends only a --wait-peers join that never completed; a mesh that
      // formed, or an open-ended join, keeps its links (issue #12).
      const lostIncomplete = st.gone() !== undefined && flags.waitPeers !== undefined && !complete();
      if (lostIncomplete || st.interrupted() || complete() || timedOut) {
        // From here on the outcome is printed once; later events (our own leaving) are not news.
        st.stopPrinting();
      }
      if (st.interrupted() && !complete()) {
        if (flags.waitPeers === undefined) return finish(session, flags, io, EXIT_JOIN_OK, undefined);
        return finish(session, flags, io, EXIT_INTERRUPTED, { code: 'AGENT_INTERRUPTED', message: 'interrupted before the mesh was complete' });
      }
      if (complete()) {
        if (session.isFull) {
          if (flags.exchange === 0) return finish(session, flags, io, EXIT_JOIN_OK, undefined);
          const left = st.deadline === undefined ? EXCHANGE_DEFAULT_MS : Math.max(1, st.deadline - io.now());
          const got = await session.exchangeMessages(flags.exchange, left);
          const short = [...got].filter(([, n]) => n < flags.exchange).map(([id, n]) => `${id} ${n}/${flags.exchange}`);
          const exchange = { sent: flags.exchange, received: Object.fromEntries([...got].map(([id, n]) => [String(id), n])) };
          const err = short.length === 0 ? undefined : { code: 'AGENT_EXCHANGE_INCOMPLETE', message: `messages missing from ${short.join(', ')}` };
          return finish(session, flags, io, err === undefined ? EXIT_JOIN_OK : EXIT_JOIN_FAILED, err, exchange);
        }
        const r = session.report();
        const reasons = r.failures.map((f) => `${f.id} ${f.reason}`).join(', ');
        return finish(session, flags, io, EXIT_JOIN_FAILED, { code: 'AGENT_LINKS_FAILED', message: `${r.failures.length} of ${r.failures.length + r.peers.length} link(s) failed: ${reasons}` });
      }
      if (lostIncomplete) {
        return finish(session, flags, io, EXIT_JOIN_FAILED, { code: 'AGENT_SIGNAL_LOST', message: `lost the signaling service before the mesh was complete: ${st.gone()!}` });
      }
      if (timedOut) {
        if (flags.waitPeers === undefined) return finish(session, flags, io, EXIT_JOIN_OK, undefined);
        const r = session.report();
        const why = session.memberCount < flags.waitPeers
          ? `the mesh has ${session.memberCount} of ${flags.waitPeers} members after ${flags.timeoutS} s`
          : `${r.failures.length} link(s) not up after ${flags.timeoutS} s`;
        return finish(session, flags, io, EXIT_JOIN_FAILED, { code: 'AGENT_TIMEOUT', message: why });
      }
      await st.sleep(st.deadline === undefined ? undefined : st.deadline - now);
    }
  } finally {
    unsubscribe();
  }
}

/** Limit of the message exchange when the run has no --timeout, ms. */
const EXCHANGE_DEFAULT_MS = 10_000;

/** A failure before any session: one line on stderr, and with --json the one object `{ error }`. */
function fail(io: CliIo, flags: JoinFlags, code: number, error: JoinError): number {
  if (flags.json) io.stdout.write(`${JSON.stringify({ error })}\n`);
  io.stderr.write(`meshpunch join: ${error.message}\n`);
  return code;
}

async function finish(session: JoinSessionLike, flags: JoinFlags, io: CliIo, code: number, error: JoinError | undefined, exchange?: MessageExchange): Promise<number> {
  const signaling = { state: session.signalState, outages: session.signalOutages };
  // A mesh that did not form in time says where each link stood (CI failures under load).
  const diagnosis = error?.code === 'AGENT_TIMEOUT' ? session.diagnose?.() : undefined;
  const report = { ...session.report(), ...(exchange === undefined ? {} : { exchange }), signaling, ...(session.viewUrl === undefined ? {} : { viewUrl: session.viewUrl }), ...(error === undefined ? {} : { error }), ...(diagnosis === undefined ? {} : { diagnosis }) };
  // Print first: the mesh is complete now; leaving (ENet disconnects, lobby.leave) comes after.
  io.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${meshTable(report)}\n${exchange === undefined ? '' : `${exchangeLine(exchange)}\n`}`);
  if (error !== undefined) io.stderr.write(`meshpunch join: ${error.message}\n`);
  if (diagnosis !== undefined && !flags.json) io.stderr.write(`${diagnosisLines(diagnosis)}\n`);
  // After a settled mesh (complete or not), give the others time to finish their side of our
  // links before leaving: a peer whose own attempt at our pair is still running would otherwise
  // see us leave instead of its typed outcome.
  if (flags.waitPeers !== undefined && session.memberCount >= flags.waitPeers && session.isSettled) {
    if (session.signalState === 'connected') await session.lobbySettled(EXIT_SETTLE_MS);
    await new Promise((r) => setTimeout(r, EXIT_LINGER_MS));
  }
  // Graceful: data still queued is delivered and the peers are told (disconnect-later).
  await session.close({ timeoutMs: EXIT_CLOSE_MS, lingerMs: 0 });
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

/** The diagnosis of an incomplete mesh as text (stderr, without --json). */
function diagnosisLines(d: MeshDiagnosis): string {
  const links = d.links.map((l) => `  link ${l.id} ${l.role} ${l.phase}${l.member ? '' : ' (not a member in our view)'}${l.inMesh ? ' in mesh' : ''}`);
  return [`members in our view: ${d.members.join(', ') || 'none'}`, ...links, `events: ${d.events.join(' | ')}`].join('\n');
}
