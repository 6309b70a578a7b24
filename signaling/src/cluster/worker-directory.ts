// Which --workers process a new connection goes to (issue 14). A lobby's members are served
// best by its home worker: a member that lands on another worker has every frame cross Redis
// pub/sub twice (gateway → home → gateway). The primary reads the upgrade request's line, takes
// the lobby the client names in its URL (`?lobby=CODE`, protocol.md "Routing hint") and hands
// the connection to the worker that homes that lobby (the workers report their homes), or for
// a lobby no worker reports yet to the worker its name hashes to — so the creator of a named
// lobby and the members that come after it meet on one worker, which claims the home. Requests
// without a hint (old clients, health checks, creators of coded lobbies: the worker then
// reports the code it drew) go round the ready workers in turn. `?worker=N` picks a worker
// (per-worker /metrics). A hint is advice: a member on another worker moves to the home at its
// lobby request (SiblingProcesses in signaling-server.ts), and the bus serves any member anywhere.
import { normalizeLobbyCode } from '@meshpunch/protocol';

/** Longest lobby hint looked at (a lobby name or code is at most 32 characters). */
const MAX_HINT = 64;

/** What a request line asks for. */
export interface RouteHint {
  readonly lobby?: string;
  readonly worker?: number;
}

/**
 * The routing hint of an HTTP request line (`GET /?lobby=x HTTP/1.1`); empty when the line
 * names none or is not one.
 */
export function routeHint(requestLine: string): RouteHint {
  // By hand, not URLSearchParams: the primary runs this for every connection (it was 4 % of its CPU).
  const sp = requestLine.indexOf(' ');
  const end = sp < 0 ? -1 : requestLine.indexOf(' ', sp + 1);
  const q = sp < 0 ? -1 : requestLine.indexOf('?', sp + 1);
  if (q < 0 || (end >= 0 && q > end)) return {};
  let lobby: string | undefined;
  let worker: number | undefined;
  for (const pair of requestLine.slice(q + 1, end < 0 ? undefined : end).split('&', 16)) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (name === 'lobby' && lobby === undefined) lobby = decode(value);
    else if (name === 'worker' && worker === undefined && /^\d{1,4}$/.test(value)) worker = Number(value);
  }
  return {
    ...(lobby !== undefined && lobby.length > 0 && lobby.length <= MAX_HINT ? { lobby } : {}),
    ...(worker === undefined ? {} : { worker }),
  };
}

/** A query value as form-decoded text ('+' is a space); a malformed escape is kept as written. */
function decode(value: string): string {
  const v = value.includes('+') ? value.replaceAll('+', ' ') : value;
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** FNV-1a of a string: a lobby name's worker when no worker reports it. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The lobbies each worker homes and which workers are ready; picks a worker per connection. */
export class WorkerDirectory {
  readonly #count: number;
  readonly #ready: boolean[];
  /** Lobby code → index of the worker that reported it as homed there. */
  readonly #homes = new Map<string, number>();
  /** Cluster node id → index of the worker that runs it (reported when it is ready). */
  readonly #nodes = new Map<string, number>();
  #turn = 0;
  /** Connections routed, by how: home (a reported home), hash, any (no hint, or its worker not ready). */
  readonly routed = { home: 0, hash: 0, any: 0 };

  constructor(workers: number) {
    this.#count = workers;
    this.#ready = Array.from({ length: workers }, () => false);
  }

  /** Worker `index` accepts connections now. */
  ready(index: number): void {
    this.#ready[index] = true;
  }

  /** Worker `index` is gone (exited): nothing goes to it until it is ready again, its homes are forgotten. */
  gone(index: number): void {
    this.#ready[index] = false;
    for (const [id, w] of this.#nodes) if (w === index) this.#nodes.delete(id);
    for (const [code, w] of this.#homes) if (w === index) this.#homes.delete(code);
  }

  /** Worker `index` became the home of `add` and is no longer the home of `drop` (lobby codes). */
  homes(index: number, add: readonly string[], drop: readonly string[]): void {
    for (const code of drop) if (this.#homes.get(code) === index) this.#homes.delete(code);
    for (const code of add) this.#homes.set(code, index);
  }

  /** Worker `index` runs cluster node `id` (a restarted worker is a new node). */
  node(index: number, id: string): void {
    for (const [old, w] of this.#nodes) if (w === index) this.#nodes.delete(old);
    this.#nodes.set(id, index);
  }

  /** The ready worker that runs node `id`, or undefined (a node of another machine, or a worker not ready). */
  workerOf(id: string): number | undefined {
    const i = this.#nodes.get(id);
    return i !== undefined && this.#ready[i] === true ? i : undefined;
  }

  /** Ready workers whose node is known. */
  get nodeCount(): number {
    let n = 0;
    for (const i of this.#nodes.values()) if (this.#ready[i] === true) n++;
    return n;
  }

  /** Lobbies a worker reported. */
  get size(): number {
    return this.#homes.size;
  }

  /** The worker for a connection with `hint`; undefined when no worker is ready. */
  pick(hint: RouteHint): number | undefined {
    if (hint.worker !== undefined && this.#ready[hint.worker] === true) return hint.worker;
    if (hint.lobby !== undefined) {
      const code = normalizeLobbyCode(hint.lobby);
      const home = this.#homes.get(hint.lobby) ?? (code === undefined ? undefined : this.#homes.get(code));
      if (home !== undefined && this.#ready[home] === true) {
        this.routed.home++;
        return home;
      }
      const h = hash(hint.lobby) % this.#count;
      if (this.#ready[h] === true) {
        this.routed.hash++;
        return h;
      }
    }
    for (let k = 0; k < this.#count; k++) {
      const i = (this.#turn + k) % this.#count;
      if (this.#ready[i] === true) {
        this.#turn = i + 1;
        this.routed.any++;
        return i;
      }
    }
    return undefined;
  }
}
