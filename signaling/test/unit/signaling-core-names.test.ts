// Duplicate display names in one lobby are made unique (issue #13 item 9; rule in docs/protocol.md).
import { expect } from 'chai';
import { CoreHarness } from '../support/core-harness.js';

describe('SignalingCore display names', () => {
  describe('#handleMessage lobby.join', () => {
    it('gives a second "alice" the name alice~2, as everyone sees it, and keeps names unique across away members', () => {
      const h = new CoreHarness();
      const a = h.client('alice');
      const { lobby } = h.create(a, { name: 'names' });
      const b = h.client('alice');
      const jb = h.join(b, lobby.code);
      expect(jb.lobby.members.map((m) => m.name)).to.have.members(['alice', 'alice~2']);
      const joined = h.takeType(a, 'peer.joined');
      expect(joined.map((e) => e.peer.name)).to.deep.equal(['alice~2']);
      // b drops and stays as an away member: a third alice must not take alice~2.
      h.drop(b);
      const c = h.client('ALICE');
      expect(h.join(c, lobby.code).lobby.members.map((m) => m.name)).to.have.members(['alice', 'alice~2', 'ALICE~3']);
    });

    it('leaves different names and nameless members alone', () => {
      const h = new CoreHarness();
      const a = h.client();
      const { lobby } = h.create(a);
      const b = h.client();
      const c = h.client('bob');
      h.join(b, lobby.code);
      const names = h.join(c, lobby.code).lobby.members.map((m) => m.name);
      expect(names.filter((n) => n !== undefined)).to.deep.equal(['bob']);
      expect(names).to.have.length(3);
    });
  });
});
