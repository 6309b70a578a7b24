// A fake Internet Gateway Device on loopback for the UPnP adapter tests: an SSDP responder
// (unicast, 127.0.0.1) and an HTTP server with a description and a WANIPConnection control
// URL holding a mapping table, with switchable router quirks. Traffic stays on 127.0.0.1.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockMapping {
  client: string;
  internalPort: number;
  leaseS: number;
  description: string;
}

export interface MockQuirks {
  /** Answer AddPortMapping with 725 unless the lease is 0 (MikroTik style). */
  onlyPermanent?: boolean;
  /** GetSpecificPortMappingEntry reports this client instead of the real one. */
  entryClient?: string;
  /** GetSpecificPortMappingEntry is not implemented (401). */
  noEntryAction?: boolean;
  /** Replace every control response body with this text (garbage, huge, …). */
  controlBody?: string;
  /** HTTP status for control responses (default 200 / 500 for faults). */
  controlStatus?: number;
  /** Never answer control requests (for timeouts). */
  silentControl?: boolean;
  /** Replace the description with this text. */
  description?: string;
  /** Extra SSDP answers sent before the real one (raw text). */
  ssdpNoise?: string[];
}

export interface MockCall {
  action: string;
  args: Record<string, string>;
}

export class MockIgd {
  readonly mappings = new Map<string, MockMapping>();
  readonly calls: MockCall[] = [];
  quirks: MockQuirks = {};
  private http!: Server;
  private ssdp!: Socket;
  httpPort = 0;
  ssdpPort = 0;

  constructor(readonly version: 1 | 2) {}

  get location(): string {
    return `http://127.0.0.1:${this.httpPort}/rootDesc.xml`;
  }

  async start(): Promise<void> {
    this.http = createServer((req, res) => this.onHttp(req, res));
    await new Promise<void>((r) => this.http.listen(0, '127.0.0.1', r));
    this.httpPort = (this.http.address() as AddressInfo).port;
    this.ssdp = createSocket('udp4');
    this.ssdp.on('message', (msg, rinfo) => {
      const text = msg.toString('latin1');
      if (!text.startsWith('M-SEARCH')) return;
      const st = /\r\nST: ([^\r]+)/.exec(text)?.[1] ?? '';
      for (const n of this.quirks.ssdpNoise ?? []) this.ssdp.send(n, rinfo.port, rinfo.address);
      if (!st.includes(`:${this.version}`)) return;
      this.ssdp.send(`HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: ${st}\r\nUSN: uuid:mock::${st}\r\nEXT:\r\nSERVER: mock UPnP/1.1 mock/1\r\n` +
        `LOCATION: ${this.location}\r\n\r\n`, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => this.ssdp.bind(0, '127.0.0.1', r));
    this.ssdpPort = this.ssdp.address().port;
  }

  async stop(): Promise<void> {
    this.ssdp.close();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  key(port: number, proto: string): string {
    return `${proto}/${port}`;
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' && req.url === '/rootDesc.xml') {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(this.quirks.description ?? igdDescription(this.version));
      return;
    }
    if (req.method === 'POST' && req.url === '/ctl/IPConn') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        if (this.quirks.silentControl) return;
        const action = /#(\w+)"?$/.exec(String(req.headers.soapaction ?? ''))?.[1] ?? '';
        const args: Record<string, string> = {};
        for (const m of body.matchAll(/<(New\w+)>([^<]*)<\/\1>/g)) args[m[1]!] = m[2]!;
        this.calls.push({ action, args });
        const out = this.control(action, args);
        if (this.quirks.controlBody !== undefined) {
          res.writeHead(this.quirks.controlStatus ?? 200, { 'Content-Type': 'text/xml' });
          res.end(this.quirks.controlBody);
          return;
        }
        res.writeHead(this.quirks.controlStatus ?? (out.fault ? 500 : 200), { 'Content-Type': 'text/xml' });
        res.end(out.fault ? fault(out.fault[0], out.fault[1]) : response(this.version, action, out.values ?? {}));
      });
      return;
    }
    res.writeHead(404);
    res.end();
  }

  private control(action: string, a: Record<string, string>): { values?: Record<string, string | number>; fault?: [number, string] } {
    const k = this.key(Number(a.NewExternalPort), a.NewProtocol ?? '');
    switch (action) {
      case 'GetExternalIPAddress':
        return { values: { NewExternalIPAddress: '198.51.100.7' } };
      case 'AddAnyPortMapping':
      case 'AddPortMapping': {
        if (action === 'AddAnyPortMapping' && this.version === 1) return { fault: [401, 'Invalid Action'] };
        if (!a.NewProtocol) return { fault: [402, 'Invalid Args'] };
        if (this.quirks.onlyPermanent && a.NewLeaseDuration !== '0') return { fault: [725, 'OnlyPermanentLeasesSupported'] };
        let port = Number(a.NewExternalPort);
        const held = this.mappings.get(k);
        if (held && held.client !== a.NewInternalClient) {
          if (action === 'AddPortMapping') return { fault: [718, 'ConflictInMappingEntry'] };
          port = 40000;
          while (this.mappings.has(this.key(port, a.NewProtocol))) port++;
        }
        this.mappings.set(this.key(port, a.NewProtocol), {
          client: a.NewInternalClient ?? '', internalPort: Number(a.NewInternalPort), leaseS: Number(a.NewLeaseDuration), description: a.NewPortMappingDescription ?? '',
        });
        return { values: action === 'AddAnyPortMapping' ? { NewReservedPort: port } : {} };
      }
      case 'GetSpecificPortMappingEntry': {
        if (this.quirks.noEntryAction) return { fault: [401, 'Invalid Action'] };
        const m = this.mappings.get(k);
        if (!m) return { fault: [714, 'NoSuchEntryInArray'] };
        return { values: { NewInternalPort: m.internalPort, NewInternalClient: this.quirks.entryClient ?? m.client, NewEnabled: 1,
          NewPortMappingDescription: m.description, NewLeaseDuration: m.leaseS } };
      }
      case 'DeletePortMapping':
        if (!this.mappings.delete(k)) return { fault: [714, 'NoSuchEntryInArray'] };
        return { values: {} };
      default:
        return { fault: [401, 'Invalid Action'] };
    }
  }
}

function svc(version: 1 | 2): string {
  return `urn:schemas-upnp-org:service:WANIPConnection:${version}`;
}

/** A root description shaped like miniupnpd's: IGD → WANDevice → WANConnectionDevice → WANIPConnection. */
export function igdDescription(version: 1 | 2, controlUrl = '/ctl/IPConn'): string {
  return `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>1</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:${version}</deviceType><friendlyName>mock router</friendlyName>
<manufacturer>meshpunch</manufacturer><modelName>mock</modelName><UDN>uuid:mock</UDN>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId><controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL><SCPDURL>/L3F.xml</SCPDURL></service></serviceList>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:${version}</deviceType><friendlyName>WANDevice</friendlyName>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL><SCPDURL>/WANCfg.xml</SCPDURL></service></serviceList>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:${version}</deviceType><friendlyName>WANConnectionDevice</friendlyName>
<serviceList><service><serviceType>${svc(version)}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>${controlUrl}</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>
</device></deviceList></device></deviceList></device></root>`;
}

function response(version: 1 | 2, action: string, values: Record<string, string | number>): string {
  const inner = Object.entries(values).map(([k, v]) => `<${k}>${v}</${k}>`).join('');
  return `<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>` +
    `<u:${action}Response xmlns:u="${svc(version)}">${inner}</u:${action}Response></s:Body></s:Envelope>\r\n`;
}

function fault(code: number, desc: string): string {
  return `<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault>` +
    `<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0">` +
    `<errorCode>${code}</errorCode><errorDescription>${desc}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>\r\n`;
}
