import { expect } from 'chai';
import { DirectLookTrigger, lateCandidatesAction } from '../../src/core/direct-look.js';

describe('direct look trigger: when a relayed link looks for a direct path again', () => {
  it('a pair not predicted hard looks every time; one predicted hard only after a change', () => {
    const t = new DirectLookTrigger();
    expect(t.take(false, false)).to.equal(true);
    expect(t.take(false, true)).to.equal(false);
    expect(t.take(true, true), 'our mapping changed').to.equal(true);
    expect(t.take(false, true)).to.equal(false);
  });

  it('the peer\'s new candidates make the next look happen once, also on a pair predicted hard', () => {
    const t = new DirectLookTrigger();
    t.peerCandidates();
    expect(t.peerCandidatesChanged).to.equal(true);
    expect(t.take(false, true)).to.equal(true);
    expect(t.peerCandidatesChanged, 'taken by the look that probes them').to.equal(false);
    expect(t.take(false, true)).to.equal(false);
  });

  it('candidates that come while a look is under way count for the next look (natlab: the look ended before it probed them, and the link stayed relayed)', () => {
    const t = new DirectLookTrigger();
    t.peerCandidates();
    expect(t.take(false, true), 'a look begins').to.equal(true);
    // The peer's mapping changed meanwhile: its new candidate joins the running look late.
    t.peerCandidates();
    // That look ends with no direct path; the next reprobe must look again.
    expect(t.take(false, true)).to.equal(true);
    expect(t.take(false, true)).to.equal(false);
  });
});

describe('late peer candidates (trickle): where they go', () => {
  it('join the look under way', () => {
    expect(lateCandidatesAction({ lookUnderWay: true, directPath: false, firstLookEnded: false })).to.equal('join-look');
    expect(lateCandidatesAction({ lookUnderWay: true, directPath: false, firstLookEnded: true })).to.equal('join-look');
  });

  it("start a look at once when the first look failed before any path (a UPnP mapping that came after the peer's punch gave up), or the link is relayed", () => {
    // Before the fix only a handed-over link looked again; one falling back on the relay kept
    // the candidate for the next re-probe, 60 s later, and stayed relayed.
    expect(lateCandidatesAction({ lookUnderWay: false, directPath: false, firstLookEnded: true })).to.equal('look-now');
  });

  it('go nowhere yet before the first look (it takes every candidate known) or beside a direct path in use', () => {
    expect(lateCandidatesAction({ lookUnderWay: false, directPath: false, firstLookEnded: false })).to.equal('none');
    expect(lateCandidatesAction({ lookUnderWay: false, directPath: true, firstLookEnded: true })).to.equal('none');
  });
});
