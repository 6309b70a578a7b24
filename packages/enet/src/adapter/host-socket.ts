// Adapter: the host's UDP socket (node:dgram) — binding with dual-stack fallback, the address
// forms it sends to and receives from, raw sends (socketSend) and closing. ENetConnection's only
// contact with node:dgram; the ENet datagrams themselves go through zero-copy-sender.ts.
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { ipFamily, unmappedIp } from '@meshpunch/base';
import { ENetError } from '../errors.js';

/** Source of an intercepted datagram. */
export interface DatagramSource {
  address: string;
  port: number;
}

/** What the socket reports to its host (attached once per host). */
export interface HostSocketListener {
  message(msg: Buffer, address: string, port: number): void;
  /** A socket 'error' (node:dgram reports failed receives this way). */
  error(err: Error): void;
  /** The socket closed although `close()` was not called. */
  closedUnderneath(): void;
}

/** 4 or 6 for an address already checked to be an IP literal. */
export function familyOf(address: string): 4 | 6 {
  return ipFamily(address) === 6 ? 6 : 4;
}

/**
 * An IP literal (canonical) or "localhost" in the family of a socket (IPv4 when `family` is 4
 * or the socket is dual-stack); null for a host name.
 */
export function literalAddress(address: string, family: 4 | 6, dualStack: boolean): string | null {
  if (address === 'localhost') return family === 6 && !dualStack ? '::1' : '127.0.0.1';
  return unmappedIp(address) ?? null;
}

/**
 * `address` itself when it is a literal, else its node:dns lookup in a socket's family.
 * @throws ENetError ERR_CANT_RESOLVE (rejects) when the name does not resolve.
 */
export async function resolveAddress(address: string, family: 4 | 6, dualStack: boolean): Promise<string> {
  if (literalAddress(address, family, dualStack) !== null) return address;
  try {
    return (await lookup(address, { family: dualStack ? 0 : family })).address;
  } catch (err) {
    throw new ENetError('ERR_CANT_RESOLVE', `cannot resolve host name ${JSON.stringify(address)}`, { address }, err);
  }
}

/** One bound UDP socket of a host. */
export class HostSocket {
  readonly #socket: Socket;
  /** "*" or the canonical bind address. */
  readonly bindAddress: string;
  /** The socket's family (6 for a dual-stack socket). */
  readonly family: 4 | 6;
  /** An IPv6 socket that also reaches IPv4 (as v4-mapped addresses). */
  readonly dualStack: boolean;
  #open = true;
  #lastRawSource = '';
  #lastSource = '';
  #lastWireIn = '';
  #lastWireOut = '';

  private constructor(socket: Socket, bindAddress: string, family: 4 | 6, dualStack: boolean) {
    this.#socket = socket;
    this.bindAddress = bindAddress;
    this.family = family;
    this.dualStack = dualStack;
  }

  /**
   * Binds `bindAddress` ("*" = all interfaces, dual-stack when the OS has IPv6, else IPv4; or a
   * canonical IP literal) and `port` (0 = random).
   * @throws ENetError ERR_CANT_CREATE when the socket cannot be bound (port taken, address not local).
   */
  static async open(bindAddress: string, port: number): Promise<HostSocket> {
    const fail = (err: unknown): ENetError => {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      return new ENetError('ERR_CANT_CREATE', `cannot bind UDP ${bindAddress}:${port} (${code})`, { address: bindAddress, port, errno: code }, err);
    };
    if (bindAddress === '*') {
      try {
        return new HostSocket(await bindUdp('udp6', '::', port), '*', 6, true);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw fail(err);
      }
      try {
        return new HostSocket(await bindUdp('udp4', '0.0.0.0', port), '*', 4, false);
      } catch (err) {
        throw fail(err);
      }
    }
    const family = familyOf(bindAddress);
    try {
      return new HostSocket(await bindUdp(family === 6 ? 'udp6' : 'udp4', bindAddress, port), bindAddress, family, family === 6 && bindAddress === '::');
    } catch (err) {
      throw fail(err);
    }
  }

  /** Attaches the host's listeners (once). */
  listen(listener: HostSocketListener): void {
    const socket = this.#socket;
    socket.on('message', (msg, rinfo) => listener.message(msg, rinfo.address, rinfo.port));
    socket.on('error', (err) => listener.error(err));
    socket.on('close', () => {
      // close() marks the socket closed before closing it; any other close is a failure.
      if (!this.#open) return;
      this.#open = false;
      listener.closedUnderneath();
    });
  }

  /** False once closed (by `close()` or underneath). */
  get isOpen(): boolean {
    return this.#open;
  }

  /** The bound UDP port (only while open). */
  get localPort(): number {
    return this.#socket.address().port;
  }

  /** Whether this socket can reach `address` (canonical). */
  reachable(address: string): boolean {
    return this.dualStack || familyOf(address) === this.family;
  }

  /** An IP literal (canonical) or "localhost" in this socket's family; null for a host name. */
  literal(address: string): string | null {
    return literalAddress(address, this.family, this.dualStack);
  }

  /** Source addresses as the core knows them (v4-mapped → IPv4), cached for the common case. */
  canonicalSource(address: string): string {
    if (address === this.#lastRawSource) return this.#lastSource;
    const c = address.startsWith('::ffff:') ? unmappedIp(address) ?? address : address;
    this.#lastRawSource = address;
    this.#lastSource = c;
    return c;
  }

  /** `address` as node:dgram must be given it: IPv4 as v4-mapped on a dual-stack socket. */
  wireAddress(address: string): string {
    if (!this.dualStack) return address;
    if (address === this.#lastWireIn) return this.#lastWireOut;
    const out = familyOf(address) === 4 ? `::ffff:${address}` : address;
    this.#lastWireIn = address;
    this.#lastWireOut = out;
    return out;
  }

  /**
   * Sends `bytes` as they are (no copy) to a canonical address; `sent` (when given) hears how the
   * send went. True when node:dgram queued the datagram instead of sending it at once: it then
   * still reads `bytes`, which the caller must not reuse.
   */
  sendInPlace(bytes: Uint8Array, port: number, address: string, sent?: (err: Error | null) => void): boolean {
    const socket = this.#socket;
    if (sent === undefined) socket.send(bytes, port, this.wireAddress(address));
    else socket.send(bytes, port, this.wireAddress(address), sent);
    return socket.getSendQueueCount() > 0;
  }

  /** Sends a copy of `bytes` to a canonical address; `failed` hears a failed send. */
  sendCopy(bytes: Uint8Array, port: number, address: string, failed: () => void): void {
    this.#socket.send(Buffer.from(bytes), port, this.wireAddress(address), (err) => {
      if (err) failed();
    });
  }

  /** Stops receiving and closes the socket; nothing is reported as a failure. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#socket.removeAllListeners('message');
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
  }
}

/** A socket of `type` bound to `host:port` (rejects with Node's error). */
function bindUdp(type: 'udp4' | 'udp6', host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Every address this socket sends to is already a literal IP, so the lookup is the
    // identity and answers synchronously (the default defers each send by a tick).
    const lookupLiteral = (hostname: string, _options: unknown, callback: (err: Error | null, address: string, family: number) => void): void => {
      callback(null, hostname, type === 'udp6' ? 6 : 4);
    };
    const s = createSocket({ type, ipv6Only: false, recvBufferSize: 262144, sendBufferSize: 262144, lookup: lookupLiteral as never });
    const onError = (err: Error): void => {
      s.close();
      reject(err);
    };
    s.once('error', onError);
    s.bind(port, host, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}
