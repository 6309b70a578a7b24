// A joiner's lobby.joined leaves before the events its join sends the other members (issue 19):
// the answer is written at the end of the drain that made it, the events at the end of the
// event-loop turn. Before, all of them waited for the turn's end, in the order their sockets were
// first sent something, so an existing member's peer.joined went out ahead of the joiner's answer
// and the answer waited behind every other input of the turn.
import { Socket } from 'node:net';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { startTestServer } from '../support/server.js';

const WAIT_MS = 20_000;

interface Client { ws: WebSocket; next(type: string): Promise<Record<string, unknown>> }

/** A ws client that keeps every message, and waits (bounded) for the next of a type. */
function open(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const got: Array<Record<string, unknown>> = [];
    let wake: (() => void) | undefined;
    ws.on('message', (raw: Buffer) => {
      got.push(JSON.parse(raw.toString()) as Record<string, unknown>);
      wake?.();
    });
    ws.on('error', () => undefined);
    ws.once('error', reject);
    const next = async (type: string): Promise<Record<string, unknown>> => {
      const end = Date.now() + WAIT_MS;
      for (;;) {
        const i = got.findIndex((m) => m.type === type);
        if (i >= 0) return got.splice(i, 1)[0]!;
        if (Date.now() > end) throw new Error(`no ${type} within ${WAIT_MS} ms`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
    };
    ws.once('open', () => resolve({ ws, next }));
  });
}

describe('SignalingServer answer writes', () => {
  let server: SignalingServer;
  const write = Socket.prototype.write;

  afterEach(async () => {
    Socket.prototype.write = write;
    await server.close();
  });

  it('writes the joiner\'s lobby.joined (with its pair.start) before the peer.joined of the member already there', async function () {
    this.timeout(60_000);
    server = await startTestServer();
    const a = await open(server.url);
    a.ws.send('{"type":"hello","rid":1,"versions":[1]}');
    a.ws.send('{"type":"lobby.create","rid":2}');
    const created = await a.next('lobby.joined');
    const code = (created.lobby as { code: string }).code;
    const b = await open(server.url);
    b.ws.send('{"type":"hello","rid":1,"versions":[1]}');
    await b.next('welcome');
    // Every write the service makes from here on, in order. Server frames are unmasked, so their
    // JSON is readable in the bytes; the clients' own frames are masked and never match.
    const writes: string[] = [];
    Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
      if (Buffer.isBuffer(chunk)) {
        const s = chunk.toString('latin1');
        if (s.includes('"type":"lobby.joined"') || s.includes('"type":"peer.joined"')) writes.push(s);
      }
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof Socket.prototype.write;
    b.ws.send(`{"type":"lobby.join","rid":2,"lobby":"${code}"}`);
    await b.next('lobby.joined');
    await a.next('peer.joined');
    Socket.prototype.write = write;
    expect(writes).to.have.length(2);
    expect(writes[0]).to.include('"type":"lobby.joined"');
    // The answer's write carries what the same drain sent the joiner after it: its pair.start.
    expect(writes[0]).to.include('"type":"pair.start"');
    expect(writes[1]).to.include('"type":"peer.joined"');
    // The existing member's events stay batched: peer.joined and its pair.start in one write.
    expect(writes[1]).to.include('"type":"pair.start"');
    a.ws.terminate();
    b.ws.terminate();
  });
});
