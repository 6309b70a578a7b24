// The datagram transport the NAT toolkit sends through, and its node:dgram implementation
// (adapter). An ENet host implements the same two methods with `socketSend` and its intercept hook,
// so STUN and punch probes share the ENet socket (docs/design.md rule 2: one socket, one mapping).
import type { Socket } from 'node:dgram';
import { isStunMessage } from '../core/stun/message.js';

/** A sender address as the transport reports it. */
export interface DatagramSource {
  readonly address: string;
  readonly port: number;
}

/** What STUN, discovery and punching need from a socket. */
export interface DatagramTransport {
  /** Sends one datagram. The bytes may be overwritten after return: copy them if they are queued. */
  send(address: string, port: number, bytes: Uint8Array): void;
  /**
   * Calls `handler` for every STUN datagram (`isStunMessage`) the socket receives until the
   * returned function is called. Non-STUN datagrams (ENet) never reach the handler.
   */
  onStun(handler: (bytes: Uint8Array, from: DatagramSource) => void): () => void;
}

/** Counters of a dgram transport. */
export interface UdpTransportCounters {
  sent: number;
  sendErrors: number;
  stunReceived: number;
  otherReceived: number;
}

/** A DatagramTransport on a bound node:dgram socket, plus its counters. */
export interface UdpTransport extends DatagramTransport {
  readonly socket: Socket;
  readonly counters: UdpTransportCounters;
  /** Removes the transport's one 'message' listener (the socket stays open: it is the caller's). */
  detach(): void;
}

/**
 * Wraps a bound `node:dgram` socket. One 'message' listener is added (docs/design.md §5.7); STUN
 * datagrams go to the `onStun` handlers, everything else is left to the socket's other listeners.
 * Send errors (e.g. an IPv6 destination on a udp4 socket) are counted, not thrown.
 */
export function udpTransport(socket: Socket): UdpTransport {
  const handlers = new Set<(bytes: Uint8Array, from: DatagramSource) => void>();
  const counters: UdpTransportCounters = { sent: 0, sendErrors: 0, stunReceived: 0, otherReceived: 0 };
  const onMessage = (msg: Buffer, rinfo: { address: string; port: number }) => {
    if (!isStunMessage(msg)) {
      counters.otherReceived++;
      return;
    }
    counters.stunReceived++;
    for (const h of [...handlers]) h(msg, { address: rinfo.address, port: rinfo.port });
  };
  socket.on('message', onMessage);
  const onSent = (err: Error | null) => {
    if (err) counters.sendErrors++;
  };
  return {
    socket,
    counters,
    send(address, port, bytes) {
      counters.sent++;
      try {
        // dgram may read the bytes after send() returns (docs/design.md §5.6): hand it a copy.
        socket.send(Buffer.from(bytes), port, address, onSent);
      } catch {
        counters.sendErrors++;
      }
    },
    onStun(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    detach() {
      socket.off('message', onMessage);
      handlers.clear();
    },
  };
}
