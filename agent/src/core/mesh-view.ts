// The agent's view of its mesh (core, pure): lobby members, one summary per link, and the final
// report printed by `meshpunch join --json` (schema in docs/cli.md).

import { formatEndpoint } from './endpoint.js';
import type { LinkFailureReason, LinkOutcome, LinkPhase, PathKind } from './link-machine.js';

/** One established link in the report. */
export interface MeshReportPeer {
  readonly id: number;
  readonly path: PathKind;
  /** ENet round-trip time estimate, milliseconds. */
  readonly rttMs: number;
  /** Our endpoint of the link, `ip:port`. */
  readonly local: string;
  /** The remote endpoint ENet talks to, `ip:port`. */
  readonly remote: string;
}

/** One failed link in the report. */
export interface MeshReportFailure {
  readonly id: number;
  readonly reason: LinkFailureReason | 'pending';
  readonly detail?: string;
}

/** What `meshpunch join --json` prints: `{ id, lobby, secure, peers, failures }`. */
export interface MeshReport {
  readonly id: number;
  readonly lobby: string;
  /** Every link is DTLS, authenticated by signaled fingerprints (false with --insecure: plain ENet). */
  readonly secure: boolean;
  readonly peers: readonly MeshReportPeer[];
  readonly failures: readonly MeshReportFailure[];
}

/** Per-link state kept by the view. */
export interface LinkSummary {
  readonly id: number;
  phase: LinkPhase;
  outcome: LinkOutcome | undefined;
}

/**
 * Members and links as the agent knows them. `members` includes ourselves. Inputs come from the
 * signaling session (joins/leaves) and from the link machines (phase changes, outcomes).
 */
export class MeshView {
  readonly id: number;
  readonly lobby: string;
  readonly secure: boolean;
  private readonly members = new Set<number>();
  private readonly links = new Map<number, LinkSummary>();

  constructor(id: number, lobby: string, secure = true) {
    this.id = id;
    this.lobby = lobby;
    this.secure = secure;
    this.members.add(id);
  }

  /** Number of lobby members, ourselves included. */
  get memberCount(): number {
    return this.members.size;
  }

  /** Ids of the other members, ascending. */
  otherMembers(): number[] {
    return [...this.members].filter((m) => m !== this.id).sort((a, b) => a - b);
  }

  /** A member joined (or was already there when we joined). */
  addMember(id: number): void {
    this.members.add(id);
  }

  /** A member left: its link summary goes too. */
  removeMember(id: number): void {
    if (id === this.id) return;
    this.members.delete(id);
    this.links.delete(id);
  }

  /** Whether `id` is a current member. */
  hasMember(id: number): boolean {
    return this.members.has(id);
  }

  /** Records a link's phase (and outcome, when it has one). */
  setLink(id: number, phase: LinkPhase, outcome: LinkOutcome | undefined): void {
    if (!this.members.has(id)) return;
    const s = this.links.get(id);
    if (s === undefined) this.links.set(id, { id, phase, outcome });
    else {
      s.phase = phase;
      s.outcome = outcome;
    }
  }

  /** The summary of the link to `id`, if any. */
  link(id: number): LinkSummary | undefined {
    return this.links.get(id);
  }

  /** Number of members we have an established link with. */
  get connectedCount(): number {
    let n = 0;
    for (const s of this.links.values()) if (s.phase === 'connected') n++;
    return n;
  }

  /** True when every other member's link is connected. */
  get isFull(): boolean {
    return this.otherMembers().every((m) => this.links.get(m)?.phase === 'connected');
  }

  /** True when every other member's link has an outcome (connected or failed). */
  get isSettled(): boolean {
    return this.otherMembers().every((m) => {
      const p = this.links.get(m)?.phase;
      return p === 'connected' || p === 'failed';
    });
  }

  /** The report: connected links as peers, everything else (failed or still running) as failures. */
  report(): MeshReport {
    const peers: MeshReportPeer[] = [];
    const failures: MeshReportFailure[] = [];
    for (const m of this.otherMembers()) {
      const s = this.links.get(m);
      const o = s?.outcome;
      if (s?.phase === 'connected' && o?.ok === true) {
        peers.push({ id: m, path: o.path, rttMs: Math.round(o.rttMs * 10) / 10, local: formatEndpoint(o.local), remote: formatEndpoint(o.remote) });
      } else if (o !== undefined && o.ok === false) {
        failures.push({ id: m, reason: o.reason, detail: o.detail });
      } else {
        failures.push({ id: m, reason: 'pending', detail: `link still ${s?.phase ?? 'waiting for pair.start'}` });
      }
    }
    return { id: this.id, lobby: this.lobby, secure: this.secure, peers, failures };
  }
}
