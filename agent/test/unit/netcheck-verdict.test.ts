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

    it('never calls a loopback or private mapped address public (issue #12 item 7)', () => {
      const none = { udp: true, mappingBehavior: 'none', filteringBehavior: 'none', upnpAvailable: false } as const;
      const loop = netcheckVerdict({ ...none, mappedAddress: '127.0.0.1:40000' });
      expect(loop).to.equal('No NAT between you and the STUN server, which is on this machine (loopback address 127.0.0.1): this says nothing about the internet; direct connections likely only with peers on this machine.');
      const lan = netcheckVerdict({ ...none, mappedAddress: '192.168.1.20:40000' });
      expect(lan).to.match(/^No NAT between you and the STUN server, but your address 192\.168\.1\.20 is private/);
      for (const v of [loop, lan]) expect(v).to.not.include('public');
      expect(netcheckVerdict({ ...none, mappedAddress: '203.0.113.5:40000' })).to.equal('No NAT: your address is public, direct connections likely with everyone.');
    });
    it('adds a note when a NAT\'s mapped address is private (another NAT in front)', () => {
      expect(netcheckVerdict({ udp: true, mappingBehavior: 'endpoint-independent', filteringBehavior: 'endpoint-independent', upnpAvailable: false, mappedAddress: '100.64.3.4:5000' }))
        .to.match(/^Full-cone NAT.* The STUN server saw a private address \(100\.64\.3\.4\): another NAT/);
    });
    it('says the time limit passed when nothing answered before it', () => {
      expect(netcheckVerdict({ udp: false, mappingBehavior: 'unknown', filteringBehavior: 'unknown', upnpAvailable: false, timedOut: true })).to.match(/^No STUN server answered before the time limit/);
    });
  });
});
