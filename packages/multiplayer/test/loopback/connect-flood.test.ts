// An ENetMultiplayerPeer server under a CONNECT flood (issue 13 item 3), over real loopback UDP:
// 64 CONNECTs per second, each from a new source port of 127.0.0.2, never completed. Before
// the per-IP half-open cap and the half-open timeout, the 32 slots were full after half a
// second and stayed full; a real client on 127.0.0.1 could not join.
import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { HostCore, type ENetConnection } from '@meshpunch/enet';
import { ENetMultiplayerPeer } from '../../src/index.js';
import { pump, recordEvents } from './pump.js';

/** A CONNECT datagram as an ENet client sends it (captured from a throwaway core). */
function connectDatagram(fill: number): Uint8Array {
  const c = new HostCore({ random: (out) => out.fill(fill & 0xff) });
  c.connect('127.0.0.1', 1, 4, 12345);
  const out = new Uint8Array(4096);
  return out.slice(0, c.pollTransmit(0, out, { address: '', port: 0 }));
}

describe('ENetMultiplayerPeer under a CONNECT flood (loopback)', function () {
  this.timeout(20_000);

  it('a server flooded with 64 CONNECTs/s from one address still admits a real client', async () => {
    const server = new ENetMultiplayerPeer();
    server.setBindIp('127.0.0.1');
    await server.createServer(0, 32, 1);
    const port = (server.host as ENetConnection).getLocalPort();
    const serverLog = recordEvents(server);
    const client = new ENetMultiplayerPeer();
    const sockets: Socket[] = [];
    let sent = 0;
    /** One CONNECT from a fresh source port every ~15.6 ms (64/s). */
    const flood = setInterval(() => {
      const s = createSocket('udp4');
      sockets.push(s);
      s.bind(0, '127.0.0.2', () => s.send(connectDatagram(sent++), port, '127.0.0.1'));
    }, 1000 / 64);
    try {
      // One second of flood first: 64 CONNECTs, twice the server's slot count.
      await pump([server], () => sent >= 64, '64 CONNECTs sent', 10_000);
      await client.createClient('127.0.0.1', port, 1);
      await pump([server, client], () => serverLog.length === 1 && client.getConnectionStatus() === 2, 'the real client admitted during the flood', 10_000);
      expect(serverLog[0]).to.match(/^\+\d+$/);
      const core = (server.host as unknown as { coreOrNull: HostCore }).coreOrNull;
      expect(core.stats.halfOpenRefusals, 'CONNECTs refused by the per-IP half-open cap').to.be.greaterThan(0);
      let halfOpen = 0;
      for (const p of core.peers) if (p.state === 2) halfOpen++;
      expect(halfOpen).to.be.at.most(core.config.maxHalfOpenPerAddress);
    } finally {
      clearInterval(flood);
      for (const s of sockets) s.close();
      client.close();
      server.close();
    }
  });
});
