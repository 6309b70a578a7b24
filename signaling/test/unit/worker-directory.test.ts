import { expect } from 'chai';
import { routeHint, WorkerDirectory } from '../../src/cluster/worker-directory.js';

describe('worker directory (--workers hand-off)', () => {
  it('reads ?lobby= and ?worker= from a request line, nothing from anything else', () => {
    expect(routeHint('GET /?lobby=game-1 HTTP/1.1')).to.deep.equal({ lobby: 'game-1' });
    expect(routeHint('GET /ws?x=1&lobby=ABCD-1234&worker=1 HTTP/1.1')).to.deep.equal({ lobby: 'ABCD-1234', worker: 1 });
    expect(routeHint('GET /metrics?worker=0 HTTP/1.1')).to.deep.equal({ worker: 0 });
    expect(routeHint('GET / HTTP/1.1')).to.deep.equal({});
    expect(routeHint('GET /?lobby= HTTP/1.1')).to.deep.equal({});
    expect(routeHint(`GET /?lobby=${'a'.repeat(65)} HTTP/1.1`)).to.deep.equal({});
    expect(routeHint('GET /?worker=-1&worker=x HTTP/1.1')).to.deep.equal({});
    expect(routeHint('garbage')).to.deep.equal({});
    expect(routeHint('')).to.deep.equal({});
    expect(routeHint('GET /?lobby=%ZZ HTTP/1.1')).to.deep.equal({ lobby: '%ZZ' });
    expect(routeHint('GET /?lobby=a%2Db&lobby=other HTTP/1.1')).to.deep.equal({ lobby: 'a-b' });
    expect(routeHint('GET /path?lobby=x')).to.deep.equal({ lobby: 'x' });
    // A '?' only in the protocol part is no query.
    expect(routeHint('GET / HTTP/1.1?lobby=x')).to.deep.equal({});
  });

  it('a reported home wins; an unreported lobby goes where its name hashes; no hint goes round the ready workers', () => {
    const d = new WorkerDirectory(2);
    expect(d.pick({})).to.equal(undefined);
    d.ready(0);
    d.ready(1);
    const byHash = d.pick({ lobby: 'game' })!;
    // The same name always lands on the same worker (its creator and its members meet there).
    for (let i = 0; i < 5; i++) expect(d.pick({ lobby: 'game' })).to.equal(byHash);
    d.homes(1 - byHash, ['game'], []);
    expect(d.pick({ lobby: 'game' })).to.equal(1 - byHash);
    // Codes are found whatever way they are typed.
    d.homes(0, ['ABCD-1234'], []);
    expect(d.pick({ lobby: 'abcd1234' })).to.equal(0);
    d.homes(0, [], ['ABCD-1234']);
    expect(d.size).to.equal(1);
    const turns = [d.pick({}), d.pick({}), d.pick({}), d.pick({})];
    expect(turns.sort()).to.deep.equal([0, 0, 1, 1]);
    expect(d.pick({ worker: 1 })).to.equal(1);
    expect(d.routed.home).to.equal(2);
  });

  it('a gone worker gets nothing and loses its homes; its lobbies go to a ready worker until it is back', () => {
    const d = new WorkerDirectory(2);
    d.ready(0);
    d.ready(1);
    d.homes(0, ['a', 'b'], []);
    d.gone(0);
    expect(d.size).to.equal(0);
    for (const lobby of ['a', 'b', 'c', 'd']) expect(d.pick({ lobby })).to.equal(1);
    expect(d.pick({ worker: 0 })).to.equal(1);
    expect(d.pick({})).to.equal(1);
    d.ready(0);
    // A report from the worker that is now home (the replacement, or the survivor that took over).
    d.homes(1, ['a'], []);
    expect(d.pick({ lobby: 'a' })).to.equal(1);
  });

  it('knows which worker runs which cluster node while it is ready; a restarted worker is a new node', () => {
    const d = new WorkerDirectory(2);
    d.ready(0);
    d.ready(1);
    d.node(0, 'n-a');
    d.node(1, 'n-b');
    expect([d.workerOf('n-a'), d.workerOf('n-b'), d.workerOf('n-other-machine')]).to.deep.equal([0, 1, undefined]);
    expect(d.nodeCount).to.equal(2);
    d.gone(1);
    expect(d.workerOf('n-b')).to.equal(undefined);
    expect(d.nodeCount).to.equal(1);
    d.ready(1);
    d.node(1, 'n-c');
    expect([d.workerOf('n-b'), d.workerOf('n-c')]).to.deep.equal([undefined, 1]);
    // A worker reporting another node id forgets its old one.
    d.node(0, 'n-d');
    expect([d.workerOf('n-a'), d.workerOf('n-d')]).to.deep.equal([undefined, 0]);
  });
});
