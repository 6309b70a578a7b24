// Host proofs of password lobbies on a LAN (adapter, issue #16; the scheme is in password.ts).
// One UDP datagram each way: a joiner asks with a fresh nonce and the endpoint it is about to
// connect to; the host answers only for an endpoint of its own (so a rogue relaying the question
// gets a proof for the real host's endpoint, which the joiner does not accept for the rogue's).
// An answer is no bigger than the question and answers are rate limited: the port is no
// amplifier.

import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIpv6 } from '../core/endpoint.js';
import { hostProof, proofMatches } from './password.js';

const MAX_DATAGRAM = 512;
/** Answers per second a host gives (a LAN party joins a few agents a second). */
const MAX_PROOFS_PER_S = 50;
/** A joiner asks this many times, this far apart. */
const TRIES = 5;
const TRY_EVERY_MS = 300;

interface ProofRequest {
  t: 'mp-proof';
  lobby: string;
  nonce: string;
  address: string;
  port: number;
}

function parseRequest(buf: Buffer): ProofRequest | undefined {
  if (buf.length > MAX_DATAGRAM) return undefined;
  try {
    const m = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    if (m.t !== 'mp-proof' || typeof m.lobby !== 'string' || typeof m.nonce !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(m.nonce)) return undefined;
    if (typeof m.address !== 'string' || m.address.length > 64 || typeof m.port !== 'number' || !Number.isInteger(m.port)) return undefined;
    return m as unknown as ProofRequest;
  } catch {
    return undefined;
  }
}

/** The host's side: answers proofs for its lobby at its own endpoints. */
export class ProofResponder {
  /** Questions refused (malformed, other lobby, not our endpoint) and answers held back by the rate limit. */
  readonly counters = { answered: 0, refused: 0, limited: 0 };
  private windowStart = 0;
  private inWindow = 0;

  private constructor(private readonly socket: Socket, readonly port: number, secret: Buffer, lobby: string, ownEndpoint: (address: string, port: number) => boolean) {
    socket.on('message', (buf, rinfo) => {
      const q = parseRequest(buf);
      if (q === undefined || q.lobby !== lobby || !ownEndpoint(q.address, q.port)) {
        this.counters.refused++;
        return;
      }
      const now = performance.now();
      if (now - this.windowStart >= 1000) {
        this.windowStart = now;
        this.inWindow = 0;
      }
      if (++this.inWindow > MAX_PROOFS_PER_S) {
        this.counters.limited++;
        return;
      }
      this.counters.answered++;
      const answer = Buffer.from(JSON.stringify({ t: 'mp-proof-ok', nonce: q.nonce, proof: hostProof(secret, q.nonce, q.address, q.port) }));
      socket.send(answer, rinfo.port, rinfo.address, () => undefined);
    });
    socket.on('error', () => undefined);
  }

  /** Binds a UDP socket on `bind` (a free port). */
  static async start(bind: string, secret: Buffer, lobby: string, ownEndpoint: (address: string, port: number) => boolean): Promise<ProofResponder> {
    const socket = createSocket(isIpv6(bind) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, bind, () => resolve());
    });
    return new ProofResponder(socket, socket.address().port, secret, lobby, ownEndpoint);
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/** What asking a host for its proof gave. */
export type ProofVerdict = 'proven' | 'refuted' | 'silent';

/**
 * Asks the host at `address` (proof port `proofPort`) to prove it knows the lobby's secret for
 * the signaling endpoint `address:port`. 'refuted': it answered with a wrong proof (another
 * password, or not the lobby's host); 'silent': no valid answer in ~1.5 s.
 */
export async function askProof(secret: Buffer, lobby: string, address: string, port: number, proofPort: number): Promise<ProofVerdict> {
  const socket = createSocket(isIpv6(address) ? 'udp6' : 'udp4');
  const nonce = randomBytes(16).toString('base64url');
  const question = Buffer.from(JSON.stringify({ t: 'mp-proof', lobby, nonce, address, port }));
  try {
    return await new Promise<ProofVerdict>((resolve) => {
      let tries = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('error', () => undefined);
      socket.on('message', (buf, rinfo) => {
        if (rinfo.address.replace(/%.*$/, '') !== address || rinfo.port !== proofPort || buf.length > MAX_DATAGRAM) return;
        try {
          const m = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
          if (m.t !== 'mp-proof-ok' || m.nonce !== nonce || typeof m.proof !== 'string') return;
          clearTimeout(timer);
          resolve(proofMatches(secret, nonce, address, port, m.proof) ? 'proven' : 'refuted');
        } catch {
          // not an answer: keep waiting
        }
      });
      const send = (): void => {
        if (tries++ >= TRIES) {
          // After this turn's I/O: an answer already in the socket's queue still counts.
          setImmediate(() => resolve('silent'));
          return;
        }
        socket.send(question, proofPort, address, () => undefined);
        timer = setTimeout(send, TRY_EVERY_MS);
      };
      send();
    });
  } finally {
    socket.close();
  }
}
