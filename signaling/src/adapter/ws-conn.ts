// One upgraded WebSocket connection of the service (adapter): the frame reader with the core's
// connection number, the socket, this turn's output and the close handshake, plus the listeners
// every upgraded socket shares (signaling-server.ts attaches them; no closure per connection).
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { takeFrames } from './text-frame.js';
import { encodeCloseFrame, FrameReader } from './ws-server.js';

/** ms a closing socket gets for the close handshake before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;

/** Where an upgraded socket keeps its WsConn. */
export const WS_CONN = Symbol('meshpunch.ws');
export type WsSocket = Socket & { [WS_CONN]: WsConn };

/**
 * One upgraded WebSocket connection: the frame reader (ws-server.ts) with the connection number
 * the core knows it by, its socket, and the close handshake's state. The only per-connection
 * object the adapter adds to the net.Socket.
 */
export class WsConn extends FrameReader {
  readonly id: number;
  readonly socket: Socket;
  /** Our close frame went out. */
  closeSent = false;
  /** The code of the peer's close frame; 1006 (abnormal) until one arrives. */
  peerCode = 1006;
  /** Destroys the socket if the close handshake does not finish in CLOSE_GRACE_MS. */
  closeTimer: NodeJS.Timeout | undefined = undefined;
  /**
   * Frames for this socket from the current event-loop turn, encoded as they come (text-frame.ts
   * queueTextFrame; after the 101 answer, which leaves in the same write as the welcome: one
   * syscall per admission fewer), written as one Buffer at the turn's end (SignalingServer
   * #flush); null when nothing waits.
   */
  outBuf: Buffer | null = null;
  /** Bytes of outBuf in use. */
  outLen = 0;

  constructor(id: number, socket: Socket, maxPayload: number) {
    super(maxPayload);
    this.id = id;
    this.socket = socket;
  }

  /** Sends a close frame once, ends our side when the peer's came first, and bounds the wait. */
  close(code: number, reason: string): void {
    if (this.closeSent) return;
    // What the core sent before closing (an error, shutdown) goes out ahead of the close frame.
    this.flushOut();
    this.closeSent = true;
    const s = this.socket;
    if (!s.writable) {
      s.destroy();
      return;
    }
    s.write(encodeCloseFrame(code, reason));
    if (this.done) s.end();
    this.closeTimer = setTimeout(destroyOf, CLOSE_GRACE_MS, s);
    this.closeTimer.unref();
  }

  /** Writes this turn's frames in one write. */
  flushOut(): void {
    const out = takeFrames(this);
    if (out === null || this.closeSent || !this.socket.writable) return;
    this.socket.write(out);
  }
}

function destroyOf(s: Socket): void {
  s.destroy();
}

/**
 * 'end' listener of every upgraded socket: the peer ended its side, so we end ours (the HTTP
 * server allows half-open sockets). Not when the close handshake already ended it: a second
 * end() builds an ERR_STREAM_ALREADY_FINISHED error with its stack trace (1.3 % of the service's
 * busy time in a kit profile, once per closing connection; issue 19).
 */
export function onPeerEnd(this: Socket): void {
  if (!this.writableEnded) this.end();
}

/** 'error' listener of an upgrading socket (`this` is the socket). */
export function destroySocket(this: Duplex): void {
  this.destroy();
}
