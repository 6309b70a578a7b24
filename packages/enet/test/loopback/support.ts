// Shared by the loopback tests (real node:dgram sockets on 127.0.0.1/::1): waits that end on
// the event they wait for, each bounded so a broken build fails with what it waited for instead
// of hanging. The bounds are generous (a loaded CI machine) and never the thing asserted.
import { createSocket, type Socket } from 'node:dgram';
import { ENetConnection, EventType, type ENetEvent } from '../../src/index.js';

/** The bound on every wait below: far beyond what loopback needs, so only a failure reaches it. */
export const WAIT_LIMIT_MS = 10_000;

/**
 * Services `hosts` in turn (each `service(5)` returns as soon as an event arrives) until `want`
 * accepts an event, which it returns.
 * @throws Error naming `what` when none came within `limitMs`.
 */
export async function nextEvent(hosts: readonly ENetConnection[], want: (ev: ENetEvent, host: ENetConnection) => boolean, what = 'the awaited event', limitMs = WAIT_LIMIT_MS): Promise<ENetEvent> {
  const end = performance.now() + limitMs;
  while (performance.now() < end) {
    for (const h of hosts) {
      const ev = await h.service(5);
      if (ev.type !== EventType.NONE && want(ev, h)) return ev;
    }
  }
  throw new Error(`${what} not seen within ${limitMs} ms`);
}

/**
 * Services `hosts` until `done()` holds (checked after every service call); returns the events
 * that service calls took meanwhile.
 * @throws Error naming `what` when it did not within `limitMs`.
 */
export async function serviceUntil(hosts: readonly ENetConnection[], done: () => boolean, what: string, limitMs = WAIT_LIMIT_MS): Promise<ENetEvent[]> {
  const end = performance.now() + limitMs;
  const seen: ENetEvent[] = [];
  while (!done()) {
    if (performance.now() >= end) throw new Error(`${what}: not within ${limitMs} ms`);
    for (const h of hosts) {
      const ev = await h.service(5);
      if (ev.type !== EventType.NONE) seen.push(ev);
      if (done()) break;
    }
  }
  return seen;
}

/**
 * Resolves once `host`'s socket has handed `count` more datagrams (those `match` accepts) to
 * ENet, seen through `intercept`, which passes them on: the core has processed them by the time
 * this resolves. Replaces any `intercept` for the duration.
 * @throws Error (rejects) when they did not arrive within `limitMs`.
 */
export function datagramsArrive(host: ENetConnection, count: number, match: (bytes: Uint8Array) => boolean = () => true, limitMs = WAIT_LIMIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => {
      host.intercept = null;
      reject(new Error(`${seen} of ${count} datagrams arrived within ${limitMs} ms`));
    }, limitMs);
    host.intercept = (_from, bytes) => {
      if (match(bytes) && ++seen === count) {
        host.intercept = null;
        clearTimeout(timer);
        // The datagram reaches the core right after this hook returns, before the awaiting
        // code runs (promise continuations wait for the socket's callback to finish).
        resolve();
      }
      return false;
    };
  });
}

/**
 * Resolves when `cond()` holds, checked after each event-loop turn (for counters that move in
 * callbacks without an event of their own, e.g. a failed send).
 * @throws Error (rejects) naming `what` when it did not within `limitMs`.
 */
export async function turnsUntil(cond: () => boolean, what: string, limitMs = WAIT_LIMIT_MS): Promise<void> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() >= end) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A plain UDP socket bound to `address` (raw datagrams to and from ENet hosts). */
export async function udp(address = '127.0.0.1'): Promise<Socket> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => s.bind(0, address, resolve));
  return s;
}
