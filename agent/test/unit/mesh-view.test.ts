import { expect } from 'chai';
import { MeshView } from '../../src/core/mesh-view.js';

const up = (port: number) => ({ ok: true as const, path: 'direct' as const, rttMs: 1.26, local: { address: '10.0.0.1', port }, remote: { address: '10.0.0.2', port: port + 1 } });

describe('MeshView', () => {
  it('counts itself as a member and is full with nobody else', () => {
    const v = new MeshView(1, 'l');
    expect(v.memberCount).to.equal(1);
    expect(v.isFull).to.equal(true);
    expect(v.report()).to.deep.equal({ id: 1, lobby: 'l', secure: true, peers: [], failures: [] });
  });

  it('reports connected links as peers and the rest as failures, sorted by id', () => {
    const v = new MeshView(1, 'l');
    for (const id of [9, 5, 7]) v.addMember(id);
    v.setLink(5, 'connected', up(4000));
    v.setLink(7, 'failed', { ok: false, reason: 'punch-timeout', detail: 'no probe answered' });
    v.setLink(9, 'punching', undefined);
    expect(v.isFull).to.equal(false);
    expect(v.isSettled).to.equal(false);
    expect(v.report()).to.deep.equal({
      id: 1,
      lobby: 'l',
      secure: true,
      peers: [{ id: 5, path: 'direct', rttMs: 1.3, local: '10.0.0.1:4000', remote: '10.0.0.2:4001' }],
      failures: [
        { id: 7, reason: 'punch-timeout', detail: 'no probe answered' },
        { id: 9, reason: 'pending', detail: 'link still punching' },
      ],
    });
    v.setLink(9, 'connected', up(5000));
    expect(v.isSettled).to.equal(true);
    expect(v.connectedCount).to.equal(2);
  });

  it('forgets a member and its link when it leaves, and ignores links to strangers', () => {
    const v = new MeshView(3, 'l');
    v.addMember(4);
    v.setLink(4, 'connected', up(1));
    v.setLink(8, 'connected', up(2));
    v.removeMember(4);
    v.removeMember(3);
    expect(v.memberCount).to.equal(1);
    expect(v.link(4)).to.equal(undefined);
    expect(v.link(8)).to.equal(undefined);
  });
});
