import { expect } from 'chai';
import {
  addPortMappingArgs,
  decodeMappingEntry,
  encodeSoapRequest,
  NatError,
  parseSoapResponse,
  portMappingKeyArgs,
  SOAP_RESPONSE_MAX_CHARS,
  UpnpErrorCode,
} from '../../src/index.js';

const V2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';

describe('upnp-soap', () => {
  describe('#encodeSoapRequest', () => {
    it('writes AddPortMapping with the arguments in specification order and a quoted SOAPAction', () => {
      const req = encodeSoapRequest(V2, 'AddPortMapping', addPortMappingArgs({
        externalPort: 48000, protocol: 'UDP', internalPort: 48001, internalClient: '10.0.1.2', description: 'meshpunch', leaseS: 1200,
      }));
      expect(req.soapAction).to.equal(`"${V2}#AddPortMapping"`);
      expect(req.contentType).to.equal('text/xml; charset="utf-8"');
      expect(req.body).to.equal('<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2">' +
        '<NewRemoteHost></NewRemoteHost><NewExternalPort>48000</NewExternalPort><NewProtocol>UDP</NewProtocol><NewInternalPort>48001</NewInternalPort>' +
        '<NewInternalClient>10.0.1.2</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>meshpunch</NewPortMappingDescription>' +
        '<NewLeaseDuration>1200</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>\r\n');
    });

    it('escapes XML special characters in values', () => {
      const req = encodeSoapRequest(V2, 'AddPortMapping', [['NewPortMappingDescription', `a<b>&"c'`]]);
      expect(req.body).to.include('<NewPortMappingDescription>a&lt;b&gt;&amp;&quot;c&apos;</NewPortMappingDescription>');
    });

    it('sends DeletePortMapping with the protocol set (an empty one leaves UDP mappings behind, natlab.md §6)', () => {
      const req = encodeSoapRequest(V2, 'DeletePortMapping', portMappingKeyArgs(48000, 'UDP'));
      expect(req.body).to.include('<NewRemoteHost></NewRemoteHost><NewExternalPort>48000</NewExternalPort><NewProtocol>UDP</NewProtocol>');
    });

    it('throws NatError ERR_INVALID_PARAMETER for an action or argument name that is not an XML name', () => {
      expect(() => encodeSoapRequest(V2, 'Add Port', [])).to.throw(NatError, 'action must be an XML name, got Add Port');
      expect(() => encodeSoapRequest(V2, 'X', [['<x>', 1]])).to.throw(NatError, 'argument name must be an XML name, got <x>');
    });
  });

  describe('#parseSoapResponse', () => {
    const envelope = (inner: string): string => `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${inner}</s:Body></s:Envelope>`;

    it('returns the values of <ActionResponse>, empty elements as ""', () => {
      const r = parseSoapResponse(envelope(`<u:GetExternalIPAddressResponse xmlns:u="${V2}"><NewExternalIPAddress>203.0.113.101</NewExternalIPAddress><Empty></Empty></u:GetExternalIPAddressResponse>`),
        'GetExternalIPAddress');
      expect(r.kind).to.equal('ok');
      expect(r.kind === 'ok' && Object.fromEntries(r.values)).to.deep.equal({ NewExternalIPAddress: '203.0.113.101', Empty: '' });
    });

    it('reads a UPnPError fault: 718 ConflictInMappingEntry', () => {
      const r = parseSoapResponse(envelope('<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>' +
        '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError>' +
        '</detail></s:Fault>'), 'AddPortMapping');
      expect(r).to.deep.equal({ kind: 'fault', upnpErrorCode: UpnpErrorCode.ConflictInMappingEntry, description: 'ConflictInMappingEntry' });
    });

    const bad: Array<{ name: string; xml: string }> = [
      { name: 'garbage', xml: 'HTTP garbage <<<' },
      { name: 'no envelope', xml: '<html><body>router login</body></html>' },
      { name: 'a fault without errorCode', xml: envelope('<s:Fault><detail><UPnPError><errorDescription>x</errorDescription></UPnPError></detail></s:Fault>') },
      { name: 'a fault with a non-numeric errorCode', xml: envelope('<s:Fault><detail><UPnPError><errorCode>7x8</errorCode></UPnPError></detail></s:Fault>') },
      { name: 'the response of another action', xml: envelope('<u:DeletePortMappingResponse/>') },
      { name: 'an oversized body', xml: envelope(`<u:AResponse><X>${'9'.repeat(SOAP_RESPONSE_MAX_CHARS)}</X></u:AResponse>`) },
    ];
    for (const row of bad) {
      it(`reports ${row.name} as 'bad' without throwing`, () => {
        expect(parseSoapResponse(row.xml, 'GetExternalIPAddress').kind).to.equal('bad');
      });
    }
  });

  describe('#decodeMappingEntry', () => {
    it('decodes GetSpecificPortMappingEntry values and refuses malformed ones', () => {
      const good = new Map([['NewInternalPort', '48000'], ['NewInternalClient', '10.0.1.2'], ['NewEnabled', '1'],
        ['NewPortMappingDescription', 'meshpunch'], ['NewLeaseDuration', '1190']]);
      expect(decodeMappingEntry(good)).to.deep.equal({ internalPort: 48000, internalClient: '10.0.1.2', enabled: true, description: 'meshpunch', leaseS: 1190 });
      expect(decodeMappingEntry(new Map([...good, ['NewInternalPort', '70000']]))).to.equal(undefined);
      expect(decodeMappingEntry(new Map([...good, ['NewEnabled', 'yes']]))).to.equal(undefined);
      expect(decodeMappingEntry(new Map([...good, ['NewLeaseDuration', '-1']]))).to.equal(undefined);
      expect(decodeMappingEntry(new Map([...good, ['NewInternalClient', '']]))).to.equal(undefined);
    });
  });
});
