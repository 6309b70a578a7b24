// NAT-PMP client (RFC 6886) (adapter): external address, UDP/TCP mappings with the RFC's
// doubling retransmission, and a mapping object that refreshes at half-life and deletes itself
// on close — the second port-mapping protocol beside UPnP IGD.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { NatError } from '../errors.js';
import {
  decodeNatPmpResponse,
  encodeExternalAddressRequest,
  encodeMapRequest,
  NATPMP_INITIAL_RTO_MS,
  NATPMP_PORT,
  natPmpResultName,
  type NatPmpProtocol,
  type NatPmpResponse,
} from '../core/natpmp.js';
import { isUsableExternalAddress, refreshDelayMs } from '../core/upnp-mapping-plan.js';

/** Options of {@link NatPmpClient}. */
export interface NatPmpClientOptions {
  /** The gateway's LAN address; default the IPv4 default route's gateway (Linux /proc/net/route). */
  readonly gateway?: string;
  /** Default 5351 (tests use a loopback responder on another port). */
  readonly port?: number;
  /** First timeout, ms, doubling per attempt; default 250 (RFC 6886 §3.1). */
  readonly initialRtoMs?: number;
  /**
   * Requests per transaction; default 4 (gives up after 3.75 s). RFC 6886 §3.1 allows 9
   * (64 s) but a caller racing UPnP and STUN wants an answer sooner.
   */
  readonly attempts?: number;
}

/** A mapping as the gateway granted it. */
export interface NatPmpGrant {
  readonly protocol: NatPmpProtocol;
  readonly internalPort: number;
  readonly externalPort: number;
  /** Granted lifetime in s (may be shorter than asked). */
  readonly lifetimeS: number;
}

/** Largest NAT-PMP answer read; a valid one is 16 bytes (RFC 6886 §3.3). */
const MAX_RESPONSE_BYTES = 1100;

/** Talks NAT-PMP to one gateway; each call is one transaction on a fresh socket. */
export class NatPmpClient {
  readonly gateway: string;
  private readonly port: number;
  private readonly rtoMs: number;
  private readonly attempts: number;
  /** Datagrams ignored: wrong sender, undecodable, or not the awaited answer. */
  ignored = 0;

  /** @throws NatError ERR_INVALID_PARAMETER when no gateway is given and none is found. */
  constructor(opts: NatPmpClientOptions = {}) {
    const gw = opts.gateway ?? defaultGatewayIpv4();
    if (gw === undefined) throw new NatError('ERR_INVALID_PARAMETER', 'gateway must be given: no IPv4 default route found');
    this.gateway = gw;
    this.port = opts.port ?? NATPMP_PORT;
    this.rtoMs = opts.initialRtoMs ?? NATPMP_INITIAL_RTO_MS;
    this.attempts = opts.attempts ?? 4;
  }

  /**
   * The gateway's external IPv4 address (RFC 6886 §3.2).
   * @throws NatError NAT_PMP_TIMEOUT, NAT_PMP_RESULT (details.resultCode), NAT_PMP_BAD_RESPONSE (unusable address).
   */
  async getExternalAddress(): Promise<string> {
    const r = await this.transact(encodeExternalAddressRequest(), (x) => x.kind === 'external-address');
    if (r.kind !== 'external-address' || !isUsableExternalAddress(r.address)) {
      throw new NatError('NAT_PMP_BAD_RESPONSE', `NAT-PMP gateway ${this.gateway} reported no usable external address`, { got: r.kind === 'external-address' ? r.address : r.kind });
    }
    return r.address;
  }

  /**
   * Creates or renews a mapping (RFC 6886 §3.3); the gateway may pick another external port.
   * @throws NatError NAT_PMP_TIMEOUT, NAT_PMP_RESULT, NAT_PMP_BAD_RESPONSE; RangeError for bad ports.
   */
  async map(req: { protocol: NatPmpProtocol; internalPort: number; externalPort?: number; lifetimeS: number }): Promise<NatPmpGrant> {
    const bytes = encodeMapRequest({ protocol: req.protocol, internalPort: req.internalPort, externalPort: req.externalPort ?? req.internalPort, lifetimeS: req.lifetimeS });
    const r = await this.transact(bytes, (x) => x.kind === 'map' && x.protocol === req.protocol && x.internalPort === req.internalPort);
    if (r.kind !== 'map' || (req.lifetimeS > 0 && (r.externalPort === 0 || r.lifetimeS === 0))) {
      throw new NatError('NAT_PMP_BAD_RESPONSE', `NAT-PMP gateway ${this.gateway} granted no usable mapping`, {});
    }
    return { protocol: r.protocol, internalPort: r.internalPort, externalPort: r.externalPort, lifetimeS: r.lifetimeS };
  }

  /** Deletes the mapping of `internalPort` (lifetime 0, external port 0: RFC 6886 §3.4). */
  async unmap(protocol: NatPmpProtocol, internalPort: number): Promise<void> {
    await this.map({ protocol, internalPort, externalPort: 0, lifetimeS: 0 });
  }

  private transact(request: Uint8Array, matches: (r: NatPmpResponse) => boolean): Promise<NatPmpResponse> {
    return new Promise((resolve, reject) => {
      const sock = createSocket('udp4');
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: NatError | undefined, r?: NatPmpResponse): void => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        sock.close();
        if (err) reject(err);
        else resolve(r!);
      };
      sock.on('error', (err) => finish(new NatError('NAT_PMP_TIMEOUT', `NAT-PMP socket failed: ${err.message}`, { gateway: this.gateway }, err)));
      sock.on('message', (msg, rinfo) => {
        // RFC 6886 §3.1: only answers from the gateway's own address and port count.
        if (rinfo.address !== this.gateway || rinfo.port !== this.port || msg.length > MAX_RESPONSE_BYTES) {
          this.ignored++;
          return;
        }
        const d = decodeNatPmpResponse(msg);
        if (!d.ok || !(d.response.result !== 0 || matches(d.response))) {
          this.ignored++;
          return;
        }
        if (d.response.result !== 0) {
          finish(new NatError('NAT_PMP_RESULT', `NAT-PMP gateway ${this.gateway} answered ${natPmpResultName(d.response.result)} (${d.response.result})`,
            { gateway: this.gateway, resultCode: d.response.result }));
          return;
        }
        finish(undefined, d.response);
      });
      const send = (): void => {
        if (attempt >= this.attempts) {
          const total = this.rtoMs * (2 ** this.attempts - 1);
          finish(new NatError('NAT_PMP_TIMEOUT', `NAT-PMP gateway ${this.gateway} did not answer ${this.attempts} requests within ${total} ms`,
            { gateway: this.gateway, attempts: this.attempts }));
          return;
        }
        const wait = this.rtoMs * 2 ** attempt;
        attempt++;
        sock.send(request, this.port, this.gateway);
        timer = setTimeout(send, wait);
      };
      sock.bind(0, send);
    });
  }
}

/**
 * The IPv4 default gateway from Linux's /proc/net/route, or undefined (other systems, no route).
 * Routes list the gateway as little-endian hex.
 */
export function defaultGatewayIpv4(routeTable?: string): string | undefined {
  let text = routeTable;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/net/route', 'utf8');
    } catch {
      return undefined;
    }
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[1] !== '00000000' || !/^[0-9A-Fa-f]{8}$/.test(f[2]!)) continue;
    const n = parseInt(f[2]!, 16);
    if (n === 0) continue;
    return `${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${n >>> 24}`;
  }
  return undefined;
}

/** Events of a {@link NatPmpPortMapping} (as UpnpMappingEvents). */
export interface NatPmpMappingEvents {
  refreshed: [lifetimeS: number];
  changed: [from: number, to: number];
  refreshFailed: [error: NatError];
}

/** A NAT-PMP mapping that renews itself at half-life until closed (RFC 6886 §3.3). */
export class NatPmpPortMapping extends EventEmitter<NatPmpMappingEvents> {
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  /** @internal built by openNatPmpMapping */
  constructor(
    readonly client: NatPmpClient,
    readonly externalAddress: string,
    public externalPort: number,
    readonly internalPort: number,
    readonly protocol: NatPmpProtocol,
    public lifetimeS: number,
    private readonly requestedLifetimeS: number,
    refresh: boolean,
  ) {
    super();
    if (refresh) this.schedule();
  }

  get isOpen(): boolean {
    return this.closing === undefined;
  }

  /**
   * Renews now, asking for the same external port; emits 'changed' if the gateway moved it.
   * @throws NatError as NatPmpClient.map, NAT_UPNP_CLOSED after close.
   */
  async refresh(): Promise<void> {
    if (this.closing) throw new NatError('NAT_UPNP_CLOSED', 'the NAT-PMP mapping is closed');
    const g = await this.client.map({ protocol: this.protocol, internalPort: this.internalPort, externalPort: this.externalPort, lifetimeS: this.requestedLifetimeS });
    this.lifetimeS = g.lifetimeS;
    if (g.externalPort !== this.externalPort) {
      const from = this.externalPort;
      this.externalPort = g.externalPort;
      this.emit('changed', from, g.externalPort);
    }
    this.emit('refreshed', g.lifetimeS);
  }

  /** Stops refreshing and deletes the mapping. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      if (this.timer) clearTimeout(this.timer);
      this.closing = this.client.unmap(this.protocol, this.internalPort);
    }
    return this.closing;
  }

  private schedule(): void {
    const d = refreshDelayMs(this.lifetimeS);
    if (d === undefined || this.closing) return;
    this.timer = setTimeout(() => {
      this.refresh().then(
        () => this.schedule(),
        (err: unknown) => {
          if (this.closing) return;
          this.emit('refreshFailed', err instanceof NatError ? err : new NatError('NAT_PMP_TIMEOUT', String(err)));
          this.schedule();
        },
      );
    }, d);
    this.timer.unref();
  }
}

/** Options of {@link openNatPmpMapping}. */
export interface NatPmpMappingOptions extends NatPmpClientOptions {
  readonly internalPort: number;
  readonly protocol?: NatPmpProtocol;
  /** Suggested external port; default the internal port. */
  readonly externalPort?: number;
  /** Requested lifetime, s; default 1200 (finite, like the UPnP mappings). */
  readonly lifetimeS?: number;
  /** Renew at half-life until closed; default true. */
  readonly refresh?: boolean;
}

/**
 * Reads the external address and maps `internalPort` with NAT-PMP.
 * @throws NatError ERR_INVALID_PARAMETER, NAT_PMP_TIMEOUT, NAT_PMP_RESULT, NAT_PMP_BAD_RESPONSE.
 */
export async function openNatPmpMapping(opts: NatPmpMappingOptions): Promise<NatPmpPortMapping> {
  if (!Number.isInteger(opts.internalPort) || opts.internalPort < 1 || opts.internalPort > 65535) {
    throw new NatError('ERR_INVALID_PARAMETER', `internalPort must be an integer 1..65535, got ${opts.internalPort}`);
  }
  const lifetime = opts.lifetimeS ?? 1200;
  if (!Number.isInteger(lifetime) || lifetime < 1) throw new NatError('ERR_INVALID_PARAMETER', `lifetimeS must be a positive integer, got ${lifetime}`);
  const client = new NatPmpClient(opts);
  const externalAddress = await client.getExternalAddress();
  const protocol = opts.protocol ?? 'UDP';
  const g = await client.map({ protocol, internalPort: opts.internalPort, externalPort: opts.externalPort, lifetimeS: lifetime });
  return new NatPmpPortMapping(client, externalAddress, g.externalPort, opts.internalPort, protocol, g.lifetimeS, lifetime, opts.refresh ?? true);
}
