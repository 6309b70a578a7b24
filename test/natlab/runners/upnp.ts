// NAT lab runner (runs inside a LAN host's namespace): drives @meshpunch/nat's UPnP IGD client
// against the lab router's miniupnpd and prints one JSON object per line.
//   discover [timeoutMs]                   gateway, service, external address
//   map <internalPort> [externalPort] [leaseS]
//       binds UDP <internalPort>, maps it, prints {"event":"mapped",...}; then prints every
//       datagram received ({"event":"datagram"}) and obeys stdin lines "refresh" and "close";
//       closes by itself after 60 s (bounded).
//   pmp <internalPort> [lifetimeS]         the same with NAT-PMP (RFC 6886) to the default gateway
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { discoverUpnpGateway, NatError, openNatPmpMapping, openUpnpMapping } from '@meshpunch/nat';

function out(o: Record<string, unknown>): void {
  console.log(JSON.stringify(o));
}

function fail(err: unknown): never {
  const e = err instanceof NatError ? { code: err.code, message: err.message, details: err.details } : { message: String(err) };
  out({ event: 'error', ...e });
  process.exit(1);
}

async function discover(timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  const gw = await discoverUpnpGateway({ timeoutMs });
  const t1 = performance.now();
  const externalAddress = await gw.getExternalAddress();
  out({ event: 'discovered', location: gw.location, serviceType: gw.service.serviceType, igdVersion: gw.igdVersion,
    controlUrl: gw.service.controlUrl, localAddress: gw.localAddress, externalAddress, discoverMs: Math.round(t1 - t0),
    externalMs: Math.round(performance.now() - t1) });
}

async function map(internalPort: number, externalPort: number | undefined, leaseS: number | undefined): Promise<void> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(internalPort, r));
  sock.on('message', (msg, rinfo) => out({ event: 'datagram', from: `${rinfo.address}:${rinfo.port}`, text: msg.toString('utf8').slice(0, 200) }));
  const t0 = performance.now();
  const m = await openUpnpMapping({ internalPort, externalPort, leaseS, discover: { timeoutMs: 5000 } });
  out({ event: 'mapped', externalAddress: m.externalAddress, externalPort: m.externalPort, internalClient: m.internalClient,
    internalPort: m.internalPort, leaseS: m.leaseS, verification: m.verification, igdVersion: m.gateway.igdVersion,
    serviceType: m.gateway.service.serviceType, ms: Math.round(performance.now() - t0) });
  const close = async (): Promise<void> => {
    const t = performance.now();
    await m.close();
    out({ event: 'closed', ms: Math.round(performance.now() - t) });
    sock.close();
    process.exit(0);
  };
  const limit = setTimeout(() => void close().catch(fail), 60_000);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'close') {
      clearTimeout(limit);
      close().catch(fail);
    } else if (line.trim() === 'refresh') {
      m.refresh().then(() => out({ event: 'refreshed', externalPort: m.externalPort, leaseS: m.leaseS }), fail);
    }
  });
}

async function pmp(internalPort: number, lifetimeS: number | undefined): Promise<void> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(internalPort, r));
  sock.on('message', (msg, rinfo) => out({ event: 'datagram', from: `${rinfo.address}:${rinfo.port}`, text: msg.toString('utf8').slice(0, 200) }));
  const t0 = performance.now();
  const m = await openNatPmpMapping({ internalPort, lifetimeS });
  out({ event: 'mapped', externalAddress: m.externalAddress, externalPort: m.externalPort, internalPort: m.internalPort, leaseS: m.lifetimeS,
    gateway: m.client.gateway, ms: Math.round(performance.now() - t0) });
  const close = async (): Promise<void> => {
    const t = performance.now();
    await m.close();
    out({ event: 'closed', ms: Math.round(performance.now() - t) });
    sock.close();
    process.exit(0);
  };
  const limit = setTimeout(() => void close().catch(fail), 60_000);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'close') {
      clearTimeout(limit);
      close().catch(fail);
    }
  });
}

const [cmd, a, b, c] = process.argv.slice(2);
const opt = (s: string | undefined): number | undefined => (s === undefined || s === '-' ? undefined : Number(s));
(cmd === 'discover' ? discover(opt(a) ?? 5000) : cmd === 'map' ? map(Number(a), opt(b), opt(c)) : cmd === 'pmp' ? pmp(Number(a), opt(b))
  : Promise.reject(new Error(`unknown command ${cmd}`))).catch(fail);
