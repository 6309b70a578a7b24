// Places held by members in their grace period (issue #13 item 8): dropped connections keep a
// member's place for graceMs only while the lobby has room; a newcomer to a full lobby takes
// the place of the member away longest.
import { expect } from 'chai';
import { CoreHarness } from '../support/core-harness.js';

describe('SignalingCore grace places', () => {
  describe('#handleMessage lobby.join', () => {
    it('lets 63 newcomers into a 64-member lobby that 61 dropped connections filled', () => {
      const h = new CoreHarness({ maxPeersCap: 64 });
      const owner = h.client();
      const { lobby } = h.create(owner, { maxPeers: 64 });
      const dropped: number[] = [];
      for (let i = 0; i < 61; i++) {
        const c = h.client();
        dropped.push(h.join(c, lobby.code).you);
        h.drop(c);
        h.advance(1);
      }
      expect(h.core.memberCount).to.equal(62);
      let joined = 0;
      for (let i = 0; i < 63; i++) {
        const msg = h.request(h.client(), { type: 'lobby.join', lobby: lobby.code });
        if (msg.type === 'lobby.joined') joined++;
      }
      const members = h.core.snapshot().lobbies[0]!.members;
      console.log(`      figure: ${joined}/63 newcomers joined; lobby holds ${members.length} members, ${members.filter((m) => m.away).length} away`);
      expect(joined).to.equal(63);
      expect(members).to.have.length(64);
      expect(members.filter((m) => m.away)).to.deep.equal([]);
      // Each away member left with reason timeout, the one away longest first.
      const left = h.takeType(owner, 'peer.left');
      expect(left.map((e) => e.id)).to.deep.equal(dropped);
      expect(new Set(left.map((e) => e.reason))).to.deep.equal(new Set(['timeout']));
      expect(h.core.metrics.graceEvictions).to.equal(61);
      // Full of present members: the next one is refused.
      h.expectError(h.client(), { type: 'lobby.join', lobby: lobby.code }, 'SIG_LOBBY_FULL');
    });

    it('keeps the place of an away member while the lobby has room, so it can still resume', () => {
      const h = new CoreHarness();
      const { lobby } = h.create(h.client(), { maxPeers: 3 });
      const b = h.client();
      const { token } = h.join(b, lobby.code);
      h.drop(b);
      h.join(h.client(), lobby.code);
      const back = h.client();
      expect(h.request(back, { type: 'resume', token }).type).to.equal('resume.ok');
    });
  });
});
