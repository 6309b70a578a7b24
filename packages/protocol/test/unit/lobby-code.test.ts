// Lobby codes: Crockford base32 encoding of 40 random bits, and reading them back as typed.
import { expect } from 'chai';
import { Prng, seedFromEnv } from '@meshpunch/sim';
import { ProtocolError } from '../../src/errors.js';
import { encodeLobbyCode, isValidLobbyName, lobbyRefProblem, LOBBY_NAME_RULE, normalizeLobbyCode } from '../../src/lobby-code.js';

describe('lobby-code', () => {
  describe('#encodeLobbyCode', () => {
    it('encodes 40 bits as XXXX-XXXX, most significant symbol first', () => {
      expect(encodeLobbyCode(new Uint8Array([0, 0, 0, 0, 0]))).to.equal('0000-0000');
      expect(encodeLobbyCode(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]))).to.equal('ZZZZ-ZZZZ');
      expect(encodeLobbyCode(new Uint8Array([0x08, 0x86, 0x42, 0x98, 0xe8]))).to.equal('1234-5678');
    });

    it('throws ProtocolError ERR_INVALID_PARAMETER with fewer than 5 bytes', () => {
      const err = (() => {
        try {
          encodeLobbyCode(new Uint8Array(4));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).to.be.instanceOf(ProtocolError);
      expect(err).to.include({ code: 'ERR_INVALID_PARAMETER', message: 'a lobby code needs 5 random bytes, got 4' });
    });

    it('gives distinct codes for distinct inputs and round-trips through normalizeLobbyCode', () => {
      const prng = new Prng(seedFromEnv(11));
      const seen = new Set<string>();
      for (let i = 0; i < 5000; i++) {
        const code = encodeLobbyCode(prng.bytes(5));
        expect(normalizeLobbyCode(code)).to.equal(code);
        expect(normalizeLobbyCode(code.toLowerCase().replace('-', ' '))).to.equal(code);
        seen.add(code);
      }
      expect(seen.size).to.equal(5000);
    });
  });

  describe('#normalizeLobbyCode', () => {
    it('reads I and L as 1, O as 0, ignores case, hyphens and spaces', () => {
      expect(normalizeLobbyCode('il0o-abcd')).to.equal('1100-ABCD');
      expect(normalizeLobbyCode(' a b c d e f g h ')).to.equal('ABCD-EFGH');
    });

    it('returns undefined for text that cannot be a code', () => {
      for (const t of ['ABC', 'ABCDEFGHJ', 'ABCD-EFGU', 'ABCD_EFGH', 'x'.repeat(40), '']) expect(normalizeLobbyCode(t), t).to.equal(undefined);
    });
  });

  describe('#isValidLobbyName', () => {
    it('accepts lower-case a-z 0-9 . _ - up to 64, starting with a letter or digit', () => {
      for (const n of ['a', 'lan-party', 'room_1.test', 'x'.repeat(64)]) expect(isValidLobbyName(n), n).to.equal(true);
      for (const n of ['', 'A', '-x', '.x', 'a b', 'x'.repeat(65), 'ABCD-EFGH', 'é']) expect(isValidLobbyName(n), n).to.equal(false);
    });
  });

  describe('#lobbyRefProblem', () => {
    it('takes a name to create, a name or a code to join, and says the one rule otherwise', () => {
      expect([lobbyRefProblem('lan-party', true), lobbyRefProblem('lan-party', false), lobbyRefProblem('abcd-1234', false)]).to.deep.equal([undefined, undefined, undefined]);
      expect(lobbyRefProblem('ABCD-1234', true)).to.equal(`must be a lobby name (${LOBBY_NAME_RULE}), got 'ABCD-1234'`);
      expect(lobbyRefProblem('Party', false)).to.equal(`must be a lobby name (${LOBBY_NAME_RULE}) or a lobby code like ABCD-1234, got 'Party'`);
      expect(lobbyRefProblem(7, true)).to.equal(`must be a lobby name (${LOBBY_NAME_RULE}), got number`);
      expect(LOBBY_NAME_RULE).to.equal("1..64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
    });
  });
});
