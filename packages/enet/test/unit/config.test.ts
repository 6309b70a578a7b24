import { expect } from 'chai';
import { CoreUsageError, resolveHostCoreOptions } from '../../src/index.js';

const random = (o: Uint8Array): void => {
  o.fill(1);
};

describe('config', () => {
  describe('#resolveHostCoreOptions', () => {
    it('fills libenet 1.3.17 defaults', () => {
      const c = resolveHostCoreOptions({ random });
      expect([c.peerCount, c.channelLimit, c.mtu, c.maximumPacketSize, c.maximumWaitingData, c.duplicatePeers]).to.deep.equal([32, 255, 1400, 33554432, 33554432, 4095]);
      expect(c.checksum).to.equal(null);
      expect(c.compressor).to.equal(null);
      expect(Object.isFrozen(c)).to.equal(true);
    });
    it('fills the meshpunch hardening defaults (docs/security.md): 8 half-open per IP, 5000 ms, 128 MiB host-wide, eviction on', () => {
      const c = resolveHostCoreOptions({ random });
      expect([c.maxHalfOpenPerAddress, c.halfOpenTimeout, c.maximumHostWaitingData, c.evictHalfOpen]).to.deep.equal([8, 5000, 134217728, true]);
      expect(() => resolveHostCoreOptions({ random, evictHalfOpen: 1 as never })).to.throw(CoreUsageError, 'evictHalfOpen must be a boolean, got 1');
      expect(() => resolveHostCoreOptions({ random, maxHalfOpenPerAddress: 0 })).to.throw(CoreUsageError, 'maxHalfOpenPerAddress must be an integer 1..4095, got 0');
      expect(() => resolveHostCoreOptions({ random, halfOpenTimeout: 0 })).to.throw(CoreUsageError, 'halfOpenTimeout must be an integer 1..2147483647, got 0');
    });
    it('maps channelLimit 0 to 255 as libenet does', () => {
      expect(resolveHostCoreOptions({ random, channelLimit: 0 }).channelLimit).to.equal(255);
      expect(resolveHostCoreOptions({ random, channelLimit: 300 }).channelLimit).to.equal(255);
      expect(resolveHostCoreOptions({ random, channelLimit: 3 }).channelLimit).to.equal(3);
    });
    it('rejects out-of-range values with one sentence naming rule and value', () => {
      expect(() => resolveHostCoreOptions({ random, peerCount: 4096 })).to.throw(CoreUsageError, 'peerCount must be an integer 1..4095, got 4096');
      expect(() => resolveHostCoreOptions({ random, mtu: 100 })).to.throw(CoreUsageError, 'mtu must be an integer 576..4096, got 100');
      expect(() => resolveHostCoreOptions({} as never)).to.throw(CoreUsageError, 'random must be a function filling a Uint8Array, got undefined');
    });
  });
});
