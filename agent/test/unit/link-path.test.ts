import { expect } from 'chai';
import { linkPath } from '../../src/core/link-path.js';

describe('link-path', () => {
  describe('#linkPath', () => {
    it('labels a link to one of this machine\'s own addresses lan, whatever the candidate type or address class', () => {
      expect(linkPath('direct', '192.0.2.2', true)).to.equal('lan');
      expect(linkPath('lan', '192.0.2.2', true)).to.equal('lan');
      expect(linkPath('direct', '203.0.113.7', true)).to.equal('lan');
    });
    it('labels loopback, private and link-local remotes lan, even from a server-reflexive candidate', () => {
      for (const a of ['127.0.0.1', '10.0.1.3', '192.168.1.20', '172.20.0.4', '100.64.0.9', '169.254.1.1', '::1', 'fe80::1%eth0', 'fd00::5']) {
        expect(linkPath('direct', a, false), a).to.equal('lan');
      }
    });
    it('labels another machine\'s public address direct, even from a host candidate', () => {
      expect(linkPath('direct', '203.0.113.102', false)).to.equal('direct');
      expect(linkPath('lan', '198.51.100.4', false)).to.equal('direct');
      expect(linkPath('direct', '2001:db8::2', false)).to.equal('direct');
    });
    it('keeps upnp and relay', () => {
      expect(linkPath('upnp', '10.0.0.1', true)).to.equal('upnp');
      expect(linkPath('relay', '203.0.113.9', false)).to.equal('relay');
    });
  });
});
