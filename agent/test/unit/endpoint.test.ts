import { expect } from 'chai';
import { formatEndpoint, parseEndpoint } from '../../src/core/endpoint.js';

describe('endpoint', () => {
  describe('#parseEndpoint', () => {
    it('parses IPv4, host names and bracketed IPv6', () => {
      expect(parseEndpoint('127.0.0.1:3478')).to.deep.equal({ address: '127.0.0.1', port: 3478 });
      expect(parseEndpoint('stun.example:19302')).to.deep.equal({ address: 'stun.example', port: 19302 });
      expect(parseEndpoint('[::1]:3478')).to.deep.equal({ address: '::1', port: 3478 });
    });

    const bad: Array<[string, string]> = [
      ['127.0.0.1', "expected HOST:PORT, got '127.0.0.1'"],
      ['127.0.0.1:0', 'port must be an integer 1..65535, got 0'],
      ['127.0.0.1:70000', 'port must be an integer 1..65535, got 70000'],
      ['127.0.0.1:x', "port must be an integer 1..65535, got 'x'"],
      ['::1:3478', "an IPv6 address needs brackets ([IPV6]:PORT), got '::1:3478'"],
      ['[zz]:1', "'zz' is not an IPv6 address"],
      ['300.1.1.1:5', "'300.1.1.1' is not a valid host name or IPv4 address"],
      ['bad_host:5', "'bad_host' is not a valid host name or IPv4 address"],
    ];
    for (const [text, reason] of bad) {
      it(`rejects '${text}' with one sentence`, () => {
        expect(parseEndpoint(text)).to.equal(reason);
      });
    }
  });

  describe('#formatEndpoint', () => {
    it('brackets IPv6 only', () => {
      expect(formatEndpoint({ address: '10.0.0.1', port: 1 })).to.equal('10.0.0.1:1');
      expect(formatEndpoint({ address: '::1', port: 2 })).to.equal('[::1]:2');
    });
  });
});
