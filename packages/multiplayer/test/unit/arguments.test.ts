import { expect } from 'chai';
import { checkBandwidth, checkIntRange } from '../../src/core/arguments.js';
import { MultiplayerError } from '../../src/errors.js';

describe('arguments', () => {
  describe('#checkIntRange', () => {
    it('returns integers inside the range', () => {
      expect(checkIntRange('port', 0, 0, 65535)).to.equal(0);
      expect(checkIntRange('port', 65535, 0, 65535)).to.equal(65535);
    });
    it('throws the given code with an exact message outside the range or for non-integers', () => {
      expect(() => checkIntRange('port', 65536, 0, 65535)).to.throw(MultiplayerError, 'port must be an integer 0..65535, got 65536');
      try {
        checkIntRange('port', 0, 1, 65535, 'ERR_CANT_CREATE');
        expect.fail('did not throw');
      } catch (err) {
        expect((err as MultiplayerError).code).to.equal('ERR_CANT_CREATE');
        expect((err as MultiplayerError).details).to.deep.equal({ got: 0, min: 1, max: 65535 });
      }
      for (const bad of [1.5, NaN, '3', undefined]) expect(() => checkIntRange('x', bad, 0, 9)).to.throw(MultiplayerError);
    });
  });
  describe('#checkBandwidth', () => {
    it('accepts 0..2^32−1 bytes/s', () => {
      expect(checkBandwidth('inBandwidth', 0xffffffff)).to.equal(0xffffffff);
      expect(() => checkBandwidth('inBandwidth', -1)).to.throw('inBandwidth must be an integer 0..4294967295, got -1');
      expect(() => checkBandwidth('inBandwidth', 2 ** 32)).to.throw(MultiplayerError);
    });
  });
});
