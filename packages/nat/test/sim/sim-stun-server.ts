// Test helper: an RFC 5780 STUN server on SimNet with two IPs × two ports (like coturn with
// -L .10 -L .11 and 3478/3479), answering from the address CHANGE-REQUEST asks for.
import { SimNet, type Datagram } from '@meshpunch/sim';
import { answerBindingRequest } from '../../src/index.js';

export interface SimStunServerOptions {
  primaryIp: string;
  /** Omit for a plain (single-address) STUN server. */
  alternateIp?: string;
  primaryPort?: number;
  alternatePort?: number;
}

export class SimStunServer {
  readonly requests: Array<{ at: number; from: string; to: string }> = [];
  readonly primary: { address: string; port: number };
  readonly alternate: { address: string; port: number } | undefined;
  /** When true, requests are swallowed (a dead server). */
  silent = false;
  #out = new Uint8Array(512);

  constructor(readonly net: SimNet, options: SimStunServerOptions) {
    const pp = options.primaryPort ?? 3478;
    const ap = options.alternatePort ?? 3479;
    this.primary = { address: options.primaryIp, port: pp };
    this.alternate = options.alternateIp ? { address: options.alternateIp, port: ap } : undefined;
    const ips = options.alternateIp ? [options.primaryIp, options.alternateIp] : [options.primaryIp];
    const ports = options.alternateIp ? [pp, ap] : [pp];
    for (const ip of ips) for (const port of ports) net.bind(ip, port, (now, dg) => this.#receive(now, dg));
  }

  #receive(now: number, dg: Datagram): void {
    this.requests.push({ at: now, from: `${dg.from.address}:${dg.from.port}`, to: `${dg.to.address}:${dg.to.port}` });
    if (this.silent) return;
    const local = { address: dg.to.address, port: dg.to.port };
    // RFC 5780 §6.1: OTHER-ADDRESS is the address differing in both IP and port from the one the
    // request arrived at; CHANGE-REQUEST is applied relative to that arrival address.
    const other = this.alternate
      ? {
          address: local.address === this.primary.address ? this.alternate.address : this.primary.address,
          port: local.port === this.primary.port ? this.alternate.port : this.primary.port,
        }
      : undefined;
    const a = answerBindingRequest(dg.bytes, dg.from, this.#out, { responseOrigin: local, otherAddress: other });
    if (a.kind === 'drop') return;
    // Success: from the address CHANGE-REQUEST selected, to RESPONSE-PORT (RFC 5780 §6.1, §7.5).
    const origin = a.kind === 'success' && a.origin !== undefined ? a.origin : local;
    this.net.send(now, origin, { address: dg.from.address, port: a.toPort }, this.#out.subarray(0, a.length));
  }
}
