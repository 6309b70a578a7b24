// SSDP search (adapter): sends M-SEARCH for the IGD search targets to the multicast group on
// a schedule and hands every valid unicast answer to the caller (UDA 1.1 §1.3).
import { createSocket } from 'node:dgram';
import { NatError } from '../errors.js';
import {
  encodeMSearch,
  IGD_SEARCH_TARGETS,
  locationMatchesSender,
  parseSsdpResponse,
  SSDP_MULTICAST_ADDRESS,
  SSDP_PORT,
  type SsdpParseError,
  type SsdpResponse,
} from '../core/ssdp.js';

/**
 * When each M-SEARCH round goes out, ms after the start. UDP is lossy and some routers answer
 * late or only to a repeated search (docs/specs/nat-traversal.md §4 row 4), so search again.
 */
export const SSDP_SEND_SCHEDULE_MS: readonly number[] = [0, 400, 1200, 2800, 6000];

/** Answers handed on per search; a LAN with more gateways than this is not a home LAN. */
const MAX_ANSWERS = 32;

/** Options of {@link ssdpSearch}. */
export interface SsdpSearchOptions {
  /** How long to listen, ms; default 3000. Slow routers need up to ~10 000. */
  readonly timeoutMs?: number;
  readonly searchTargets?: readonly string[];
  /** MX seconds (1..5); default 2. */
  readonly mxS?: number;
  /** Where to send the search; default the SSDP multicast group (tests use a loopback responder). */
  readonly address?: string;
  readonly port?: number;
  /** Local address to send multicast from (picks the interface); default the routing table's choice. */
  readonly bindAddress?: string;
  /** Accept a LOCATION on another host than the answer's sender (off: see locationMatchesSender). */
  readonly allowForeignLocation?: boolean;
  readonly signal?: AbortSignal;
}

/** One valid answer. */
export interface SsdpAnswer extends SsdpResponse {
  /** Address the answer came from. */
  readonly from: string;
}

/** Counters of one search: what was sent, received and dropped (and why). */
export interface SsdpSearchStats {
  sent: number;
  received: number;
  answers: number;
  dropped: Record<SsdpParseError | 'foreign-location' | 'duplicate', number>;
}

/**
 * Searches until `onAnswer` returns true, the time limit passes or the signal aborts, and
 * resolves with the counters. Each distinct LOCATION is handed on once.
 * @throws NatError NAT_UPNP_HTTP_ERROR when the socket cannot be opened or sending fails
 *   at once (e.g. ENETUNREACH without a route for multicast, natlab.md §6 step 5).
 */
export function ssdpSearch(opts: SsdpSearchOptions, onAnswer: (a: SsdpAnswer) => boolean | void): Promise<SsdpSearchStats> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const targets = opts.searchTargets ?? IGD_SEARCH_TARGETS;
  const address = opts.address ?? SSDP_MULTICAST_ADDRESS;
  const port = opts.port ?? SSDP_PORT;
  const requests = targets.map((st) => encodeMSearch(st, opts.mxS ?? 2));
  const stats: SsdpSearchStats = {
    sent: 0, received: 0, answers: 0,
    dropped: { 'too-large': 0, 'not-http-200': 0, 'no-location': 0, 'bad-location': 0, 'foreign-location': 0, duplicate: 0 },
  };
  const seen = new Set<string>();
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: 'udp4' });
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (err?: NatError): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(stats);
    };
    const onAbort = (): void => finish();
    if (opts.signal?.aborted) {
      sock.close();
      resolve(stats);
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(new NatError('NAT_UPNP_HTTP_ERROR', `SSDP socket failed: ${err.message}`, {}, err)));
    sock.on('message', (msg, rinfo) => {
      if (done) return;
      stats.received++;
      const r = parseSsdpResponse(msg);
      if (!r.ok) {
        stats.dropped[r.error]++;
        return;
      }
      if (!opts.allowForeignLocation && !locationMatchesSender(r.response.location, rinfo.address)) {
        stats.dropped['foreign-location']++;
        return;
      }
      if (seen.has(r.response.location) || seen.size >= MAX_ANSWERS) {
        stats.dropped.duplicate++;
        return;
      }
      seen.add(r.response.location);
      stats.answers++;
      if (onAnswer({ ...r.response, from: rinfo.address }) === true) finish();
    });
    sock.bind({ port: 0, address: opts.bindAddress }, () => {
      try {
        // UDA 1.1 §1.1.2: multicast TTL small enough to stay in the LAN.
        sock.setMulticastTTL(2);
        if (opts.bindAddress) sock.setMulticastInterface(opts.bindAddress);
      } catch {
        // Not a multicast-capable socket setup (e.g. unicast test responder): sending still works.
      }
      let delivered = 0;
      const round = (): void => {
        for (const req of requests) {
          sock.send(req, port, address, (err) => {
            if (!err) {
              delivered++;
              stats.sent++;
            } else if (delivered === 0) {
              // Not one M-SEARCH left this host: no route to the group, say so instead of a timeout.
              finish(new NatError('NAT_UPNP_HTTP_ERROR', `M-SEARCH to ${address}:${port} failed: ${err.message}`, { address, port }, err));
            }
          });
        }
      };
      for (const at of SSDP_SEND_SCHEDULE_MS) if (at < timeoutMs) timers.push(setTimeout(round, at));
      timers.push(setTimeout(() => finish(), timeoutMs));
    });
  });
}
