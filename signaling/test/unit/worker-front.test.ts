// --workers routing in a worker (issue 14): which connections a worker serves itself and which it
// sends on (worker-front.ts), and the order a passed socket travels in (connection-router.ts).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { WorkerFront } from '../../src/cluster/worker-front.js';
import { HANDOFF, HeldSockets, movedOf, sendSocket } from '../../src/cluster/connection-router.js';

const LIMITS = { headersTimeoutMs: 10_000, maxPendingHttp: 64, maxPendingHttpPerIp: 64 };

describe('worker front (--workers: each worker accepts)', function () {
  this.timeout(30_000);

  it('serves connections without a hint, for itself, or for a lobby it homes; sends on those another worker homes, with the bytes read', async () => {
    const got: Array<{ where: string; head: string }> = [];
    const sockets: Socket[] = [];
    let arrived: (() => void) | undefined;
    const record = (where: string, socket: Socket, head: Buffer): void => {
      sockets.push(socket);
      got.push({ where, head: head.toString('latin1') });
      arrived?.();
    };
    const front = new WorkerFront({
      index: 0, workers: 2, limits: LIMITS,
      adopt: (socket, head) => record('here', socket, head),
      forward: (socket, head, to) => record(`to ${to}`, socket, head),
    });
    front.directory.homes(0, ['mine'], []);
    front.directory.homes(1, ['theirs'], []);
    const port = await front.listen(0, '127.0.0.1');
    const clients: Socket[] = [];
    try {
      const lines = ['GET / HTTP/1.1', 'GET /?worker=1 HTTP/1.1', 'GET /?worker=0 HTTP/1.1', 'GET /?lobby=mine HTTP/1.1', 'GET /?lobby=theirs HTTP/1.1'];
      for (const line of lines) {
        const seen = new Promise<void>((r) => {
          arrived = r;
        });
        const c = connect(port, '127.0.0.1');
        clients.push(c);
        c.on('error', () => undefined);
        // The line in two pieces: the front waits for its end.
        c.once('connect', () => {
          c.write(line.slice(0, 8));
          setTimeout(() => c.write(`${line.slice(8)}\r\nHost: x\r\n\r\n`), 50);
        });
        await seen;
      }
      expect(got.map((g) => g.where)).to.deep.equal(['here', 'to 1', 'here', 'here', 'to 1']);
      for (const [i, g] of got.entries()) expect(g.head.startsWith(lines[i]!), g.head).to.equal(true);
      expect(front.routed).to.deep.equal({ here: 3, forwarded: 2 });
      // A lobby no worker reports goes where its name hashes; either way it is decided.
      front.directory.gone(1);
      expect(front.directory.pick({ lobby: 'theirs' })).to.not.equal(1);
    } finally {
      for (const c of clients) c.destroy();
      for (const s of sockets) s.destroy();
      front.close();
    }
  });

  it('a passed socket is followed by its release, and the receiver gets it only then', () => {
    const sent: Array<{ msg: { mp: string; id: number; head?: string }; handle: unknown }> = [];
    const socket = Object.assign(new EventEmitter(), { destroyed: false, destroy() {
      this.destroyed = true;
    } }) as unknown as Socket;
    sendSocket((msg, handle) => sent.push({ msg: msg as { mp: string; id: number }, handle }), HANDOFF.forward, 7, Buffer.from('GET / HTTP/1.1\r\n', 'latin1'), socket);
    // Order matters: node holds the second message until the receiver acknowledged the socket.
    expect(sent.map((s) => [s.msg.mp, s.msg.id, s.handle === socket])).to.deep.equal([[HANDOFF.forward, 7, true], [HANDOFF.released, 7, false]]);
    expect(sent[0]!.msg.head).to.equal('GET / HTTP/1.1\r\n');

    const held = new HeldSockets(2);
    held.hold(7, socket, Buffer.from('x'));
    expect(held.release(8)).to.equal(undefined);
    expect(held.release(7)?.socket).to.equal(socket);
    expect(held.release(7)).to.equal(undefined);
    // Bounded: the oldest held socket is dropped (destroyed) past the cap.
    const mk = (): Socket => Object.assign(new EventEmitter(), { destroyed: false, destroy() {
      this.destroyed = true;
    } }) as unknown as Socket;
    const [a, b, c] = [mk(), mk(), mk()];
    held.hold(1, a, Buffer.alloc(0));
    held.hold(2, b, Buffer.alloc(0));
    held.hold(3, c, Buffer.alloc(0));
    expect(a.destroyed).to.equal(true);
    expect(held.release(1)).to.equal(undefined);
    // A socket reset while held is destroyed (no unhandled 'error') and not handed on.
    b.emit('error', new Error('ECONNRESET'));
    expect(b.destroyed).to.equal(true);
    expect(held.release(2)).to.equal(undefined);
    expect(held.release(3)?.socket).to.equal(c);
  });

  it('reads a moved connection\'s worker and state from an IPC message, nothing from a malformed one', () => {
    const state = { ip: '127.0.0.1', hello: '{"type":"hello"}', frames: ['{"type":"lobby.join"}', '{"type":"lobby.get"}'] };
    expect(movedOf({ to: 1, move: state })).to.deep.equal({ to: 1, state });
    expect(movedOf({ to: 1, move: { ...state, frames: ['a', 2, 'b'] } })?.state.frames).to.deep.equal(['a', 'b']);
    expect(movedOf({ to: 1 })).to.equal(undefined);
    expect(movedOf({ move: state })).to.equal(undefined);
    expect(movedOf({ to: 1, move: { ...state, ip: 7 } })).to.equal(undefined);
    expect(movedOf({ to: 1, move: { ...state, frames: 'x' } })).to.equal(undefined);
    expect(movedOf({ to: 1, move: null })).to.equal(undefined);
  });
});
