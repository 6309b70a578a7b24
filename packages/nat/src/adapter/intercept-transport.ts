// A DatagramTransport over any host that can send raw datagrams from its socket and lets a hook
// see received datagrams first — an ENet host's `socketSend` and intercept hook (adapter).
// The hook consumes STUN datagrams only while a handler is attached; ENet datagrams pass through.
import { isStunMessage } from '../core/stun/message.js';
import type { DatagramSource, DatagramTransport } from './transport.js';

/** A transport plus the function to install as the host's receive hook. */
export interface InterceptTransport {
  readonly transport: DatagramTransport;
  /**
   * Offer every received datagram here before the host parses it. Returns true when it was STUN
   * and a handler took it (the host must then drop it), false when the host should process it.
   */
  intercept(bytes: Uint8Array, from: DatagramSource): boolean;
}

/**
 * Builds a transport from `send` (e.g. `(a, p, b) => enetHost.socketSend(a, p, b)`); wire
 * `intercept` into the host's intercept hook. Many handlers may attach (STUN client and punch).
 */
export function createInterceptTransport(send: (address: string, port: number, bytes: Uint8Array) => void): InterceptTransport {
  const handlers = new Set<(bytes: Uint8Array, from: DatagramSource) => void>();
  return {
    transport: {
      send,
      onStun(handler) {
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
    },
    intercept(bytes, from) {
      if (handlers.size === 0 || !isStunMessage(bytes)) return false;
      for (const h of [...handlers]) h(bytes, from);
      return true;
    },
  };
}
