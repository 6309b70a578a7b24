// The 101 answer leaves at the end of the turn, in one write with the welcome (issue 19): frames
// a client sends together with its upgrade request must still be answered after the 101, never
// before it — a pong for a ping in the same packet included.
import { connect } from 'node:net';
import { expect } from 'chai';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { startTestServer } from '../support/server.js';

/** One masked client frame (RFC 6455 §5.3), payload under 126 bytes. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, body]);
}

const UPGRADE = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
  + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

describe('SignalingServer handshake', () => {
  let server: SignalingServer;

  afterEach(async () => {
    await server.close();
  });

  it('answers frames sent in the same packet as the upgrade request after its 101: pong, then welcome', async function () {
    this.timeout(30_000);
    server = await startTestServer();
    const s = connect({ port: server.port, host: '127.0.0.1' });
    s.on('error', () => undefined);
    let got = Buffer.alloc(0);
    const head = '\r\n\r\n';
    // Until the head, a pong and a welcome frame are in (or the socket closes, or 20 s pass).
    const whole = (): boolean => {
      const end = got.indexOf(head);
      return end >= 0 && got.includes('"welcome"', end);
    };
    const done = new Promise<void>((resolve) => {
      const bound = setTimeout(resolve, 20_000);
      const finish = (): void => {
        clearTimeout(bound);
        resolve();
      };
      s.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (whole()) finish();
      });
      s.once('close', finish);
    });
    s.once('connect', () => {
      s.write(Buffer.concat([
        Buffer.from(UPGRADE, 'latin1'),
        clientFrame(0x9, Buffer.from('abc')),
        clientFrame(0x1, Buffer.from('{"type":"hello","rid":1,"versions":[1]}')),
      ]));
    });
    await done;
    s.destroy();
    const end = got.indexOf(head);
    expect(got.subarray(0, 13).toString('latin1')).to.equal('HTTP/1.1 101 ');
    expect(end).to.be.greaterThan(0);
    // RFC 6455 §1.3's example key.
    expect(got.subarray(0, end).toString('latin1')).to.include('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const frames = got.subarray(end + head.length);
    expect([...frames.subarray(0, 5)]).to.deep.equal([0x8a, 3, 0x61, 0x62, 0x63]);
    expect(frames[5]).to.equal(0x81);
    expect(frames.subarray(5).toString('utf8')).to.include('"type":"welcome"');
  });
});
