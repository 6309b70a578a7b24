// A minimal protocol-v1 client over a raw TCP socket speaking just enough RFC 6455 for the
// benchmark (text frames, zero masking key, close): about a tenth of `ws`'s client CPU per
// connection, so the 2-core machine spends its time in the service being measured.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

/** One pair this client was told to punch. */
export interface LeanPair { pair: number; remote: number }

/** RFC 6455 §4.1 opening handshake; the key is fixed (the service does not care, we skip the check). */
function upgradeRequest(port: number, path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
}

/**
 * Encodes one client text frame (RFC 6455 §5.2): FIN, opcode 1, MASK set with key 0 (so the
 * payload goes out as is; clients must mask, any key value is valid on the wire).
 */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(6) : Buffer.alloc(8);
  head[0] = 0x81;
  if (n < 126) {
    head[1] = 0x80 | n;
  } else {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(n, 2);
  }
  return Buffer.concat([head, payload]);
}

/** A bare client: request/answer by rid, heartbeat acks, pair and candidate bookkeeping. */
export class LeanClient {
  readonly pairs: LeanPair[] = [];
  candidatesDone = 0;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  readonly #sock: Socket;
  #rid = 0;
  readonly #pending = new Map<number, (msg: Record<string, unknown>) => void>();
  #buf: Buffer = Buffer.alloc(0);
  #upgraded = false;

  /** @param path request target of the upgrade (e.g. `/?lobby=x`, the routing hint) */
  constructor(port: number, path = '/') {
    this.#sock = connect(port, '127.0.0.1');
    this.#sock.setNoDelay(true);
    this.#sock.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.#sock.once('close', () => resolve()));
    this.opened = new Promise((resolve, reject) => {
      this.#sock.once('connect', () => this.#sock.write(upgradeRequest(port, path)));
      this.#sock.on('data', (d: Buffer) => {
        this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
        if (!this.#upgraded) {
          const end = this.#buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          if (!this.#buf.subarray(0, 12).toString('latin1').includes(' 101')) {
            reject(new Error(`upgrade refused: ${this.#buf.subarray(0, 40).toString('latin1')}`));
            this.#sock.destroy();
            return;
          }
          this.#upgraded = true;
          this.#buf = this.#buf.subarray(end + 4);
          resolve();
        }
        this.#parse();
      });
      this.#sock.once('close', () => reject(new Error('closed before the upgrade')));
    });
  }

  #parse(): void {
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b.length < off + len) return;
      const opcode = b[0]! & 0x0f;
      const payload = b.subarray(off, off + len);
      this.#buf = b.subarray(off + len);
      if (opcode === 1) this.#onMessage(payload.toString('utf8'));
      else if (opcode === 8) this.#sock.end();
    }
  }

  #onMessage(text: string): void {
    const msg = JSON.parse(text) as Record<string, unknown>;
    switch (msg.type) {
      case 'heartbeat':
        this.#sock.write(textFrame(`{"type":"heartbeat.ack","n":${msg.n as number},"local":${Math.floor(performance.now())}}`));
        return;
      case 'pair.start':
        this.pairs.push({ pair: msg.pair as number, remote: msg.remote as number });
        return;
      case 'pair.candidates':
        if (msg.done === true) this.candidatesDone++;
        return;
      default: {
        const rid = msg.rid as number | undefined;
        if (typeof rid !== 'number') return;
        const p = this.#pending.get(rid);
        if (p === undefined) return;
        this.#pending.delete(rid);
        p(msg);
      }
    }
  }

  #expect(rid: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.#pending.set(rid, (msg) => (msg.type === 'error' ? reject(new Error(`${msg.code as string}: ${msg.message as string}`)) : resolve(msg)));
    });
  }

  /**
   * Sends two requests in one write (the protocol answers in order); resolves with both answers.
   * Used to pipeline hello + lobby.join, as the anchors' protocols admit with one message.
   */
  requestPair(first: string, second: string): Promise<[Record<string, unknown>, Record<string, unknown>]> {
    const r1 = ++this.#rid;
    const r2 = ++this.#rid;
    const answers = Promise.all([this.#expect(r1), this.#expect(r2)]);
    this.#sock.write(Buffer.concat([textFrame(`{"rid":${r1},${first.slice(1)}`), textFrame(`{"rid":${r2},${second.slice(1)}`)]));
    return answers;
  }

  /** Sends a request; resolves with the answer (an `error` answer rejects). */
  request(body: string): Promise<Record<string, unknown>> {
    const rid = ++this.#rid;
    const answer = this.#expect(rid);
    this.#sock.write(textFrame(`{"rid":${rid},${body.slice(1)}`));
    return answer;
  }

  /** Closes with 1000 (RFC 6455 §5.5.1: a masked close frame carrying the code). */
  close(): void {
    this.#sock.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
  }
}
