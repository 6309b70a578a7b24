// §14 test vectors of docs/specs/enet-protocol.md (captured from libenet 1.3.17): decoded and
// re-encoded byte for byte, and reproduced by the host core itself.
import { expect } from 'chai';
import { decodeDatagram, encodeDatagram, enetCrc32, HostCore, PacketFlag, RangeCoder, Command } from '../../src/index.js';
import type { CoreEndpoint } from '../../src/index.js';

export function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-f]/gi, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A vector's header bytes followed by `n` payload bytes (the capture lists headers only). */
function withPayload(head: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(head.length + n);
  out.set(head);
  for (let i = 0; i < n; i++) out[head.length + i] = i & 0xff;
  return out;
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

const V = {
  connect: hex(`8f ff 03 e8  82 ff 00 01  00 00 ff ff  00 00 05 78  00 01 00 00  00 00 00 02
   00 00 00 00  00 00 00 00  00 00 13 88  00 00 00 02  00 00 00 02  d8 35 5f 91  12 34 56 78`),
  verify: hex(`80 00 03 e9  83 ff 00 01  00 00 00 00  00 00 05 78  00 01 00 00  00 00 00 02
   00 00 00 00  00 00 00 00  00 00 13 88  00 00 00 02  00 00 00 02  d8 35 5f 91`),
  ackPing: hex('80 00 03 e9  01 ff 00 01 00 01 03 e9  85 ff 00 02'),
  ackOfPing: hex('00 00  01 ff 00 02 00 02 03 e9'),
  data: hex('80 00 04 08  86 00 00 01 00 05 68 65 6c 6c 6f  07 01 00 00 00 01 00 02 75 31  49 01 00 00 00 01 00 01 78'),
  dataReply: hex('00 00 01 00 00 01 00 01 04 08'),
  fragmentHead: hex('80 00 04 1e  88 00 00 02  00 02 05 5c  00 00 00 03  00 00 00 00  00 00 0b b8  00 00 00 00'),
  unreliableFragmentHead: hex('00 00  0c 01 00 00  00 02 05 5c  00 00 00 03  00 00 00 00  00 00 0b b8  00 00 00 00'),
  ping: hex('80 00 05 df 85 ff 00 02'),
  bandwidthLimit: hex('80 00 07 d0 8a ff 00 03 00 00 00 00 00 00 00 00'),
  disconnect: hex('80 00 09 6e 84 ff 00 05 00 00 00 2a'),
  disconnectAck: hex('00 00 01 ff 00 05 00 05 09 6e'),
  threeAcks: hex('00 00  01 00 00 02 00 02 04 1e  01 00 00 03 00 03 04 1e  01 00 00 04 00 04 04 1e'),
};

const CLIENT: CoreEndpoint = { address: '127.0.0.1', port: 40000 };
const SERVER: CoreEndpoint = { address: '127.0.0.1', port: 7777 };

function fixedRandom(bytes: number[]): (out: Uint8Array) => void {
  return (out) => out.set(bytes.slice(0, out.length));
}

function poll(core: HostCore, now: number): Uint8Array {
  const out = new Uint8Array(4096);
  const to = { address: '', port: 0 };
  const n = core.pollTransmit(now, out, to);
  return out.slice(0, n);
}

describe('ENet §14 test vectors', () => {
  describe('decodeDatagram / encodeDatagram', () => {
    for (const [name, bytes] of Object.entries(V)) {
      it(`round-trips the ${name} datagram byte for byte`, () => {
        const full = name.endsWith('FragmentHead') || name === 'fragmentHead' ? withPayload(bytes, 1372) : bytes;
        const r = decodeDatagram(full);
        expect(r.status).to.equal('ok');
        expect(toHex(encodeDatagram(r.datagram!))).to.equal(toHex(full));
      });
    }

    it('decodes the CONNECT fields', () => {
      const dg = decodeDatagram(V.connect).datagram!;
      expect(dg.peerID).to.equal(0xfff);
      expect(dg.sentTime).to.equal(1000);
      const c = dg.commands[0]!;
      expect(c.command).to.equal(0x82);
      expect(c.channelID).to.equal(0xff);
      expect(c.reliableSequenceNumber).to.equal(1);
      expect([c.incomingSessionID, c.outgoingSessionID, c.mtu, c.windowSize, c.channelCount]).to.deep.equal([0xff, 0xff, 1400, 65536, 2]);
      expect([c.packetThrottleInterval, c.packetThrottleAcceleration, c.packetThrottleDeceleration]).to.deep.equal([5000, 2, 2]);
      expect(toHex(c.connectID!)).to.equal('d8355f91');
      expect(c.data).to.equal(0x12345678);
    });

    it('reports truncation instead of throwing', () => {
      for (let cut = 0; cut < V.data.length; cut++) {
        const r = decodeDatagram(V.data.subarray(0, cut));
        expect(['short-header', 'truncated-command', 'truncated-payload', 'ok']).to.include(r.status);
      }
      expect(decodeDatagram(V.data.subarray(0, 12)).status).to.equal('truncated-payload');
      expect(decodeDatagram(V.data.subarray(0, 6)).status).to.equal('truncated-command');
      expect(decodeDatagram(hex('80 00 04 08 0f 00 00 00')).status).to.equal('bad-command');
    });
  });

  describe('HostCore on the wire', () => {
    it('reproduces the handshake, data and ACK datagrams of libenet', () => {
      const client = new HostCore({ peerCount: 1, random: fixedRandom([0xd8, 0x35, 0x5f, 0x91]) });
      const server = new HostCore({ peerCount: 8, channelLimit: 2, random: fixedRandom([0, 0, 0, 0]) });
      const cp = client.connect(SERVER.address, SERVER.port, 2, 0x12345678)!;
      const connect = poll(client, 1000);
      expect(toHex(connect)).to.equal(toHex(V.connect));
      server.handleDatagram(1001, CLIENT, connect);
      const verify = poll(server, 1001);
      expect(toHex(verify)).to.equal(toHex(V.verify));
      client.handleDatagram(1001, SERVER, verify);
      expect(client.pollEvent()!.type).to.equal('connect');
      const ackPing = poll(client, 1001);
      expect(toHex(ackPing)).to.equal(toHex(V.ackPing));
      server.handleDatagram(1001, CLIENT, ackPing);
      const sev = server.pollEvent()!;
      expect([sev.type, sev.data]).to.deep.equal(['connect', 0x12345678]);
      expect(toHex(poll(server, 1001))).to.equal(toHex(V.ackOfPing));
      client.handleDatagram(1002, SERVER, V.ackOfPing);
      expect(client.send(cp, 0, new TextEncoder().encode('hello'), PacketFlag.Reliable)).to.equal(true);
      expect(client.send(cp, 1, new TextEncoder().encode('u1'), 0)).to.equal(true);
      expect(client.send(cp, 1, new TextEncoder().encode('x'), PacketFlag.Unsequenced)).to.equal(true);
      const data = poll(client, 0x408);
      expect(toHex(data)).to.equal(toHex(V.data));
      server.handleDatagram(0x408, CLIENT, data);
      expect(toHex(poll(server, 0x408))).to.equal(toHex(V.dataReply));
      const got = [server.pollEvent()!, server.pollEvent()!, server.pollEvent()!];
      expect(got.map((e) => [e.channelID, new TextDecoder().decode(e.packet!), e.flags])).to.deep.equal([
        [0, 'hello', PacketFlag.Reliable], [1, 'u1', 0], [1, 'x', PacketFlag.Unsequenced]]);
    });

    it('advances session ids on every reconnect from the same slot (§14 item 10)', () => {
      const client = new HostCore({ peerCount: 1, random: fixedRandom([0x80, 0xf5, 0x8b, 0x31]) });
      const server = new HostCore({ peerCount: 8, channelLimit: 2, random: fixedRandom([0, 0, 0, 0]) });
      const sessions: string[] = [];
      let now = 1000;
      for (let round = 0; round < 3; round++) {
        const cp = client.connect(SERVER.address, SERVER.port, 2, 0)!;
        const connect = poll(client, now);
        server.handleDatagram(now, CLIENT, connect);
        const verify = poll(server, now);
        const c = decodeDatagram(connect).datagram!.commands[0]!;
        const v = decodeDatagram(verify).datagram!.commands[0]!;
        sessions.push(`${c.incomingSessionID!.toString(16)}/${c.outgoingSessionID!.toString(16)} -> ${v.incomingSessionID}/${v.outgoingSessionID}`);
        client.handleDatagram(now, SERVER, verify);
        const ack = poll(client, now);
        expect(decodeDatagram(ack).datagram!.sessionID).to.equal(round);
        server.handleDatagram(now, CLIENT, ack);
        poll(server, now);
        while (client.pollEvent() !== undefined);
        while (server.pollEvent() !== undefined);
        // Both sides drop the connection silently so the slots are reused.
        client.resetPeer(cp);
        server.resetPeer(server.peers[0]!);
        now += 100;
      }
      expect(sessions).to.deep.equal(['ff/ff -> 0/0', '0/0 -> 1/1', '1/1 -> 2/2']);
    });

    it('fragments a 3000-byte reliable message like libenet (1400-byte datagrams, 1372-byte fragments)', () => {
      const { client, cp } = connected();
      const msg = new Uint8Array(3000).map((_, i) => i & 0xff);
      // Channel 0 has sent one reliable packet in the vector run; do the same here.
      client.send(cp, 0, Uint8Array.of(1), PacketFlag.Reliable);
      poll(client, 1040);
      client.send(cp, 0, msg, PacketFlag.Reliable);
      const first = poll(client, 0x41e);
      expect(first.length).to.equal(1400);
      expect(toHex(first.subarray(0, 28))).to.equal(toHex(V.fragmentHead));
      const dg = decodeDatagram(first).datagram!;
      expect(dg.commands[0]!.payload!.length).to.equal(1372);
    });

    it('reproduces the checksummed CONNECT, VERIFY_CONNECT and ACK+PING of §14', () => {
      const client = new HostCore({ peerCount: 1, random: fixedRandom([0x82, 0x39, 0x61, 0x61]), checksum: enetCrc32 });
      const server = new HostCore({ peerCount: 8, channelLimit: 2, random: fixedRandom([0, 0, 0, 0]), checksum: enetCrc32 });
      client.connect(SERVER.address, SERVER.port, 2, 0x12345678);
      const connect = poll(client, 1000);
      expect(toHex(connect.subarray(0, 12))).to.equal('8fff03e845ffe1a582ff0001');
      server.handleDatagram(1001, CLIENT, connect);
      const verify = poll(server, 1001);
      expect(toHex(verify.subarray(0, 12))).to.equal('800003e9037a722383ff0001');
      client.handleDatagram(1001, SERVER, verify);
      expect(client.pollEvent()!.type).to.equal('connect');
      expect(toHex(poll(client, 1001))).to.equal(toHex(hex('80 00 03 e9  9c 91 09 af  01 ff 00 01 00 01 03 e9 85 ff 00 02')));
    });

    it('reproduces the range-coded CONNECT of §14 and decodes it on the other side', () => {
      const client = new HostCore({ peerCount: 1, random: fixedRandom([0x19, 0x7a, 0x61, 0xd1]), compressor: new RangeCoder() });
      const server = new HostCore({ peerCount: 8, channelLimit: 2, random: fixedRandom([0, 0, 0, 0]), compressor: new RangeCoder() });
      client.connect(SERVER.address, SERVER.port, 2, 0x12345678);
      const connect = poll(client, 1000);
      expect(toHex(connect)).to.equal(toHex(hex('cf ff 03 e8 83 7b 88 b1 fd f1 df 57 6b 99 9b 36 fc bb 24 3e 8a 64 26 56 d3 39 e8 c3 10 9c 68 6f e8 3b ab 2a')));
      server.handleDatagram(1001, CLIENT, connect);
      const verify = poll(server, 1001);
      expect(verify.length).to.be.greaterThan(0);
      client.handleDatagram(1001, SERVER, verify);
      expect(client.pollEvent()!.type).to.equal('connect');
    });
  });
});

/** A client/server pair connected at t≈1000 as in §14, for later vectors. */
function connected(): { client: HostCore; server: HostCore; cp: NonNullable<ReturnType<HostCore['connect']>> } {
  const client = new HostCore({ peerCount: 1, random: fixedRandom([1, 2, 3, 4]) });
  const server = new HostCore({ peerCount: 8, channelLimit: 2, random: fixedRandom([0, 0, 0, 0]) });
  const cp = client.connect(SERVER.address, SERVER.port, 2, 0)!;
  server.handleDatagram(1000, CLIENT, poll(client, 1000));
  client.handleDatagram(1001, SERVER, poll(server, 1001));
  server.handleDatagram(1001, CLIENT, poll(client, 1001));
  client.handleDatagram(1002, SERVER, poll(server, 1001));
  client.pollEvent();
  server.pollEvent();
  expect(Command.SendFragment).to.equal(8);
  return { client, server, cp };
}
