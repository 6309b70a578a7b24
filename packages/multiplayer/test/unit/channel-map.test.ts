import { expect } from 'chai';
import { enetChannelFor, enetFlagsFor, isTransferMode, transferChannelFromEnet, transferModeFromFlags } from '../../src/core/channel-map.js';
import { TransferMode } from '../../src/core/constants.js';

const { TRANSFER_MODE_UNRELIABLE: U, TRANSFER_MODE_UNRELIABLE_ORDERED: UO, TRANSFER_MODE_RELIABLE: R } = TransferMode;

describe('channel-map', () => {
  describe('#enetChannelFor', () => {
    it('uses channel 0 for reliable and 1 for both unreliable modes on transfer channel 0', () => {
      expect([enetChannelFor(R, 0), enetChannelFor(UO, 0), enetChannelFor(U, 0)]).to.deep.equal([0, 1, 1]);
    });
    it('uses ENet channel k+1 for transfer channel k in every mode', () => {
      for (const m of [U, UO, R]) expect([1, 2, 4, 254].map((k) => enetChannelFor(m, k))).to.deep.equal([2, 3, 5, 255]);
    });
  });
  describe('#enetFlagsFor', () => {
    it('maps RELIABLE to 1, UNRELIABLE_ORDERED to 8 and UNRELIABLE to 10 (godot-enet.md §2.7)', () => {
      expect([enetFlagsFor(R), enetFlagsFor(UO), enetFlagsFor(U)]).to.deep.equal([1, 8, 10]);
    });
  });
  describe('#transferChannelFromEnet', () => {
    it('maps ENet channels 0 and 1 to 0 and c ≥ 2 to c − 1', () => {
      expect([0, 1, 2, 3, 5, 255].map(transferChannelFromEnet)).to.deep.equal([0, 0, 1, 2, 4, 254]);
    });
    it('round-trips every transfer channel', () => {
      for (let k = 0; k <= 254; k++) expect(transferChannelFromEnet(enetChannelFor(R, k))).to.equal(k);
    });
  });
  describe('#transferModeFromFlags', () => {
    it('reports RELIABLE for the reliable bit, UNRELIABLE for unsequenced, else UNRELIABLE_ORDERED', () => {
      expect(transferModeFromFlags(1)).to.equal(R);
      expect(transferModeFromFlags(1 | 8)).to.equal(R);
      expect(transferModeFromFlags(2)).to.equal(U);
      expect(transferModeFromFlags(0)).to.equal(UO);
    });
    it('reports a fragmented UNRELIABLE packet (received flags 8) as UNRELIABLE_ORDERED, as Godot does', () => {
      expect(transferModeFromFlags(8)).to.equal(UO);
    });
  });
  describe('#isTransferMode', () => {
    it('accepts 0, 1, 2 only', () => {
      expect([0, 1, 2, 3, -1, 1.5, '1', undefined].map(isTransferMode)).to.deep.equal([true, true, true, false, false, false, false, false]);
    });
  });
});
