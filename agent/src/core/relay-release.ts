// When a link lets go of its relay after moving to a direct path (core, sans-IO; relay.md §3
// "keep the allocation 30 s, then Refresh(0)"). A direct path that just appeared may fail again:
// while the relay path stays proven beside it, falling back costs one consent timeout instead of
// an Allocate, a candidate through the service and a relayed check. Once the direct path has
// carried the link for `holdMs` without failing, the relay path is dropped and its allocation
// released, so a lobby holds allocations only for links that use them.

import type { PathMux } from './path-mux.js';

/** The relay-release deadline of one link. Inputs: `update` after every path change; `handleTimeout`. */
export class RelayRelease {
  readonly holdMs: number;
  #dueAt: number | undefined = undefined;

  /** @param holdMs how long direct must carry the link before the relay goes (option relayReleaseMs). */
  constructor(holdMs: number) {
    this.holdMs = holdMs;
  }

  /**
   * The mux changed (a path proved or was lost): direct in use with a relay path beside it starts
   * the hold, or keeps the one running (a relay path proving again does not postpone it); any
   * other state (the direct path lost, the relay gone) cancels it.
   */
  update(now: number, mux: PathMux): void {
    if (mux.active?.slot !== 'direct' || !mux.has('relay')) {
      this.#dueAt = undefined;
      return;
    }
    this.#dueAt ??= now + this.holdMs;
  }

  /** When the relay is due to go, or undefined. */
  pollTimeout(): number | undefined {
    return this.#dueAt;
  }

  /** True once, when the hold is over: the caller drops the relay path and releases the allocation. */
  handleTimeout(now: number): boolean {
    if (this.#dueAt === undefined || now < this.#dueAt) return false;
    this.#dueAt = undefined;
    return true;
  }
}
