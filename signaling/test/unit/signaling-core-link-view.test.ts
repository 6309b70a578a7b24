// The `link-view` capability decides whether lobby views list the lobby's links (protocol 1.8,
// issue 19): a lobby of n has n(n-1)/2 of them, most of a big lobby's `lobby.joined`.
import { expect } from 'chai';
import type { LobbyView, ServerMessage } from '@meshpunch/protocol';
import { CoreHarness } from '../support/core-harness.js';

/** A connection past hello, offering `caps`. */
function client(h: CoreHarness, caps: string[]): number {
  const c = h.open();
  expect(h.request(c, { type: 'hello', versions: [1], caps }).type).to.equal('welcome');
  h.take(c);
  return c;
}

function lobbyOf(msg: ServerMessage): LobbyView {
  if (msg.type !== 'lobby.joined' && msg.type !== 'resume.ok' && msg.type !== 'lobby.state') expect.fail(JSON.stringify(msg));
  return msg.lobby;
}

describe('SignalingCore link-view (1.8)', () => {
  for (const [caps, listed] of [[['link-view'], true], [[], false], [['resume', 'restore'], false]] as const) {
    it(`${listed ? 'lists' : 'leaves out'} the links for a client offering [${caps.join(', ')}]: lobby.joined, lobby.state, resume.ok`, () => {
      const h = new CoreHarness();
      const a = client(h, ['link-view']);
      const { lobby } = h.create(a);
      const b = client(h, ['link-view']);
      h.join(b, lobby.code);
      // Two members: one pair (1, b) before the third joins.
      const c = client(h, [...caps]);
      const joined = h.request(c, { type: 'lobby.join', lobby: lobby.code });
      const links = (v: LobbyView): number => v.links.length;
      expect(links(lobbyOf(joined))).to.equal(listed ? 1 : 0);
      // The other views: the three pairs of three members, or none.
      expect(links(lobbyOf(h.request(c, { type: 'lobby.get' })))).to.equal(listed ? 3 : 0);
      if (joined.type !== 'lobby.joined') return;
      h.drop(c);
      const c2 = client(h, [...caps]);
      expect(links(lobbyOf(h.request(c2, { type: 'resume', token: joined.token })))).to.equal(listed ? 3 : 0);
      // Members that offered it still see every pair, whatever the others offered.
      expect(links(lobbyOf(h.request(a, { type: 'lobby.get' })))).to.equal(3);
    });
  }

  it('keeps the rest of the lobby view: members, owner, code', () => {
    const h = new CoreHarness();
    const a = client(h, []);
    const { lobby } = h.create(a);
    const b = client(h, []);
    const v = lobbyOf(h.request(b, { type: 'lobby.join', lobby: lobby.code }));
    expect(v).to.deep.include({ code: lobby.code, owner: 1, links: [] });
    expect(v.members.map((m) => m.id)).to.include(1).and.have.length(2);
  });
});
