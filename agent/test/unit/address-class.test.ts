import { expect } from 'chai';
import { addressClass, hostOf, onePrivateNetwork } from '../../src/core/address-class.js';

describe('address-class', () => {
  describe('#addressClass', () => {
    const rows: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
      ['10.0.1.2', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.20', 'private'],
      ['100.64.0.1', 'private'], ['100.127.255.255', 'private'], ['169.254.3.4', 'private'],
      ['fd00::1', 'private'], ['fc12:3456::1', 'private'], ['fe80::1', 'private'], ['FE80::abcd', 'private'], ['::ffff:192.168.0.1', 'private'],
      ['172.15.0.1', 'public'], ['172.32.0.1', 'public'], ['100.63.0.1', 'public'], ['100.128.0.1', 'public'], ['192.169.0.1', 'public'],
      ['203.0.113.10', 'public'], ['8.8.8.8', 'public'], ['2001:db8::1', 'public'], ['fec0::1', 'public'],
    ];
    for (const [ip, cls] of rows) it(`calls ${ip} ${cls}`, () => expect(addressClass(ip)).to.equal(cls));
  });

  describe('#hostOf', () => {
    it('takes the address out of ip:port and [ipv6]:port', () => {
      expect(hostOf('127.0.0.1:3478')).to.equal('127.0.0.1');
      expect(hostOf('[fe80::1]:3478')).to.equal('fe80::1');
      expect(hostOf('10.0.0.1')).to.equal('10.0.0.1');
    });
  });

  describe('#onePrivateNetwork', () => {
    const rows: Array<[string, string, boolean]> = [
      ['10.20.0.11', '10.20.0.12', true], ['10.1.2.20', '10.1.2.254', true], ['fd00:1:2:3::a', 'fd00:1:2:3:ffff::1', true],
      // another /24 or /64: another LAN as far as this guess goes
      ['10.20.0.11', '10.20.1.12', false], ['fd00:1:2:3::a', 'fd00:1:2:4::a', false],
      // public, loopback or mixed families never count: the peer reaches those another way
      ['203.0.113.10', '203.0.113.11', false], ['127.0.0.1', '127.0.0.2', false], ['10.0.0.1', 'fd00::1', false],
      ['10.0.0.1', 'not an address', false],
    ];
    for (const [a, b, same] of rows) it(`${same ? 'puts' : 'does not put'} ${a} and ${b} on one private network`, () => expect(onePrivateNetwork(a, b)).to.equal(same));
  });
});
