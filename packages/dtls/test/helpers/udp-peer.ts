// Test helper: a DtlsSession or DtlsServer driven on a loopback node:dgram socket, with an event log
// that tests can wait on (bounded by a deadline, never a timing assertion).
import { createSocket, type Socket } from 'node:dgram';
import { DtlsServer, DtlsSession, DtlsUdpDriver, monotonicNow, type DtlsEvent, type DtlsServerEvent, type DtlsServerOptions } from '../../src/index.js';
import type { DtlsOptions } from '../../src/core/options.js';

const WAIT_MS = 10_000;

export class EventLog<E extends { type: string }> {
  readonly events: E[] = [];
  readonly #waiters: Array<() => void> = [];

  push(e: E): void {
    this.events.push(e);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves with the first event matching `pred`; rejects after a deadline with the log. */
  waitFor<T extends E>(pred: (e: E) => e is T, what: string): Promise<T>;
  waitFor(pred: (e: E) => boolean, what: string): Promise<E>;
  waitFor(pred: (e: E) => boolean, what: string): Promise<E> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms; events: ${this.events.map((e) => e.type).join(', ')}`)), WAIT_MS);
      const check = (): void => {
        const e = this.events.find(pred);
        if (e !== undefined) {
          clearTimeout(timer);
          resolve(e);
        } else this.#waiters.push(check);
      };
      check();
    });
  }
}

async function bound(port = 0): Promise<Socket> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', () => resolve());
  });
  return sock;
}

export interface ClientPeer {
  session: DtlsSession;
  driver: DtlsUdpDriver<DtlsEvent>;
  log: EventLog<DtlsEvent>;
  send(text: string): void;
  close(): void;
  stop(): void;
}

/** Connects a client session on a fresh loopback socket to 127.0.0.1:`port`. */
export async function startClient(port: number, options: DtlsOptions): Promise<ClientPeer> {
  const sock = await bound();
  const session = new DtlsSession({ ...options, role: 'client' }, { address: '127.0.0.1', port });
  const log = new EventLog<DtlsEvent>();
  const driver = new DtlsUdpDriver<DtlsEvent>(session, sock, (e) => log.push(e));
  session.connect(monotonicNow());
  driver.pump();
  return {
    session, driver, log,
    send: (text) => { session.send(monotonicNow(), new TextEncoder().encode(text)); driver.pump(); },
    close: () => { session.close(monotonicNow()); driver.pump(); },
    stop: () => { driver.stop(); sock.close(); },
  };
}

export interface ServerPeer {
  server: DtlsServer;
  port: number;
  log: EventLog<DtlsServerEvent>;
  stop(): void;
}

/** A DtlsServer on a loopback socket that echoes every data record back prefixed with "echo:". */
export async function startEchoServer(options: DtlsServerOptions): Promise<ServerPeer> {
  const sock = await bound();
  const server = new DtlsServer(options);
  const log = new EventLog<DtlsServerEvent>();
  const driver: DtlsUdpDriver<DtlsServerEvent> = new DtlsUdpDriver<DtlsServerEvent>(server, sock, (e) => {
    log.push(e);
    if (e.type === 'data') {
      server.send(monotonicNow(), e.remote, new TextEncoder().encode(`echo:${new TextDecoder().decode(e.data)}`));
      queueMicrotask(() => driver.pump());
    }
  });
  return { server, port: sock.address().port, log, stop: () => { driver.stop(); sock.close(); } };
}

export function text(e: DtlsEvent | DtlsServerEvent): string {
  return e.type === 'data' ? new TextDecoder().decode(e.data) : '';
}
