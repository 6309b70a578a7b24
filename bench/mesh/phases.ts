// Per-phase breakdown of mesh formation: where each link's time goes between pair.start and the
// mesh peer (gather → candidates sent → both sets known → punch proven → DTLS up → ENet
// connected → added), from the agents' progress events (loopback, in process) or their
// MESHPUNCH_TIMELINE trace lines (NAT lab, one process per agent).
import { percentile } from './stats.js';

/** Moments of one side of one link, ms on that agent's clock. */
export type LinkMark = 'pairStart' | 'candidatesSent' | 'punching' | 'proven' | 'secured' | 'enetConnected' | 'connected';

/** One side of one link: when each of its moments happened. */
export type LinkTimeline = Partial<Record<LinkMark, number>>;

/** One agent's run: when it joined and its links' timelines, on its own clock. */
export interface AgentTimeline {
  /** ms from the agent's start (launch) to lobby joined. */
  joinMs: number;
  readonly links: Map<number, LinkTimeline>;
}

/** A phase: from one moment (the first of `from` that is known) to another. */
interface Phase {
  readonly name: string;
  readonly from: readonly LinkMark[];
  readonly to: LinkMark;
}

/**
 * The phases reported, in order. "exchange" is the wait for the peer's candidates after ours
 * went out (0 when they were there first); "dtls" exists only on secure links, and "enet" then
 * starts when DTLS is up.
 */
const PHASES: readonly Phase[] = [
  { name: 'gather', from: ['pairStart'], to: 'candidatesSent' },
  { name: 'exchange', from: ['candidatesSent'], to: 'punching' },
  { name: 'punch', from: ['punching'], to: 'proven' },
  { name: 'dtls', from: ['proven'], to: 'secured' },
  { name: 'enet', from: ['secured', 'proven'], to: 'enetConnected' },
  { name: 'add', from: ['enetConnected'], to: 'connected' },
  { name: 'link total', from: ['pairStart'], to: 'connected' },
];

/** Column names of the breakdown table (p50/p95 per phase, ms). */
export const PHASE_COLUMNS: readonly string[] = ['join', ...PHASES.map((p) => p.name)];

/** Records a link phase (the agent's LinkPhase names) on a timeline. */
export function markPhase(t: LinkTimeline, phase: string, at: number): void {
  switch (phase) {
    case 'gathering':
      t.pairStart ??= at;
      break;
    case 'exchanging':
      t.candidatesSent ??= at;
      break;
    case 'punching':
      // Both candidate sets known; when the peer's came first, ours went out at this moment too.
      t.candidatesSent ??= at;
      t.punching ??= at;
      break;
    case 'connecting':
    case 'accepting':
      t.proven ??= at;
      break;
    case 'adding':
      t.enetConnected ??= at;
      break;
    case 'connected':
      // 'adding' is reported only when the mesh did not take the host in the same turn.
      t.enetConnected ??= at;
      t.connected ??= at;
      break;
  }
}

/** Reads an agent's `trace <ms> ms event …` lines (MESHPUNCH_TIMELINE=1, agent/src/cli/commands.ts). */
export function timelineFromTrace(lines: readonly string[]): AgentTimeline {
  const out: AgentTimeline = { joinMs: Number.NaN, links: new Map() };
  for (const line of lines) {
    const m = /^trace ([\d.]+) ms event (\w+)(?: (\d+))?(?: (\w+))?$/.exec(line);
    if (m === null) continue;
    const at = Number(m[1]);
    const type = m[2]!;
    if (type === 'joined') {
      out.joinMs = at;
      continue;
    }
    if (m[3] === undefined) continue;
    const remote = Number(m[3]);
    let t = out.links.get(remote);
    if (t === undefined) out.links.set(remote, (t = {}));
    if (type === 'linkPhase' && m[4] !== undefined) markPhase(t, m[4], at);
    else if (type === 'linkSecured') t.secured ??= at;
  }
  return out;
}

/** p50 / p95 of every phase over the agents' links, as table cells ("p50 / p95" in ms). */
export function phaseCells(agents: readonly AgentTimeline[]): Record<string, string> {
  const cell = (v: readonly number[]): string => (v.length === 0 ? '—' : `${percentile(v, 50).toFixed(0)} / ${percentile(v, 95).toFixed(0)}`);
  const cells: Record<string, string> = { join: cell(agents.map((a) => a.joinMs).filter(Number.isFinite)) };
  for (const p of PHASES) {
    const v: number[] = [];
    for (const a of agents) {
      for (const t of a.links.values()) {
        const end = t[p.to];
        const startMark = p.from.find((f) => t[f] !== undefined);
        if (end !== undefined && startMark !== undefined) v.push(end - t[startMark]!);
      }
    }
    cells[p.name] = cell(v);
  }
  return cells;
}
