import { expect } from 'chai';
import { DirectLookTrigger } from '../../src/core/direct-look.js';

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
