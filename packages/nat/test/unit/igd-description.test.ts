import { expect } from 'chai';
import { IGD_DESCRIPTION_MAX_CHARS, parseIgdDescription } from '../../src/index.js';
import { igdDescription } from './upnp-mock-igd.js';

const URL_V = 'http://10.0.1.1:5000/rootDesc.xml';

describe('igd-description', () => {
  describe('#parseIgdDescription', () => {
    it('finds WANIPConnection:2 three devices deep in an IGDv2 description and resolves its control URL', () => {
      const r = parseIgdDescription(igdDescription(2), URL_V);
      expect(r).to.deep.equal({
        ok: true,
        service: {
          serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:2',
          version: 2,
          controlUrl: 'http://10.0.1.1:5000/ctl/IPConn',
          deviceType: 'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
          friendlyName: 'mock router',
          manufacturer: 'meshpunch',
          modelName: 'mock',
        },
      });
    });

    it('finds WANIPConnection:1 in an IGDv1 description', () => {
      const r = parseIgdDescription(igdDescription(1), URL_V);
      expect(r.ok && r.service.serviceType).to.equal('urn:schemas-upnp-org:service:WANIPConnection:1');
      expect(r.ok && r.service.version).to.equal(1);
    });

    it('prefers WANIPConnection:2 over :1 and over WANPPPConnection:1 when a router lists several', () => {
      const xml = igdDescription(1).replace('</serviceList>\n</device></deviceList></device></deviceList>',
        '<service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/ppp</controlURL></service>' +
        '<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType><controlURL>/ip2</controlURL></service>' +
        '</serviceList>\n</device></deviceList></device></deviceList>');
      const r = parseIgdDescription(xml, URL_V);
      expect(r.ok && r.service.controlUrl).to.equal('http://10.0.1.1:5000/ip2');
    });

    it('uses WANPPPConnection:1 when it is the only WAN connection service', () => {
      const xml = igdDescription(1).replace('urn:schemas-upnp-org:service:WANIPConnection:1', 'urn:schemas-upnp-org:service:WANPPPConnection:1');
      const r = parseIgdDescription(xml, URL_V);
      expect(r.ok && r.service.serviceType).to.equal('urn:schemas-upnp-org:service:WANPPPConnection:1');
    });

    it('resolves a relative control URL against URLBase (IGDv1 style)', () => {
      const xml = igdDescription(1, 'ctl/x').replace('<specVersion>', '<URLBase>http://10.0.1.1:49152/base/</URLBase><specVersion>');
      const r = parseIgdDescription(xml, URL_V);
      expect(r.ok && r.service.controlUrl).to.equal('http://10.0.1.1:49152/base/ctl/x');
    });

    it('refuses a control URL on another host (request forgery) or not over http', () => {
      for (const url of ['http://192.0.2.66/ctl', 'https://10.0.1.1/ctl', 'file:///etc/passwd']) {
        const r = parseIgdDescription(igdDescription(2, url), URL_V);
        expect(r.ok, url).to.equal(false);
        expect(!r.ok && r.error).to.equal('bad-control-url');
      }
    });

    const bad: Array<{ name: string; xml: string; error: string }> = [
      { name: 'garbage', xml: '<<<not xml', error: 'malformed' },
      { name: 'unclosed tags', xml: '<root><device><serviceList>', error: 'malformed' },
      { name: 'an entity-expansion DTD', xml: '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><root>&b;</root>', error: 'has-dtd' },
      { name: 'a root without a device', xml: '<root><specVersion/></root>', error: 'not-a-device' },
      { name: 'a device without WAN connection services', xml: '<root><device><deviceType>urn:x:device:MediaServer:1</deviceType></device></root>', error: 'no-wan-service' },
      { name: 'tags nested past the depth limit', xml: `${'<a>'.repeat(200)}${'</a>'.repeat(200)}`, error: 'malformed' },
    ];
    for (const row of bad) {
      it(`refuses ${row.name} with '${row.error}' and never throws`, () => {
        const r = parseIgdDescription(row.xml, URL_V);
        expect(r.ok).to.equal(false);
        expect(!r.ok && r.error).to.equal(row.error);
      });
    }

    it(`refuses a description over ${IGD_DESCRIPTION_MAX_CHARS} characters`, () => {
      const r = parseIgdDescription(igdDescription(2) + ' '.repeat(IGD_DESCRIPTION_MAX_CHARS), URL_V);
      expect(!r.ok && r.error).to.equal('too-large');
    });

    it('never throws on mutated descriptions (fuzz, 1000 cases)', () => {
      let seed = 777;
      const rnd = (): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed >>> 8;
      };
      const base = igdDescription(2);
      const alphabet = '<>/&;"=! abc:';
      let ok = 0;
      for (let i = 0; i < 1000; i++) {
        const chars = base.split('');
        for (let k = 0; k < 1 + (rnd() % 6); k++) chars[rnd() % chars.length] = alphabet[rnd() % alphabet.length]!;
        const r = parseIgdDescription(chars.join(''), URL_V);
        if (r.ok) ok++;
        else expect(r.error).to.be.a('string');
      }
      expect(ok).to.be.lessThan(1000);
    });
  });
});
