// Candidate validation: address families, IPv4/IPv6 text, ports, kinds.
import { expect } from 'chai';
import { checkCandidate, isIPv4, isIPv6 } from '../../src/candidate.js';
import type { Candidate } from '../../src/candidate.js';

describe('candidate', () => {
  describe('#isIPv4', () => {
    it('accepts dotted quads 0..255 without leading zeros', () => {
      for (const a of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '10.20.30.40']) expect(isIPv4(a), a).to.equal(true);
    });
    it('rejects everything else', () => {
      for (const a of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '', '1.2.3.-4']) expect(isIPv4(a), a).to.equal(false);
    });
  });

  describe('#isIPv6', () => {
    it('accepts full, compressed and IPv4-tailed forms', () => {
      for (const a of ['::', '::1', '2001:db8::1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', '2001:DB8::A']) expect(isIPv6(a), a).to.equal(true);
    });
    it('rejects malformed ones and zone ids', () => {
      for (const a of [':', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', '12345::', 'g::1', '1:2:3:4:5:6:7::8:9']) expect(isIPv6(a), a).to.equal(false);
    });
  });

  describe('#checkCandidate', () => {
    it('copies only the known fields of a valid candidate', () => {
      const out: Candidate[] = [];
      expect(checkCandidate({ kind: 'srflx', family: 6, address: '2001:db8::2', port: 5, priority: 7, extra: 'x' }, out)).to.equal(undefined);
      expect(out).to.deep.equal([{ kind: 'srflx', family: 6, address: '2001:db8::2', port: 5, priority: 7 }]);
    });
    it('names the problem of an invalid one', () => {
      const cases: Array<[unknown, string]> = [
        [null, 'a candidate must be an object'],
        [[], 'a candidate must be an object'],
        [{ kind: 'host', family: 4, address: '::1', port: 1 }, 'candidate.address must be an IPv4 address'],
        [{ kind: 'host', family: 4, address: 5, port: 1 }, 'candidate.address must be a string'],
        [{ kind: 'host', family: 4, address: '1.2.3.4', port: 1.5 }, 'candidate.port must be an integer 1..65535'],
        [{ kind: 'host', family: 4, address: '1.2.3.4', port: 1, priority: -1 }, 'candidate.priority must be an integer 0..4294967295'],
      ];
      for (const [v, msg] of cases) expect(checkCandidate(v, [])).to.equal(msg);
    });
  });
});
