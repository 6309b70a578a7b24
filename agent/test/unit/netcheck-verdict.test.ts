import { expect } from 'chai';
import { netcheckVerdict } from '../../src/core/netcheck-verdict.js';

describe('netcheck-verdict', () => {
  describe('#netcheckVerdict', () => {
    it('says a relay is needed when UDP does not work', () => {
      expect(netcheckVerdict({ udp: false, mappingBehavior: 'unknown', filteringBehavior: 'unknown', upnpAvailable: false })).to.match(/needs a relay/);
    });
    it('says direct connections are likely without NAT, behind cones and with UPnP', () => {
      expect(netcheckVerdict({ udp: true, mappingBehavior: 'none', filteringBehavior: 'none', upnpAvailable: false })).to.match(/^No NAT.*direct connections likely/);
      expect(netcheckVerdict({ udp: true, mappingBehavior: 'endpoint-independent', filteringBehavior: 'endpoint-independent', upnpAvailable: false })).to.match(/^Full-cone NAT.*direct connections likely/);
      expect(netcheckVerdict({ udp: true, mappingBehavior: 'endpoint-independent', filteringBehavior: 'address-and-port-dependent', upnpAvailable: false })).to.match(/^Restricted-cone NAT/);
      expect(netcheckVerdict({ udp: true, mappingBehavior: 'address-and-port-dependent', filteringBehavior: 'address-and-port-dependent', upnpAvailable: true })).to.match(/^UPnP port mapping/);
    });
    it('names symmetric NATs as hard', () => {
      expect(netcheckVerdict({ udp: true, mappingBehavior: 'address-and-port-dependent', filteringBehavior: 'address-and-port-dependent', upnpAvailable: false })).to.match(/^Symmetric NAT .*"hard" NAT/);
    });
  });
});
