// A minimal protocol-v1 client on raw `ws` for the benchmark: far less CPU per client than
// SignalingClient, so the 2-core machine spends its time in the service being measured.
import { WebSocket } from 'ws';

/** One pair this client was told to punch. */
export interface LeanPair { pair: number; remote: number }

/** A bare client: request/answer by rid, heartbeat acks, pair and candidate bookkeeping. */
export class LeanClient {
  readonly ws: WebSocket;
  readonly pairs: LeanPair[] = [];
  candidatesDone = 0;
  #rid = 0;
  readonly #pending = new Map<number, (msg: Record<string, unknown>) => void>();
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code: number) => resolve(code)));
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data: Buffer) => this.#onMessage(data.toString('utf8')));
  }

  #onMessage(text: string): void {
    const msg = JSON.parse(text) as Record<string, unknown>;
    switch (msg.type) {
      case 'heartbeat':
        this.ws.send(`{"type":"heartbeat.ack","n":${msg.n as number},"local":${Math.floor(performance.now())}}`);
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

  /** Sends a request; resolves with the answer (an `error` answer rejects). */
  request(body: string): Promise<Record<string, unknown>> {
    const rid = ++this.#rid;
    return new Promise((resolve, reject) => {
      this.#pending.set(rid, (msg) => (msg.type === 'error' ? reject(new Error(`${msg.code as string}: ${msg.message as string}`)) : resolve(msg)));
      this.ws.send(`{"rid":${rid},${body.slice(1)}`);
    });
  }
}
