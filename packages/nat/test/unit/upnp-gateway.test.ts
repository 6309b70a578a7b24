// The UPnP adapters (SSDP search, gateway, mapping) against a fake IGD on 127.0.0.1: router
// quirks and hostile answers end in a typed NatError, never a crash or a hang.
import { expect } from 'chai';
import { discoverUpnpGateway, NatError, openUpnpMapping, UpnpGateway, type UpnpDiscoverOptions } from '../../src/index.js';
import { MockIgd } from './upnp-mock-igd.js';

async function rejection(p: Promise<unknown>): Promise<NatError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(NatError);
    return err as NatError;
  }
  throw new Error('expected a rejection');
}

for (const version of [1, 2] as const) {
  describe(`UPnP adapters against a fake IGDv${version} on loopback`, function () {
    let igd: MockIgd;
    let discover: UpnpDiscoverOptions;

    beforeEach(async () => {
      igd = new MockIgd(version);
      await igd.start();
      // Discovery ends at the first usable answer: the time limit only bounds a broken run, so it
      // is far beyond what loopback needs (a loaded machine took over 400 ms for one answer).
      discover = { address: '127.0.0.1', port: igd.ssdpPort, timeoutMs: 10_000, httpTimeoutMs: 10_000 };
    });
    afterEach(async () => {
      await igd.stop();
    });

    describe('#discoverUpnpGateway', () => {
      it(`finds the gateway and its WANIPConnection:${version} control URL`, async () => {
        const gw = await discoverUpnpGateway(discover);
        expect(gw.igdVersion).to.equal(version);
        expect(gw.location).to.equal(igd.location);
        expect(gw.service.controlUrl).to.equal(`http://127.0.0.1:${igd.httpPort}/ctl/IPConn`);
        expect(gw.localAddress).to.equal('127.0.0.1');
        expect(await gw.getExternalAddress()).to.equal('198.51.100.7');
      });

      it('skips garbage and foreign-LOCATION answers and still finds the gateway', async () => {
        igd.quirks.ssdpNoise = ['garbage', 'HTTP/1.1 200 OK\r\nLOCATION: http://192.0.2.99/evil.xml\r\n\r\n', 'HTTP/1.1 500 Oops\r\n\r\n'];
        const gw = await discoverUpnpGateway(discover);
        expect(gw.igdVersion).to.equal(version);
      });

      it('rejects with NAT_UPNP_NO_GATEWAY when nothing answers in time', async () => {
        const err = await rejection(discoverUpnpGateway({ ...discover, searchTargets: ['urn:nobody:answers:this'], timeoutMs: 300 }));
        expect(err.code).to.equal('NAT_UPNP_NO_GATEWAY');
        expect(err.message).to.equal('no UPnP gateway answered within 300 ms');
      });

      it('rejects with NAT_UPNP_NO_GATEWAY (cause NAT_UPNP_BAD_RESPONSE) when the description is garbage', async () => {
        igd.quirks.description = '<root><device>not closed';
        // No answer is usable, so the search runs its whole time: 3 s, still far beyond loopback's answer.
        const err = await rejection(discoverUpnpGateway({ ...discover, timeoutMs: 3000 }));
        expect(err.code).to.equal('NAT_UPNP_NO_GATEWAY');
        expect((err.cause as NatError).code).to.equal('NAT_UPNP_BAD_RESPONSE');
      });
    });

    describe('#openUpnpMapping', () => {
      it('maps, verifies in the router table, and close() deletes the UDP mapping', async () => {
        const m = await openUpnpMapping({ internalPort: 48000, discover, refresh: false });
        expect(m.externalPort).to.equal(48000);
        expect(m.externalAddress).to.equal('198.51.100.7');
        expect(m.verification).to.equal('router-entry');
        expect(m.leaseS).to.equal(1200);
        expect(igd.mappings.get('UDP/48000')).to.deep.equal({ client: '127.0.0.1', internalPort: 48000, leaseS: 1200, description: 'meshpunch' });
        expect(igd.calls.map((c) => c.action)).to.deep.equal(['GetExternalIPAddress', version === 2 ? 'AddAnyPortMapping' : 'AddPortMapping',
          'GetSpecificPortMappingEntry']);
        await m.close();
        await m.close();
        expect(igd.mappings.size).to.equal(0);
        expect(igd.calls.filter((c) => c.action === 'DeletePortMapping')).to.deep.equal([
          { action: 'DeletePortMapping', args: { NewRemoteHost: '', NewExternalPort: '48000', NewProtocol: 'UDP' } }]);
        expect(m.isOpen).to.equal(false);
      });

      it('takes another external port when the wanted one belongs to another client', async () => {
        igd.mappings.set('UDP/48000', { client: '10.9.9.9', internalPort: 1, leaseS: 0, description: 'other' });
        const m = await openUpnpMapping({ internalPort: 48000, discover, refresh: false });
        expect(m.externalPort).to.not.equal(48000);
        expect(igd.mappings.get('UDP/48000')!.client).to.equal('10.9.9.9');
        expect(igd.mappings.get(`UDP/${m.externalPort}`)!.client).to.equal('127.0.0.1');
        if (version === 1) expect(igd.calls.filter((c) => c.action === 'AddPortMapping').length).to.equal(2);
        await m.close();
        expect([...igd.mappings.keys()]).to.deep.equal(['UDP/48000']);
      });

      it('falls back to a permanent lease only when the router insists (725), and still deletes on close', async () => {
        igd.quirks.onlyPermanent = true;
        const m = await openUpnpMapping({ internalPort: 48000, discover, refresh: false });
        expect(m.leaseS).to.equal(0);
        await m.close();
        expect(igd.mappings.size).to.equal(0);
      });

      it('refresh() renews the same port; a port lost to another client moves the mapping and emits changed', async () => {
        const m = await openUpnpMapping({ internalPort: 48000, discover, refresh: false });
        const refreshed: number[] = [];
        m.on('refreshed', (l) => refreshed.push(l));
        await m.refresh();
        expect(refreshed).to.deep.equal([1200]);
        expect(m.externalPort).to.equal(48000);
        igd.mappings.set('UDP/48000', { client: '10.9.9.9', internalPort: 1, leaseS: 0, description: 'thief' });
        const changes: Array<[number, number]> = [];
        m.on('changed', (from, to) => changes.push([from, to]));
        await m.refresh();
        expect(changes.length).to.equal(1);
        expect(changes[0]![0]).to.equal(48000);
        expect(m.externalPort).to.equal(changes[0]![1]);
        await m.close();
        expect([...igd.mappings.keys()]).to.deep.equal(['UDP/48000']);
        expect((await rejection(m.refresh())).code).to.equal('NAT_UPNP_CLOSED');
      });

      it('rejects with NAT_UPNP_VERIFY_FAILED when the router entry points at another host, and leaves that entry alone', async () => {
        igd.quirks.entryClient = '10.0.0.66';
        const err = await rejection(openUpnpMapping({ internalPort: 48000, discover, refresh: false }));
        expect(err.code).to.equal('NAT_UPNP_VERIFY_FAILED');
        expect(err.message).to.equal('port 48000 maps to 10.0.0.66:48000, not 127.0.0.1:48000');
        expect(igd.calls.some((c) => c.action === 'DeletePortMapping')).to.equal(false);
      });

      it('marks the mapping unverifiable when the router lacks GetSpecificPortMappingEntry', async () => {
        igd.quirks.noEntryAction = true;
        const m = await openUpnpMapping({ internalPort: 48000, discover, refresh: false });
        expect(m.verification).to.equal('unverifiable');
        await m.close();
      });

      it('rejects bad options synchronously-typed with ERR_INVALID_PARAMETER', async () => {
        const err = await rejection(openUpnpMapping({ internalPort: 70000, discover }));
        expect(err.code).to.equal('ERR_INVALID_PARAMETER');
        expect(err.message).to.equal('internalPort must be an integer 1..65535, got 70000');
        expect((await rejection(openUpnpMapping({ internalPort: 1, leaseS: 0, discover }))).code).to.equal('ERR_INVALID_PARAMETER');
      });
    });

    describe('hostile or broken control answers', () => {
      let gw: UpnpGateway;
      beforeEach(async () => {
        // Only silence waits for this limit; every other case ends at the answer. At 400 ms a
        // loaded machine turned the 2 MB body into NAT_UPNP_TIMEOUT before its first 32 KB were read.
        gw = await UpnpGateway.fromLocation(igd.location, { httpTimeoutMs: 10_000 });
      });

      const cases: Array<{ name: string; set: (q: MockIgd['quirks']) => void; code: string; message?: RegExp }> = [
        { name: 'garbage XML', set: (q) => (q.controlBody = '<<<garbage'), code: 'NAT_UPNP_BAD_RESPONSE', message: /unusable body: malformed/ },
        { name: 'a 2 MB body', set: (q) => (q.controlBody = 'x'.repeat(2_000_000)), code: 'NAT_UPNP_BAD_RESPONSE', message: /exceeds 32768 bytes/ },
        { name: 'HTTP 404', set: (q) => (q.controlStatus = 404), code: 'NAT_UPNP_BAD_RESPONSE', message: /^GetExternalIPAddress answered HTTP 404$/ },
        { name: 'HTTP 500 without a fault', set: (q) => { q.controlStatus = 500; q.controlBody = '<html/>'; }, code: 'NAT_UPNP_BAD_RESPONSE' },
        { name: 'a non-address external IP', set: (q) => (q.controlBody = soapOk('GetExternalIPAddress', '<NewExternalIPAddress>&lt;script&gt;</NewExternalIPAddress>')),
          code: 'NAT_UPNP_BAD_RESPONSE', message: /returned no IPv4 address/ },
        { name: 'silence', set: (q) => (q.silentControl = true), code: 'NAT_UPNP_TIMEOUT', message: /within 400 ms/ },
      ];
      for (const c of cases) {
        it(`turns ${c.name} into ${c.code}`, async () => {
          c.set(igd.quirks);
          const silent = c.code === 'NAT_UPNP_TIMEOUT' ? await UpnpGateway.fromLocation(igd.location, { httpTimeoutMs: 400 }) : gw;
          const err = await rejection(silent.getExternalAddress());
          expect(err.code).to.equal(c.code);
          if (c.message) expect(err.message).to.match(c.message);
        });
      }

      it('reports a router fault as NAT_UPNP_SOAP_FAULT with the UPnP error code', async () => {
        const err = await rejection(gw.action('NoSuchAction', []));
        expect(err.code).to.equal('NAT_UPNP_SOAP_FAULT');
        expect(err.details.upnpErrorCode).to.equal(401);
        expect(err.message).to.equal('NoSuchAction failed with UPnP error 401 (Invalid Action)');
      });

      it('reports a refused connection as NAT_UPNP_HTTP_ERROR', async () => {
        const port = igd.httpPort;
        await igd.stop();
        const err = await rejection(UpnpGateway.fromLocation(`http://127.0.0.1:${port}/rootDesc.xml`, { httpTimeoutMs: 10_000 }));
        expect(err.code).to.equal('NAT_UPNP_HTTP_ERROR');
        await igd.start();
      });
    });
  });
}

function soapOk(action: string, inner: string): string {
  return `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:${action}Response xmlns:u="x">${inner}</u:${action}Response></s:Body></s:Envelope>`;
}
