import { expect } from 'chai';
import { formatIpv6, ipFamily, isIpv4, isIpv6, normalizeIp, parseIpv6Into, unmappedIp } from '../../src/index.js';

describe('ip-address', () => {
  describe('#normalizeIp', () => {
    const rows: Array<{ input: string; expect: string | undefined }> = [
      { input: '192.0.2.1', expect: '192.0.2.1' },
      { input: '255.255.255.255', expect: '255.255.255.255' },
      { input: '256.0.0.1', expect: undefined },
      { input: '1.2.3', expect: undefined },
      { input: '1.2.3.4.5', expect: undefined },
      { input: '01.2.3.4', expect: undefined },
      { input: '1..3.4', expect: undefined },
      { input: '2001:DB8::1', expect: '2001:db8::1' },
      { input: '2001:0db8:0000:0000:0000:0000:0000:0001', expect: '2001:db8::1' },
      { input: '::', expect: '::' },
      { input: '::1', expect: '::1' },
      { input: '1::', expect: '1::' },
      { input: '2001:db8:0:0:1:0:0:1', expect: '2001:db8::1:0:0:1' },
      { input: '2001:db8:0:1:1:1:1:1', expect: '2001:db8:0:1:1:1:1:1' },
      { input: '::ffff:192.0.2.1', expect: '::ffff:192.0.2.1' },
      { input: '64:ff9b::192.0.2.33', expect: '64:ff9b::c000:221' },
      { input: 'fe80::1%eth0', expect: 'fe80::1%eth0' },
      { input: '1:2:3:4:5:6:7:8:9', expect: undefined },
      { input: '1::2::3', expect: undefined },
      { input: ':1::', expect: undefined },
      { input: '1:', expect: undefined },
      { input: '12345::', expect: undefined },
      { input: 'g::', expect: undefined },
      { input: 'localhost', expect: undefined },
    ];
    for (const row of rows) {
      it(`gives ${String(row.expect)} for ${row.input}`, () => {
        expect(normalizeIp(row.input)).to.equal(row.expect);
      });
    }
  });

  describe('#ipFamily', () => {
    it('tells IPv4, IPv6 and neither apart', () => {
      expect([ipFamily('10.0.0.1'), ipFamily('::1'), ipFamily('example.org')]).to.deep.equal([4, 6, 0]);
    });
  });

  describe('#formatIpv6', () => {
    it('round-trips random addresses through parse', () => {
      const b = new Uint8Array(16);
      const c = new Uint8Array(16);
      for (let i = 0; i < 500; i++) {
        for (let k = 0; k < 16; k++) b[k] = (i * 37 + k * 11) % 7 === 0 ? 0 : (i * 13 + k * 29) & 0xff;
        expect(parseIpv6Into(formatIpv6(b, 0), c, 0)).to.equal(true);
        expect(Array.from(c)).to.deep.equal(Array.from(b));
      }
    });
  });

  describe('#isIpv4 / #isIpv6 (the rule of candidates, flags and the wire validator)', () => {
    it('accepts dotted quads without leading zeros and IPv6 literals without a zone id', () => {
      for (const t of ['0.0.0.0', '1.2.3.4', '255.255.255.255', '192.168.1.20']) expect(isIpv4(t), t).to.equal(true);
      for (const t of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4 ', '', 'a.b.c.d', '::1']) expect(isIpv4(t), t).to.equal(false);
      for (const t of ['::', '::1', 'fe80::1', '2001:db8::8:800:200c:417a', '::ffff:1.2.3.4', '1::', '1:2:3:4:5:6:7:8']) expect(isIpv6(t), t).to.equal(true);
      for (const t of ['fe80::1%eth0', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1.2.3.4', ':1', '1:']) expect(isIpv6(t), t).to.equal(false);
    });
  });

  describe('#unmappedIp', () => {
    it('gives IPv4-mapped IPv6 addresses as IPv4 and others canonical', () => {
      expect(unmappedIp('::FFFF:1.2.3.4')).to.equal('1.2.3.4');
      expect(unmappedIp('::ffff:102:304')).to.equal('1.2.3.4');
      expect(unmappedIp('2001:DB8::1')).to.equal('2001:db8::1');
      expect(unmappedIp('10.0.0.1')).to.equal('10.0.0.1');
      expect(unmappedIp('nope')).to.equal(undefined);
    });
  });
});
