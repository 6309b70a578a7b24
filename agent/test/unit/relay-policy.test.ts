import { expect } from 'chai';
import { DIRECT_CONSENT_WITH_RELAY_MS, enetTimeoutWithRelayMs, fallbackDeadlineMs } from '../../src/core/relay-policy.js';

describe('relay policy: how long a link waits for its fallback', () => {
  it('drops a dead peer peerTimeoutMs after it last answered, as without a relay (consent + fallback)', () => {
    const peerTimeoutMs = 4000;
    const total = DIRECT_CONSENT_WITH_RELAY_MS + fallbackDeadlineMs(peerTimeoutMs, DIRECT_CONSENT_WITH_RELAY_MS);
    expect(total).to.equal(peerTimeoutMs);
    // ENet's own limit is the later backstop, never the first to fire.
    expect(total).to.be.below(enetTimeoutWithRelayMs(peerTimeoutMs));
  });

  it('leaves the fallback at least 1 s when the consent timeout eats most of peerTimeoutMs', () => {
    expect(fallbackDeadlineMs(1000, 1000)).to.equal(1000);
    expect(fallbackDeadlineMs(3000, 2500)).to.equal(1000);
    expect(fallbackDeadlineMs(10_000, 2500)).to.equal(7500);
  });
});
