// What the service writes to its sockets in one event-loop turn (adapter): each socket's frames
// queued in its own Buffer as they are sent, and one write per socket at the turn's end.
import type { LogSink } from './json-log.js';
import { forwardedLength, writeForwarded } from '../core/forwarded-candidates.js';
import type { ForwardedCandidates } from '../core/forwarded-candidates.js';
import { queueFrame, queueTextFrame } from './text-frame.js';
import type { WsConn } from './ws-conn.js';

/**
 * Frames for clients of this process, held until the end of this event-loop turn (flush):
 * everything the service sends a socket while handling one batch of input (welcome,
 * lobby.joined + pair.starts, the `ok`s of pipelined requests, candidates from several
 * members) leaves in one write of one Buffer. Per-frame syscalls were a quarter of the
 * service's CPU in bench/signaling; then corking the socket for the turn still cost a Buffer
 * and a stream write request per frame and a writev per socket (issue 19). Adds no delay
 * beyond the current turn.
 */
export class TurnOutput {
  /** Connections with frames waiting for the end of this turn (WsConn.outBuf). */
  #conns: WsConn[] = [];
  #scheduled = false;
  readonly #maxBuffered: number;
  readonly #log: LogSink;

  /** @param maxBuffered bytes a socket may hold unwritten before it is destroyed as a slow reader */
  constructor(maxBuffered: number, log: LogSink) {
    this.#maxBuffered = maxBuffered;
    this.#log = log;
  }

  /** Queues one text frame for `ws` (nothing when it is gone or closing). */
  text(ws: WsConn | undefined, text: string): void {
    if (this.#takes(ws)) queueTextFrame(ws, text);
  }

  /** text() for a spliced pair.candidates: its bytes written straight into the socket's turn Buffer. */
  forwarded(ws: WsConn | undefined, o: ForwardedCandidates): void {
    if (!this.#takes(ws)) return;
    const len = forwardedLength(o);
    writeForwarded(queueFrame(ws, len), ws.outLen - len, o);
  }

  /** `ws` has output for the end of this turn. */
  queue(ws: WsConn): void {
    this.#conns.push(ws);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Whether `ws` takes another frame this turn (a slow reader is destroyed instead). */
  #takes(ws: WsConn | undefined): ws is WsConn {
    if (ws === undefined || ws.closeSent) return false;
    const sock = ws.socket;
    if (!sock.writable) return false;
    if (sock.writableLength > this.#maxBuffered) {
      this.#log('warn', 'connection.slow', { conn: ws.id, bufferedBytes: sock.writableLength });
      sock.destroy();
      return false;
    }
    if (ws.outBuf === null) this.queue(ws);
    return true;
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const conns = this.#conns;
    this.#conns = [];
    for (let i = 0; i < conns.length; i++) conns[i]!.flushOut();
  };
}
