// Test helper: an RFC 5780 STUN server on loopback (127.0.0.1 and 127.0.0.2 × two ephemeral
// ports) built on answerBindingRequest and node:dgram. Traffic stays on 127.0.0.0/8.
import { createSocket, type Socket } from 'node:dgram';
import { answerBindingRequest } from '../../../src/index.js';

export class LoopbackStunServer {
  sockets: Socket[] = [];
  requests = 0;
  silent = false;

  /** Binds 127.0.0.1:P, 127.0.0.1:Q, 127.0.0.2:P, 127.0.0.2:Q (or one socket when `plain`). */
  static async start(plain = false): Promise<LoopbackStunServer> {
    const s = new LoopbackStunServer();
    const first = await s.#bind('127.0.0.1', 0);
    if (!plain) {
      const p = first.address().port;
      const second = await s.#bind('127.0.0.1', 0);
      const q = second.address().port;
      await s.#bind('127.0.0.2', p);
      await s.#bind('127.0.0.2', q);
    }
    return s;
  }

  get primary(): { address: string; port: number } {
    const a = this.sockets[0]!.address();
    return { address: a.address, port: a.port };
  }

  #find(address: string, port: number): Socket {
    return this.sockets.find((s) => s.address().address === address && s.address().port === port)!;
  }

  async #bind(address: string, port: number): Promise<Socket> {
    const sock = createSocket('udp4');
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(port, address, () => res());
    });
    this.sockets.push(sock);
    const out = new Uint8Array(512);
    sock.on('message', (msg, rinfo) => {
      this.requests++;
      if (this.silent) return;
      const local = { address: sock.address().address, port: sock.address().port };
      const two = this.sockets.length === 4;
      const p = this.sockets[0]!.address().port;
      const q = two ? this.sockets[1]!.address().port : p;
      const other = two ? { address: local.address === '127.0.0.1' ? '127.0.0.2' : '127.0.0.1', port: local.port === p ? q : p } : undefined;
      const a = answerBindingRequest(msg, rinfo, out, { responseOrigin: local, otherAddress: other });
      if (a.kind === 'drop') return;
      // Success: from the socket CHANGE-REQUEST selected, to RESPONSE-PORT (RFC 5780 §6.1, §7.5).
      const from = a.kind === 'success' && a.origin !== undefined ? this.#find(a.origin.address, a.origin.port) : sock;
      from.send(out.subarray(0, a.length), a.toPort, rinfo.address);
    });
    return sock;
  }

  close(): void {
    for (const s of this.sockets) s.close();
    this.sockets = [];
  }
}

export async function boundSocket(address = '127.0.0.1'): Promise<Socket> {
  const sock = createSocket('udp4');
  await new Promise<void>((res, rej) => {
    sock.once('error', rej);
    sock.bind(0, address, () => res());
  });
  return sock;
}
