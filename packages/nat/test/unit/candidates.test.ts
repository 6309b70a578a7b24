import { expect } from 'chai';
import { addressScope, candidatePriority, canHolePunch, hostCandidates, pathKindOf, sortCandidates, validateCandidate } from '../../src/index.js';

describe('candidates', () => {
  describe('#candidatePriority', () => {
    it('follows RFC 8445 §5.1.2.1 (host 126, prflx 110, upnp 105, srflx 100; component 1)', () => {
      expect(candidatePriority('host')).to.equal(126 * 2 ** 24 + 65535 * 256 + 255);
      expect(candidatePriority('srflx', 0)).to.equal(100 * 2 ** 24 + 255);
      const order = (['srflx', 'host', 'upnp', 'prflx'] as const).map((t) => [t, candidatePriority(t)] as const).sort((a, b) => b[1] - a[1]).map(([t]) => t);
      expect(order).to.deep.equal(['host', 'prflx', 'upnp', 'srflx']);
      expect(candidatePriority('host')).to.be.below(2 ** 31);
    });
    it('gives relay type preference 0 (RFC 8445 §5.1.2.2), below every other type', () => {
      expect(candidatePriority('relay')).to.equal(65535 * 256 + 255);
      expect(candidatePriority('relay')).to.be.below(candidatePriority('srflx', 0));
      expect(validateCandidate({ kind: 'relay', address: '203.0.113.10', port: 49152 })).to.deep.equal({
        ok: true, candidate: { kind: 'relay', family: 4, address: '203.0.113.10', port: 49152, priority: candidatePriority('relay') },
      });
    });
  });

  describe('#addressScope', () => {
    const rows: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'], ['::1', 'loopback'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'],
      ['172.32.0.1', 'public'], ['192.168.1.1', 'private'], ['100.64.0.1', 'private'], ['169.254.1.1', 'link-local'],
      ['fe80::1', 'link-local'], ['fd00::1', 'private'], ['2001:db8::1', 'public'], ['203.0.113.5', 'public'],
      ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['::ffff:10.0.0.1', 'private'], ['nope', 'invalid'],
      ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'], ['::ffff:224.0.0.251', 'multicast'],
      ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['255.255.255.254', 'reserved'], ['223.255.255.255', 'public'],
    ];
    for (const [a, s] of rows) it(`calls ${a} ${s}`, () => expect(addressScope(a)).to.equal(s));
  });

  describe('#hostCandidates', () => {
    const ifaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }, { address: '::1', family: 'IPv6', internal: true }],
      eth0: [
        { address: '192.168.1.20', family: 'IPv4', internal: false },
        { address: 'fe80::1234', family: 'IPv6', internal: false, scopeid: 2 },
        { address: '2001:db8::20', family: 'IPv6', internal: false },
      ],
      docker0: [{ address: '172.17.0.1', family: 4, internal: false }],
    };
    it('lists every usable non-loopback address, IPv4 first, without link-local by default', () => {
      const got = hostCandidates(ifaces, 40000).map((c) => `${c.kind} ${c.address}`);
      expect(got).to.deep.equal(['host 192.168.1.20', 'host 172.17.0.1', 'host 2001:db8::20']);
      expect(hostCandidates(ifaces, 40000).map((c) => c.family)).to.deep.equal([4, 4, 6]);
    });
    it('adds loopback and link-local (with its zone) when asked', () => {
      const got = hostCandidates(ifaces, 40000, { includeLoopback: true, includeLinkLocal: true }).map((c) => c.address);
      expect(got).to.include.members(['127.0.0.1', '::1', 'fe80::1234%2']);
    });
    it('keeps one family for a udp4 socket and only the bound address for a bound socket', () => {
      expect(hostCandidates(ifaces, 1, { families: [4] }).map((c) => c.address)).to.deep.equal(['192.168.1.20', '172.17.0.1']);
      expect(hostCandidates(ifaces, 1, { bindAddress: '172.17.0.1' }).map((c) => c.address)).to.deep.equal(['172.17.0.1']);
    });
  });

  describe('#validateCandidate', () => {
    it('accepts a clean candidate and normalises its address', () => {
      expect(validateCandidate({ kind: 'srflx', address: '2001:DB8::1', port: 5 })).to.deep.equal({
        ok: true, candidate: { kind: 'srflx', family: 6, address: '2001:db8::1', port: 5, priority: candidatePriority('srflx') },
      });
    });
    const bad: Array<[unknown, string]> = [
      [null, 'candidate must be an object'],
      [{ kind: 'turn', address: '1.2.3.4', port: 1 }, 'candidate kind must be one of host, srflx, prflx, upnp, relay, got "turn"'],
      [{ kind: 'host', address: 'example.org', port: 1 }, 'candidate address must be an IP literal, got "example.org"'],
      [{ kind: 'host', address: '0.0.0.0', port: 1 }, 'candidate address must not be unspecified, got 0.0.0.0'],
      [{ kind: 'host', address: '1.2.3.4', port: 0 }, 'candidate port must be 1..65535, got 0'],
      [{ kind: 'host', address: '1.2.3.4', port: 1, priority: 2 ** 31 }, 'candidate priority must be 1..2147483647, got 2147483648'],
    ];
    for (const [input, reason] of bad) {
      it(`refuses ${JSON.stringify(input)}`, () => expect(validateCandidate(input)).to.deep.equal({ ok: false, reason }));
    }
  });

  describe('#sortCandidates and #pathKindOf', () => {
    it('dedupes by address:port keeping the best and orders by priority', () => {
      const list = sortCandidates([
        { kind: 'srflx', family: 4, address: '1.2.3.4', port: 5, priority: 10 },
        { kind: 'prflx', family: 4, address: '1.2.3.4', port: 5, priority: 20 },
        { kind: 'host', family: 4, address: '10.0.0.1', port: 5, priority: 30 },
      ]);
      expect(list.map((c) => c.kind)).to.deep.equal(['host', 'prflx']);
    });
    it('calls private host paths lan, UPnP upnp and the rest direct', () => {
      expect([
        pathKindOf({ kind: 'host', address: '10.0.0.1' }), pathKindOf({ kind: 'host', address: '203.0.113.1' }),
        pathKindOf({ kind: 'upnp', address: '203.0.113.1' }), pathKindOf({ kind: 'srflx', address: '10.0.0.1' }),
      ]).to.deep.equal(['lan', 'direct', 'upnp', 'direct']);
    });
    it('calls a relayed candidate relay, even on a private address', () => {
      expect([pathKindOf({ kind: 'relay', address: '203.0.113.10' }), pathKindOf({ kind: 'relay', address: '10.0.0.1' })])
        .to.deep.equal(['relay', 'relay']);
    });
  });

  describe('#canHolePunch', () => {
    it('is false only for endpoint-dependent mapping facing endpoint-dependent mapping or port-dependent filtering', () => {
      const sym = { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' } as const;
      const pr = { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' } as const;
      const ar = { mapping: 'endpoint-independent', filtering: 'address-dependent' } as const;
      expect([canHolePunch(sym, sym), canHolePunch(sym, pr), canHolePunch(pr, sym), canHolePunch(sym, ar), canHolePunch(pr, pr), canHolePunch({}, sym)])
        .to.deep.equal([false, false, false, true, true, true]);
    });
  });
});
