// Loopback tests of ENetConnection.compress(mode) and setChecksum on a live loopback pair: the
// wiring of src/core/range-coder.ts and src/core/crc32.ts into the host (issue #3).
import { expect } from 'chai';
import { Prng } from '@meshpunch/sim';
import { CompressionMode, ENetConnection, ENetError, EventType, FLAG_RELIABLE, enetCrc32, type ENetEvent } from '../../src/index.js';
import { nextEvent, serviceUntil } from './support.js';

function until(hosts: ENetConnection[], pred: (e: ENetEvent) => boolean): Promise<ENetEvent> {
  return nextEvent(hosts, (e) => pred(e));
}

describe('ENetConnection compression and checksum', function () {
  this.timeout(10_000);
  let a: ENetConnection;
  let b: ENetConnection;

  beforeEach(async () => {
    a = new ENetConnection();
    b = new ENetConnection();
    await a.createHostBound('127.0.0.1', 0, 4, 2);
    await b.createHost(1, 2);
  });
  afterEach(() => {
    a.destroy();
    b.destroy();
  });

  describe('#compress', () => {
    for (const [name, mode] of [['FASTLZ', CompressionMode.FASTLZ], ['ZLIB', CompressionMode.ZLIB], ['ZSTD', CompressionMode.ZSTD]] as const) {
      it(`rejects ${name} with ERR_UNAVAILABLE and says what to use`, () => {
        let err: unknown;
        try {
          a.compress(mode);
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(ENetError);
        expect((err as ENetError).code).to.equal('ERR_UNAVAILABLE');
        expect((err as ENetError).message).to.equal(`compression mode ${name} (${mode}) is not implemented by meshpunch; use NONE or RANGE_CODER on both ends`);
      });
    }

    it('sends compressed datagrams with RANGE_CODER and none after NONE', async () => {
      a.compress(CompressionMode.RANGE_CODER);
      b.compress(CompressionMode.RANGE_CODER);
      let compressedSeen = 0;
      a.intercept = (_from, bytes) => {
        // HEADER_FLAG_COMPRESSED (§2.1) on a datagram big enough to carry the text: small control
        // datagrams (pings, BANDWIDTH_LIMIT) built before the switch may still be in flight.
        if ((bytes[0]! & 0x40) !== 0 && bytes.length > 100) compressedSeen++;
        return false;
      };
      const peer = b.connectToHost('127.0.0.1', a.getLocalPort(), 2, 0);
      await until([a, b], (e) => e.type === EventType.CONNECT);
      await until([a, b], (e) => e.type === EventType.CONNECT);
      const text = new TextEncoder().encode('all work and no play makes jack a dull boy '.repeat(20));
      peer.send(0, text, FLAG_RELIABLE);
      const got = await until([a, b], (e) => e.type === EventType.RECEIVE);
      expect(Buffer.from(got.packet!).equals(Buffer.from(text))).to.equal(true);
      expect(compressedSeen).to.be.greaterThan(0);
      b.compress(CompressionMode.NONE);
      const before = compressedSeen;
      peer.send(0, text, FLAG_RELIABLE);
      await until([a, b], (e) => e.type === EventType.RECEIVE);
      expect(compressedSeen).to.equal(before);
    });
  });

  describe('bad input', () => {
    it('drops and counts every one of 2 000 corrupted compressed datagrams from the peer itself; the session survives', async () => {
      for (const h of [a, b]) {
        h.compress(CompressionMode.RANGE_CODER);
        h.setChecksum(enetCrc32);
      }
      // The last real header b sent, so the garbage passes the peer-id, address and session checks.
      let header: Uint8Array | undefined;
      a.intercept = (_from, bytes) => {
        header = bytes.slice(0, 4);
        return false;
      };
      const peer = b.connectToHost('127.0.0.1', a.getLocalPort(), 2, 0);
      await until([a, b], (e) => e.type === EventType.CONNECT);
      await until([a, b], (e) => e.type === EventType.CONNECT);
      expect(header).to.not.equal(undefined);
      const prng = new Prng(77);
      const before = { ...a.statistics! };
      for (let i = 0; i < 2000; i++) {
        const body = prng.bytes(prng.int(1, 600));
        // Real header (+ sentTime), then either garbage or a zeroed checksum slot and garbage.
        const skip = i % 2 === 0 ? 4 : 8;
        const d = new Uint8Array(skip + body.length);
        d.set(header!);
        d[0] = d[0]! | 0x40; // COMPRESSED (§2.1)
        d.set(body, skip);
        b.socketSend('127.0.0.1', a.getLocalPort(), d);
        // Bursts of 50 (≤ 30 kB) so the kernel's receive buffer never overflows.
        if (i % 50 === 49) await a.service(2);
      }
      // A real packet sent after the garbage: loopback keeps one socket's datagrams in order, so
      // once it is delivered every garbage datagram that arrived has been judged.
      peer.send(0, new Uint8Array([7, 7, 7]), FLAG_RELIABLE);
      const marker = await until([a, b], (e) => e.type === EventType.RECEIVE);
      expect([...marker.packet!]).to.deep.equal([7, 7, 7]);
      const s = a.statistics!;
      // A 1-byte body behind a 2-byte header (b's last datagram had no sentTime) is shorter than
      // header + checksum slot and is dropped as malformed before any decompression.
      const dropped = s.droppedDecompress - before.droppedDecompress + s.droppedBadChecksum - before.droppedBadChecksum
        + s.droppedMalformed - before.droppedMalformed;
      const received = s.totalReceivedPackets - before.totalReceivedPackets;
      // Loopback UDP may still lose a few under machine load; what arrives is what is judged.
      expect(received, 'datagrams that reached the host').to.be.at.least(1000);
      // Everything but the few real datagrams of the session (pings, ACKs) was dropped and counted.
      expect(dropped, 'garbage counted as failed decompression, bad checksum or malformed').to.be.at.least(received - 20);
      expect(s.droppedDatagrams - before.droppedDatagrams).to.equal(dropped);
      peer.send(0, new Uint8Array([9, 9, 9]), FLAG_RELIABLE);
      const got = await until([a, b], (e) => e.type === EventType.RECEIVE);
      expect([...got.packet!]).to.deep.equal([9, 9, 9]);
    });
  });

  describe('#setChecksum', () => {
    it('connects and delivers with enetCrc32 on both ends, and drops everything if only one end has it', async () => {
      a.setChecksum(enetCrc32);
      b.setChecksum(enetCrc32);
      const peer = b.connectToHost('127.0.0.1', a.getLocalPort(), 2, 0);
      // Both ends must see CONNECT: a send on b's peer before VERIFY_CONNECT arrives is refused.
      await until([a, b], (e) => e.type === EventType.CONNECT);
      await until([a, b], (e) => e.type === EventType.CONNECT);
      peer.send(1, new Uint8Array([1, 2, 3]), FLAG_RELIABLE);
      const got = await until([a, b], (e) => e.type === EventType.RECEIVE);
      expect([...got.packet!]).to.deep.equal([1, 2, 3]);
      b.setChecksum(null);
      const dropped = a.statistics!.droppedBadChecksum;
      peer.send(1, new Uint8Array([4]), FLAG_RELIABLE);
      // Out now: b, which no longer expects checksums, misreads a's next datagrams (the CRC
      // bytes parse as commands, sometimes a DISCONNECT) and could drop the peer before its
      // own flush ran.
      b.flush();
      await serviceUntil([a, b], () => a.statistics!.droppedBadChecksum > dropped, 'a drops b\'s first datagram without a checksum');
      expect(a.statistics!.droppedBadChecksum).to.be.greaterThan(dropped);
    });
  });
});
