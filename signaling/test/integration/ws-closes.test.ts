// Closes the WebSocket layer (ws) makes on its own reach meshpunch_signal_closes_total
// (issue #13 item 9: 1009 and 1007 closes were never counted).
import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { SignalingServer } from '../../src/adapter/signaling-server.js';
import { startTestServer } from '../support/server.js';

function open(url: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('error', () => undefined);
    const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

function closesLine(server: SignalingServer, code: number): string | undefined {
  return server.metricsText().split('\n').find((l) => l.startsWith('meshpunch_signal_closes_total{') && l.includes(`code="${code}"`));
}

describe('SignalingServer closes made by ws', () => {
  let server: SignalingServer;

  beforeEach(async () => {
    server = await startTestServer({ maxMessageBytes: 1024 });
  });

  afterEach(async () => {
    await server.close();
  });

  describe('#metricsText', () => {
    it('counts a 1007 close for a text frame that is not UTF-8, under a fixed label', async () => {
      const { ws, closed } = await open(server.url);
      ws.send('{"type":"hello","rid":1,"versions":[1]}');
      ws.send(Buffer.from([0x22, 0xff, 0xfe, 0x22]), { binary: false });
      expect(await closed).to.equal(1007);
      for (let i = 0; i < 100 && server.core.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(closesLine(server, 1007)).to.equal('meshpunch_signal_closes_total{code="1007",name="InvalidPayload"} 1');
      expect(server.core.connectionCount).to.equal(0);
    });

    it('counts a 1009 close for a frame over maxMessageBytes, before hello', async () => {
      const { ws, closed } = await open(server.url);
      ws.send('x'.repeat(2048));
      expect(await closed).to.equal(1009);
      for (let i = 0; i < 100 && server.core.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(closesLine(server, 1009)).to.equal('meshpunch_signal_closes_total{code="1009",name="MessageTooBig"} 1');
    });

    it('counts a 1002 close for a malformed frame (reserved opcode)', async () => {
      const { ws, closed } = await open(server.url);
      // The client's own socket, under ws: a masked frame with reserved opcode 0x3.
      const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
      raw.write(Buffer.from([0x83, 0x80, 1, 2, 3, 4]));
      expect(await closed).to.be.oneOf([1002, 1006]);
      for (let i = 0; i < 100 && server.core.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(closesLine(server, 1002)).to.equal('meshpunch_signal_closes_total{code="1002",name="BadFrame"} 1');
    });
  });
});
