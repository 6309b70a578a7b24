import { expect } from 'chai';
import { ConnectionStatus, MultiplayerError, TARGET_PEER_BROADCAST, TARGET_PEER_SERVER, TransferMode, ENetMultiplayerPeer, MultiplayerPeer } from '../../src/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MultiplayerError);
    return (err as MultiplayerError).code;
  }
  return undefined;
}

describe('MultiplayerPeer', () => {
  describe('enums and constants', () => {
    it("have Godot's values", () => {
      expect(ConnectionStatus).to.deep.equal({ CONNECTION_DISCONNECTED: 0, CONNECTION_CONNECTING: 1, CONNECTION_CONNECTED: 2 });
      expect(TransferMode).to.deep.equal({ TRANSFER_MODE_UNRELIABLE: 0, TRANSFER_MODE_UNRELIABLE_ORDERED: 1, TRANSFER_MODE_RELIABLE: 2 });
      expect([TARGET_PEER_BROADCAST, TARGET_PEER_SERVER]).to.deep.equal([0, 1]);
      expect(MultiplayerPeer.TransferMode.TRANSFER_MODE_RELIABLE).to.equal(2);
      expect(MultiplayerPeer.TARGET_PEER_SERVER).to.equal(1);
    });
  });
  describe('#transferMode', () => {
    it('defaults to RELIABLE and accepts every mode', () => {
      const p = new ENetMultiplayerPeer();
      expect(p.transferMode).to.equal(TransferMode.TRANSFER_MODE_RELIABLE);
      p.transferMode = TransferMode.TRANSFER_MODE_UNRELIABLE;
      expect(p.getTransferMode()).to.equal(0);
      p.setTransferMode(TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED);
      expect(p.transferMode).to.equal(1);
    });
    it('rejects values outside the enum with ERR_INVALID_PARAMETER', () => {
      const p = new ENetMultiplayerPeer();
      expect(codeOf(() => (p.transferMode = 3 as TransferMode))).to.equal('ERR_INVALID_PARAMETER');
      expect(p.transferMode).to.equal(2);
    });
  });
  describe('#transferChannel', () => {
    it('defaults to 0 and accepts 0..254', () => {
      const p = new ENetMultiplayerPeer();
      expect(p.transferChannel).to.equal(0);
      p.transferChannel = 254;
      expect(p.getTransferChannel()).to.equal(254);
      p.setTransferChannel(3);
      expect(p.transferChannel).to.equal(3);
    });
    it('rejects 255, −1 and fractions with ERR_INVALID_PARAMETER and the exact message', () => {
      const p = new ENetMultiplayerPeer();
      for (const bad of [255, -1, 1.5]) expect(codeOf(() => (p.transferChannel = bad))).to.equal('ERR_INVALID_PARAMETER');
      expect(() => (p.transferChannel = 300)).to.throw('transferChannel must be an integer 0..254, got 300');
    });
  });
  describe('#setTargetPeer', () => {
    it('accepts any int32 other than −2^31 and rejects the rest', () => {
      const p = new ENetMultiplayerPeer();
      expect(codeOf(() => p.setTargetPeer(-0x7fffffff))).to.equal(undefined);
      expect(codeOf(() => p.setTargetPeer(0x80000000))).to.equal('ERR_INVALID_PARAMETER');
      expect(codeOf(() => p.setTargetPeer(0.5))).to.equal('ERR_INVALID_PARAMETER');
    });
  });
  describe('#refuseNewConnections', () => {
    it('defaults to false and has the Godot method forms', () => {
      const p = new ENetMultiplayerPeer();
      expect(p.refuseNewConnections).to.equal(false);
      p.setRefuseNewConnections(true);
      expect(p.isRefusingNewConnections()).to.equal(true);
      p.refuseNewConnections = false;
      expect(p.refuseNewConnections).to.equal(false);
    });
  });
  describe('#generateUniqueId', () => {
    it('returns integers in 2..2^31−1 that differ between calls', () => {
      const p = new ENetMultiplayerPeer();
      const ids = new Set<number>();
      for (let i = 0; i < 2000; i++) {
        const id = p.generateUniqueId();
        expect(Number.isInteger(id) && id >= 2 && id <= 0x7fffffff, String(id)).to.equal(true);
        ids.add(id);
      }
      // 2000 draws from ~2^31 values: a collision has probability ~0.1%; two would mean a broken RNG.
      expect(ids.size).to.be.greaterThan(1998);
    });
  });
  describe('#getPacket', () => {
    it('throws ERR_UNAVAILABLE on an empty queue', () => {
      const p = new ENetMultiplayerPeer();
      expect(p.getAvailablePacketCount()).to.equal(0);
      expect(codeOf(() => p.getPacket())).to.equal('ERR_UNAVAILABLE');
    });
    it('getPacketPeer/Channel/Mode throw ERR_UNCONFIGURED while inactive', () => {
      const p = new ENetMultiplayerPeer();
      expect(codeOf(() => p.getPacketPeer())).to.equal('ERR_UNCONFIGURED');
      expect(codeOf(() => p.getPacketChannel())).to.equal('ERR_UNCONFIGURED');
      expect(codeOf(() => p.getPacketMode())).to.equal('ERR_UNCONFIGURED');
    });
  });
  describe('options', () => {
    it('rejects a bad queue cap and poll interval', () => {
      expect(codeOf(() => new ENetMultiplayerPeer({ maxQueuedPackets: 0 }))).to.equal('ERR_INVALID_PARAMETER');
      expect(codeOf(() => new ENetMultiplayerPeer({ autoPollIntervalMs: 0 }))).to.equal('ERR_INVALID_PARAMETER');
    });
    it('getMaxPacketSize is 2^24 as in Godot', () => {
      expect(new ENetMultiplayerPeer().getMaxPacketSize()).to.equal(1 << 24);
    });
  });
});
