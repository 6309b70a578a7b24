// uniqueMemberName: duplicate display names in one lobby get a documented suffix (issue #13 item 9).
import { expect } from 'chai';
import { Lobby, Member } from '../../src/core/lobby.js';
import { uniqueMemberName } from '../../src/core/member-name.js';
import { Connection } from '../../src/core/connection.js';

function lobbyWith(names: Array<string | undefined>): Lobby {
  const lobby = new Lobby('l', 'mesh', 64, undefined, undefined);
  names.forEach((n, i) => lobby.members.set(i + 1, new Member(i + 1, lobby, n, new Connection(i + 1, '10.0.0.1', 0, 10), `t${i}`)));
  return lobby;
}

describe('uniqueMemberName', () => {
  describe('#uniqueMemberName', () => {
    it('keeps a name no member has, and undefined', () => {
      expect(uniqueMemberName(lobbyWith(['bob', undefined]), 'alice')).to.equal('alice');
      expect(uniqueMemberName(lobbyWith(['bob']), undefined)).to.equal(undefined);
    });

    it('adds ~2, ~3 … when the name is taken, compared case-insensitively', () => {
      expect(uniqueMemberName(lobbyWith(['alice']), 'alice')).to.equal('alice~2');
      expect(uniqueMemberName(lobbyWith(['Alice']), 'aLICE')).to.equal('aLICE~2');
      expect(uniqueMemberName(lobbyWith(['alice', 'alice~2', 'ALICE~3']), 'alice')).to.equal('alice~4');
    });

    it('cuts a 32-unit name so the suffixed name stays within 32 units, never inside a surrogate pair', () => {
      const long = 'a'.repeat(32);
      expect(uniqueMemberName(lobbyWith([long]), long)).to.equal(`${'a'.repeat(30)}~2`);
      // 29 a's then 😀 (2 units) then 'b' = 32 units; cutting at 30 would split the emoji.
      const emoji = `${'a'.repeat(29)}\u{1F600}b`;
      const got = uniqueMemberName(lobbyWith([emoji]), emoji)!;
      expect(got).to.equal(`${'a'.repeat(29)}~2`);
      expect(got.length).to.be.at.most(32);
    });
  });
});
