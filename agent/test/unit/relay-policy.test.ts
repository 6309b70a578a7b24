import { expect } from 'chai';
import { DIRECT_CONSENT_WITH_RELAY_MS, enetTimeoutWithRelayMs, fallbackDeadlineMs, relayPermissionIps } from '../../src/core/relay-policy.js';

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

describe('relay policy: which peer addresses the relay is asked to permit', () => {
  const c = (address: string): { address: string } => ({ address });

  it('on a public relay: public addresses only — a peer that announced only its private host address asks none (the relay refuses it: 403)', () => {
    expect(relayPermissionIps([c('10.0.1.5')], '198.51.100.2', new Set())).to.deep.equal([]);
    expect(relayPermissionIps([c('192.168.1.20'), c('203.0.113.9'), c('127.0.0.1'), c('100.64.1.1')], '198.51.100.2', new Set())).to.deep.equal(['203.0.113.9']);
  });

  it("the peer's later srflx / upnp candidate is asked when it comes; one asked already is not asked again", () => {
    const asked = new Set<string>();
    const remote = [c('10.0.1.5')];
    expect(relayPermissionIps(remote, '198.51.100.2', asked)).to.deep.equal([]);
    remote.push(c('203.0.113.9'), c('203.0.113.9'));
    const first = relayPermissionIps(remote, '198.51.100.2', asked);
    expect(first).to.deep.equal(['203.0.113.9']);
    for (const ip of first) asked.add(ip);
    remote.push(c('203.0.113.44'));
    expect(relayPermissionIps(remote, '198.51.100.2', asked)).to.deep.equal(['203.0.113.44']);
  });

  it('a relay on a LAN or on this machine also reaches addresses of its own class', () => {
    expect(relayPermissionIps([c('10.0.1.5'), c('127.0.0.1')], '10.0.0.1', new Set())).to.deep.equal(['10.0.1.5']);
    expect(relayPermissionIps([c('10.0.1.5'), c('127.0.0.1')], '127.0.0.1', new Set())).to.deep.equal(['127.0.0.1']);
  });
});
