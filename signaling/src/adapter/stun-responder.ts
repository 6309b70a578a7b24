// The embedded STUN responder's sockets (adapter): answers Binding requests (RFC 8489 §6.3) with
// XOR-MAPPED-ADDRESS, and with a second address also RFC 5780 §6.1 OTHER-ADDRESS, RESPONSE-ORIGIN
// and CHANGE-REQUEST. What to answer is @meshpunch/nat's answerBindingRequest; this file owns the
// sockets, the per-source rate limit and the counters.
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { answerBindingRequest, ipLiteralLookup } from '@meshpunch/nat';
import type { TransportAddress } from '@meshpunch/nat';
import { IpRateLimiter } from '../core/ip-rate-limiter.js';
import type { StunCounters } from '../core/prometheus.js';
import { SignalingError } from '../errors.js';
import type { LogSink } from './json-log.js';
import { monotonicNow } from '@meshpunch/base';

/** How the embedded STUN responder is run (SignalingServerOptions.stun). */
export interface StunServiceOptions {
  /** UDP port; default: the HTTP port's number. */
  port?: number;
  /** Address to bind; default: the HTTP host. */
  host?: string;
  /** A second local address (RFC 5780 §4.3 "alternate address") enabling OTHER-ADDRESS and CHANGE-REQUEST. */
  alternateHost?: string;
  /** Port for the alternate socket(s); default: port + 1. */
  alternatePort?: number;
  /** Log every answered request at debug level (set from logLevel 'debug'; off: no string is built). */
  trace?: boolean;
  /** Answers per second per source IP (0 = unlimited); default from the service's limits. */
  answersPerSecondPerIp?: number;
  /** Answer burst per source IP; default from the service's limits. */
  answerBurstPerIp?: number;
  /**
   * Sees every datagram of the primary socket first; true = taken (the embedded TURN relay,
   * which shares this socket). Set by the server, not by callers.
   */
  intercept?: (msg: Buffer, from: { address: string; port: number }) => boolean;
}

/** A started STUN responder as the server sees it. */
export interface StunHandle {
  readonly port: number;
  readonly counters: StunCounters;
  /**
   * Sends one datagram from the primary socket (the embedded relay's answers and relayed data):
   * `bytes`, or a list sent as one datagram. The caller never writes them again (no copy is
   * made). Absent: no relay on this responder.
   */
  readonly send?: (address: string, port: number, bytes: Uint8Array | readonly Uint8Array[]) => void;
  close(): Promise<void>;
}

/** SOFTWARE attribute value (RFC 8489 §14.14), so captures show who answered. */
const SOFTWARE = 'meshpunch-signal';
/** Answers stay far below this; the codec needs at least 128 bytes (binding.ts). */
const OUT_BYTES = 512;
/**
 * Larger datagrams are not Binding requests worth decoding. Plain requests are 20..~100 bytes;
 * RFC 5780 §7.6 PADDING probes (coturn's client sends one) fill an Ethernet MTU, ~1.5 KB. Our
 * answers never carry PADDING, so they stay small whatever the request size (no amplification).
 */
const MAX_REQUEST_BYTES = 2048;

/**
 * Per-source-IP answer limits (options, from the service's limits): a Binding answer (~70
 * bytes) is larger than the smallest request (20 bytes), so without a cap a spoofed source
 * could use the responder as a reflector (nat-traversal.md §5, "Auth & abuse resistance").
 */
const DEFAULT_ANSWERS_PER_SECOND_PER_IP = 200;
const DEFAULT_ANSWER_BURST_PER_IP = 2000;
/** Source IPs whose answer rate is remembered; the oldest is forgotten first. */
const MAX_TRACKED_SOURCES = 10_000;

interface Bound {
  socket: Socket;
  address: string;
  port: number;
  /** Index into the 2×2 grid: bit 0 = alternate port, bit 1 = alternate address. */
  slot: number;
}

function bind(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Every send goes to a literal (rinfo, or an address the relay decoded): no tick to resolve it
    // (ipLiteralLookup; the relay's answers and relayed data leave from this socket).
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', lookup: ipLiteralLookup });
    // A failed bind leaves no socket behind (SignalingServer.start may try another port).
    const failed = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', failed);
    socket.bind(port, host, () => {
      socket.off('error', failed);
      resolve(socket);
    });
  });
}

/**
 * Binds the responder's sockets and starts answering.
 *
 * Without `alternateHost`: one socket at host:port; CHANGE-REQUEST is answered 420 (RFC 5780
 * §6.1: a server without an alternate address does not understand it). With it: four sockets,
 * {host, alternateHost} × {port, alternatePort}, so every CHANGE-REQUEST combination can be
 * answered from the changed address (RFC 5780 §4.3).
 * @throws SignalingError ERR_INVALID_PARAMETER when an alternate address is set but the primary
 *   host is a wildcard (RESPONSE-ORIGIN must name a concrete address) (rejects)
 */
export async function startStunResponder(options: Required<Pick<StunServiceOptions, 'port' | 'host'>> & StunServiceOptions, log: LogSink): Promise<StunHandle> {
  const counters: StunCounters = { requests: 0, answered: 0, rejected: 0, malformed: 0, ignored: 0, limited: 0 };
  const trace = options.trace === true;
  const alt = options.alternateHost;
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  if (alt !== undefined && (wildcard || isIP(alt) === 0 || isIP(alt) !== isIP(options.host))) {
    throw new SignalingError('ERR_INVALID_PARAMETER', `RFC 5780 needs two concrete addresses of one family; got host ${options.host} and alternate ${alt}`);
  }
  const sockets: Bound[] = [];
  const closeAll = (): Promise<void> => Promise.all(sockets.map((b) => new Promise<void>((r) => b.socket.close(() => r())))).then(() => undefined);
  try {
    const first = await bind(options.host, options.port);
    const port = first.address().port;
    sockets.push({ socket: first, address: options.host, port, slot: 0 });
    if (alt !== undefined) {
      const altPort = options.alternatePort ?? port + 1;
      for (const [slot, host, p] of [[1, options.host, altPort], [2, alt, port], [3, alt, altPort]] as const) {
        const s = await bind(host, p);
        sockets.push({ socket: s, address: host, port: s.address().port, slot });
      }
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  const out = new Uint8Array(OUT_BYTES);
  const bySlot = (slot: number): Bound => sockets.find((s) => s.slot === slot) ?? sockets[0]!;
  // RFC 5780 §6.1: OTHER-ADDRESS is the address differing in both IP and port from the one the
  // request arrived on, and CHANGE-REQUEST is applied relative to that arrival address.
  const otherOf = (b: Bound): TransportAddress | undefined => {
    if (alt === undefined) return undefined;
    const o = bySlot(b.slot ^ 3);
    return { address: o.address, port: o.port };
  };

  const limiter = new IpRateLimiter(
    options.answersPerSecondPerIp ?? DEFAULT_ANSWERS_PER_SECOND_PER_IP,
    options.answerBurstPerIp ?? DEFAULT_ANSWER_BURST_PER_IP,
    MAX_TRACKED_SOURCES,
  );

  const intercept = options.intercept;
  const onMessage = (b: Bound, msg: Buffer, rinfo: RemoteInfo): void => {
    // The embedded relay sees the primary socket's datagrams first (relay.md §2(b)): TURN
    // requests, Send indications and ChannelData are its own, Binding messages come back here.
    // Its data path has its own per-allocation caps, so it is not under the answer rate below.
    if (intercept !== undefined && b.slot === 0 && intercept(msg, rinfo)) return;
    counters.requests++;
    if (msg.length > MAX_REQUEST_BYTES) {
      counters.ignored++;
      return;
    }
    if (!limiter.allow(monotonicNow(), rinfo.address)) {
      counters.limited++;
      return;
    }
    const answer = answerBindingRequest(msg, rinfo, out, {
      responseOrigin: wildcard ? undefined : { address: b.address, port: b.port },
      otherAddress: otherOf(b),
      software: SOFTWARE,
    });
    if (answer.kind === 'drop') {
      if (answer.reason === 'not-stun' || answer.reason === 'too-short' || answer.reason === 'not-binding-request') counters.ignored++;
      else counters.malformed++;
      return;
    }
    let from = b;
    if (answer.kind === 'success' && alt !== undefined) {
      // Answer from the socket that differs in the requested way (RFC 5780 §6.1).
      const { changeIp, changePort } = answer.changeRequest;
      from = bySlot(b.slot ^ (changePort ? 1 : 0) ^ (changeIp ? 2 : 0));
    }
    if (answer.kind === 'error') counters.rejected++;
    else counters.answered++;
    if (trace) {
      log('debug', 'stun.answered', answer.kind === 'error'
        ? { from: `${rinfo.address}:${rinfo.port}`, error: answer.code, reason: answer.reason }
        : { from: `${rinfo.address}:${rinfo.port}`, toPort: answer.toPort, changeIp: answer.changeRequest.changeIp, changePort: answer.changeRequest.changePort });
    }
    // dgram may read the bytes after send() returns (docs/design.md §5.6): send a copy.
    from.socket.send(Buffer.from(out.subarray(0, answer.length)), answer.toPort, rinfo.address);
  };
  for (const b of sockets) {
    b.socket.on('message', (msg, rinfo) => onMessage(b, msg, rinfo));
    b.socket.on('error', (err) => log('warn', 'stun.socket.error', { port: b.port, message: err.message }));
  }
  const other = otherOf(sockets[0]!);
  log('info', 'stun.listening', { host: options.host, port: sockets[0]!.port, alternate: other === undefined ? '' : `${other.address}:${other.port}` });
  const primary = sockets[0]!.socket;
  return {
    port: sockets[0]!.port, counters, close: closeAll,
    // The relay's datagrams: never written again after it hands them over, so no copy; no
    // callback (dgram queues a tick per send that has one).
    send: (address, port, bytes) => primary.send(bytes, port, address),
  };
}
