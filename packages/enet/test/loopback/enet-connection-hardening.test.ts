// ENetConnection's hardening options on real loopback sockets (issue 13 items 2 and 3): a
// stranger's CONNECT sent first, and spoofed CONNECTs from many source ports of one address.
import { expect } from 'chai';
import type { Socket } from 'node:dgram';
import { ENetConnection, ENetError, EventType, HostCore, PeerState } from '../../src/index.js';
import { nextEvent as pump, udp } from './support.js';


/** A CONNECT datagram as an ENet client sends it (captured from a throwaway core). */
function connectDatagram(seed: number): Uint8Array {
  const c = new HostCore({ random: (o) => o.fill(seed & 0xff) });
  c.connect('127.0.0.1', 1, 2, 0);
  const out = new Uint8Array(4096);
  return out.slice(0, c.pollTransmit(0, out, { address: '', port: 0 }));
}


async function sendTo(s: Socket, bytes: Uint8Array, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => s.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

describe('ENetConnection hardening (loopback)', function () {
  this.timeout(15_000);

  describe('#acceptFrom', () => {
    it('a stranger\'s CONNECT sent first does not take the only slot; the accepted source connects', async () => {
      const server = new ENetConnection();
      await server.createHostBound('127.0.0.1', 0, 1, 2);
      const client = new ENetConnection();
      await client.createHostBound('127.0.0.1', 0, 1, 2);
      const stranger = await udp('127.0.0.1');
      try {
        server.acceptFrom([{ address: '127.0.0.1', port: client.getLocalPort() }]);
        await sendTo(stranger, connectDatagram(3), server.getLocalPort());
        await server.service(20);
        expect(server.statistics!.filteredConnects).to.equal(1);
        const cp = client.connectToHost('127.0.0.1', server.getLocalPort(), 2, 5);
        const ev = await pump([server, client], (e, h) => h === server && e.type === EventType.CONNECT);
        expect(ev.data).to.equal(5);
        if (cp.getState() !== PeerState.CONNECTED) await pump([client], (e) => e.type === EventType.CONNECT);
        expect(cp.getState()).to.equal(PeerState.CONNECTED);
      } finally {
        stranger.close();
        server.destroy();
        client.destroy();
      }
    });

    it('without the filter the same stranger squats the slot (the attack the filter stops)', async () => {
      const server = new ENetConnection();
      await server.createHostBound('127.0.0.1', 0, 1, 2);
      const stranger = await udp('127.0.0.1');
      try {
        await sendTo(stranger, connectDatagram(4), server.getLocalPort());
        await server.service(20);
        const core = (server as unknown as { coreOrNull: HostCore }).coreOrNull;
        expect(core.peers[0]!.state).to.not.equal(0);
      } finally {
        stranger.close();
        server.destroy();
      }
    });

    it('checks its arguments', () => {
      const c = new ENetConnection();
      expect(() => c.acceptFrom([{ address: 'example.com' }])).to.throw(ENetError, 'acceptFrom[0].address must be an IP address, got "example.com"');
      expect(() => c.acceptFrom([{ address: '127.0.0.1', port: 0 }])).to.throw(ENetError, 'acceptFrom[0].port must be an integer 1..65535, got 0');
      expect(() => new ENetConnection({ halfOpenTimeout: 0 })).to.throw(ENetError, 'halfOpenTimeout must be an integer 1..2147483647, got 0');
    });
  });

  describe('half-open limits', () => {
    it('64 CONNECTs from 64 source ports of one address hold at most maxHalfOpenPerAddress of 32 slots; a real client connects', async () => {
      const server = new ENetConnection();
      await server.createHostBound('127.0.0.1', 0, 32, 2);
      // The attacker on another loopback address, so the real client (127.0.0.1) is a different IP.
      const sockets: Socket[] = [];
      const client = new ENetConnection();
      try {
        for (let i = 0; i < 64; i++) {
          const s = await udp('127.0.0.2');
          sockets.push(s);
          await sendTo(s, connectDatagram(i + 1), server.getLocalPort());
        }
        for (let i = 0; i < 10 && server.statistics!.totalReceivedPackets < 64; i++) await server.service(10);
        const core = (server as unknown as { coreOrNull: HostCore }).coreOrNull;
        const held = core.peers.filter((p) => p.state !== 0).length;
        expect(held).to.equal(8);
        expect(server.statistics!.halfOpenRefusals).to.equal(56);
        await client.createHostBound('127.0.0.1', 0, 1, 2);
        client.connectToHost('127.0.0.1', server.getLocalPort(), 2, 9);
        const ev = await pump([server, client], (e, h) => h === server && e.type === EventType.CONNECT);
        expect(ev.data).to.equal(9);
      } finally {
        for (const s of sockets) s.close();
        server.destroy();
        client.destroy();
      }
    });
  });
});
