// Link sockets gathered ahead of their pairs (adapter). A member that knows how many peers to
// expect (`meshpunch join --wait-peers N`) binds and STUN-gathers N−1 sockets while its signaling
// round trips are in flight, so when pair.start comes its candidates go out at once instead of
// one STUN round trip later, on both sides of every pair (issue #7: ~40 ms of a NAT-lab link).
// Sockets nobody took are destroyed with the session.

import { gatherLinkSocket, type LinkSocket, type LinkSocketOptions } from './link-socket.js';

/** Most sockets a pool prepares: a lobby has at most 32 members (docs/design.md), so 31 links. */
export const MAX_POOLED_SOCKETS = 31;

/** A fixed number of link sockets gathered in advance, handed out once each. */
export class SocketPool {
  private readonly pending: Array<Promise<LinkSocket | undefined>> = [];
  private closed = false;

  /** Starts gathering `count` sockets (capped at MAX_POOLED_SOCKETS) with `options`. */
  constructor(count: number, options: LinkSocketOptions) {
    const n = Math.max(0, Math.min(MAX_POOLED_SOCKETS, Math.floor(count)));
    for (let i = 0; i < n; i++) {
      // A socket that could not be gathered is simply not there: its link gathers its own.
      this.pending.push(gatherLinkSocket(options).then((s) => this.keep(s), () => undefined));
    }
  }

  /** Sockets not handed out yet (gathered or still gathering). */
  get size(): number {
    return this.pending.length;
  }

  /** The next socket, resolving to undefined when it could not be gathered; undefined when none is left. */
  take(): Promise<LinkSocket | undefined> | undefined {
    return this.closed ? undefined : this.pending.shift();
  }

  /** Destroys every socket not handed out (also those still gathering, when they finish). Idempotent. */
  close(): void {
    this.closed = true;
    for (const p of this.pending.splice(0)) void p.then((s) => s?.host.destroy());
  }

  private keep(s: LinkSocket): LinkSocket | undefined {
    if (!this.closed) return s;
    s.host.destroy();
    return undefined;
  }
}
