// A `lookup` for node:dgram sockets that only ever send to IP literals (adapter): the relay's
// sockets, which answer addresses taken from rinfo or decoded from XOR-PEER-ADDRESS. dgram
// resolves every send's address through `lookup`, and the default (dns.lookup) answers even a
// literal on the next tick: per relayed datagram one process.nextTick, a closure and a run of the
// tick queue after the receive callback (bench:relay, relay CPU per datagram). This one answers
// a literal at once; anything else still goes to dns.lookup, so behaviour is unchanged.
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

/** The callback node:dgram passes to its `lookup`. */
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * For `createSocket({ type, lookup: ipLiteralLookup })`. dgram calls it as (address, family,
 * callback) for bind, connect and every send; literals call back synchronously (dgram's send,
 * bind and connect all accept that: their continuation runs inside the call, as with a bound
 * socket's own checks), names are resolved by dns.lookup as before.
 */
export function ipLiteralLookup(address: string, family: number | LookupOneOptions, callback: LookupCallback): void {
  const f = isIP(address);
  if (f !== 0) {
    callback(null, address, f);
    return;
  }
  if (typeof family === 'number') dnsLookup(address, family, callback);
  else dnsLookup(address, family, callback);
}
