import { expect } from 'chai';
import { encodeMSearch, locationMatchesSender, parseSsdpResponse, SSDP_MAX_RESPONSE_BYTES, NatError } from '../../src/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A search response as miniupnpd 2.3.1 sends it (captured in the NAT lab). */
const MINIUPNPD_ANSWER =
  'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n' +
  'USN: uuid:3f1e2c4a-0000-4000-8000-a00000000000::urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\nEXT:\r\n' +
  'SERVER: Debian/6.18.44 UPnP/1.1 MiniUPnPd/2.3.1\r\nLOCATION: http://10.0.1.1:5000/rootDesc.xml\r\n' +
  'OPT: "http://schemas.upnp.org/upnp/1/0/"; ns=01\r\n01-NLS: 1795599671\r\nBOOTID.UPNP.ORG: 1795599671\r\nCONFIGID.UPNP.ORG: 1337\r\n\r\n';

describe('ssdp', () => {
  describe('#encodeMSearch', () => {
    it('writes the UDA 1.1 §1.3.2 request with HOST, MAN, MX and ST', () => {
      const text = new TextDecoder().decode(encodeMSearch('urn:schemas-upnp-org:device:InternetGatewayDevice:1', 2));
      expect(text).to.equal('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\n' +
        'ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n');
    });

    it('throws NatError ERR_INVALID_PARAMETER when MX is outside 1..5 or the target has a line break', () => {
      expect(() => encodeMSearch('x', 0)).to.throw(NatError, 'mxS must be an integer 1..5, got 0');
      expect(() => encodeMSearch('x\r\nEvil: 1')).to.throw(NatError, 'searchTarget must not contain a line break');
    });
  });

  describe('#parseSsdpResponse', () => {
    it('reads LOCATION, ST, USN and SERVER from a miniupnpd answer', () => {
      const r = parseSsdpResponse(enc(MINIUPNPD_ANSWER));
      expect(r).to.deep.equal({
        ok: true,
        response: {
          location: 'http://10.0.1.1:5000/rootDesc.xml',
          searchTarget: 'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
          usn: 'uuid:3f1e2c4a-0000-4000-8000-a00000000000::urn:schemas-upnp-org:device:InternetGatewayDevice:2',
          server: 'Debian/6.18.44 UPnP/1.1 MiniUPnPd/2.3.1',
        },
      });
    });

    it('accepts lower-case header names and bare LF line ends', () => {
      const r = parseSsdpResponse(enc('HTTP/1.1 200 OK\nlocation: http://192.168.1.1:1900/igd.xml\nst: upnp:rootdevice\n\n'));
      expect(r.ok && r.response.location).to.equal('http://192.168.1.1:1900/igd.xml');
    });

    const bad: Array<{ name: string; text: string; error: string }> = [
      { name: 'a NOTIFY instead of a response', text: 'NOTIFY * HTTP/1.1\r\nLOCATION: http://10.0.0.1/\r\n\r\n', error: 'not-http-200' },
      { name: 'a 404', text: 'HTTP/1.1 404 Not Found\r\nLOCATION: http://10.0.0.1/\r\n\r\n', error: 'not-http-200' },
      { name: 'no LOCATION', text: 'HTTP/1.1 200 OK\r\nST: x\r\n\r\n', error: 'no-location' },
      { name: 'an empty LOCATION', text: 'HTTP/1.1 200 OK\r\nLOCATION:\r\n\r\n', error: 'no-location' },
      { name: 'a non-http LOCATION', text: 'HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n', error: 'bad-location' },
      { name: 'an https LOCATION', text: 'HTTP/1.1 200 OK\r\nLOCATION: https://10.0.0.1/d.xml\r\n\r\n', error: 'bad-location' },
      { name: 'an unparsable LOCATION', text: 'HTTP/1.1 200 OK\r\nLOCATION: http://[::1\r\n\r\n', error: 'bad-location' },
    ];
    for (const row of bad) {
      it(`refuses ${row.name} with '${row.error}'`, () => {
        expect(parseSsdpResponse(enc(row.text))).to.deep.equal({ ok: false, error: row.error });
      });
    }

    it('refuses a datagram over SSDP_MAX_RESPONSE_BYTES without reading it', () => {
      const big = new Uint8Array(SSDP_MAX_RESPONSE_BYTES + 1).fill(0x41);
      expect(parseSsdpResponse(big)).to.deep.equal({ ok: false, error: 'too-large' });
    });

    it('never throws on random and mutated input (fuzz, 3000 cases)', () => {
      let seed = 12345;
      const rnd = (): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed >>> 8;
      };
      const valid = enc(MINIUPNPD_ANSWER);
      let accepted = 0;
      for (let i = 0; i < 3000; i++) {
        const b = i % 2 === 0 ? new Uint8Array(rnd() % 600).map(() => rnd() & 0xff) : valid.slice();
        if (i % 2 === 1) for (let k = 0; k < 1 + (rnd() % 8); k++) b[rnd() % b.length] = rnd() & 0xff;
        const r = parseSsdpResponse(b);
        if (r.ok) accepted++;
        expect(r.ok === true || typeof r.error === 'string').to.equal(true);
      }
      // Some mutations leave the answer valid; random bytes never make one.
      expect(accepted).to.be.greaterThan(0).and.lessThan(1500);
    });
  });

  describe('#locationMatchesSender', () => {
    it('is true only when the LOCATION host is the answer\'s sender', () => {
      expect(locationMatchesSender('http://10.0.1.1:5000/rootDesc.xml', '10.0.1.1')).to.equal(true);
      expect(locationMatchesSender('http://10.0.1.99:5000/rootDesc.xml', '10.0.1.1')).to.equal(false);
      expect(locationMatchesSender('http://[fe80::1]:5000/d.xml', 'fe80::1')).to.equal(true);
      expect(locationMatchesSender('not a url', '10.0.1.1')).to.equal(false);
    });
  });
});
