// A UPnP port mapping's life (adapter): create it (another external port on conflict, v2
// AddAnyPortMapping when offered), verify it in the router's own table before anyone
// advertises it, refresh its finite lease, delete it on close.
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { NatError } from '../errors.js';
import {
  clampLease,
  DEFAULT_LEASE_S,
  isPrivateIpv4,
  isUsableExternalAddress,
  MAX_PORT_ATTEMPTS,
  refreshDelayMs,
  retryAfterFault,
} from '../core/upnp-mapping-plan.js';
import { UpnpErrorCode, type UpnpMappingArgs, type UpnpProtocol } from '../core/upnp-soap.js';
import { discoverUpnpGateway, UpnpGateway, type UpnpDiscoverOptions } from './upnp-gateway.js';

/** Options of {@link openUpnpMapping}. */
export interface UpnpMappingOptions {
  /** The local port to reach (the ENet socket's port), 1..65535. */
  readonly internalPort: number;
  /** Default 'UDP'. */
  readonly protocol?: UpnpProtocol;
  /** External port to ask for first; default the internal port. Taken → another one. */
  readonly externalPort?: number;
  /** Lease in s, clamped to 60..604800; default 1200. Never permanent unless the router insists (725). */
  readonly leaseS?: number;
  /** Shown in the router's mapping table; default 'meshpunch'. */
  readonly description?: string;
  /** A gateway found earlier; default: discover one with `discover`. */
  readonly gateway?: UpnpGateway;
  readonly discover?: UpnpDiscoverOptions;
  /** Refresh the lease at half-time until closed; default true. */
  readonly refresh?: boolean;
}

/** Events of a {@link UpnpPortMapping}. */
export interface UpnpMappingEvents {
  /** The lease was renewed (granted lease in s). */
  refreshed: [leaseS: number];
  /** A refresh found the port taken and mapped another one: advertise the new port. */
  changed: [from: number, to: number];
  /** A refresh failed; it is retried (after at most 30 s) until close. */
  refreshFailed: [error: NatError];
}

/** How the mapping was checked before being handed out. */
export type UpnpVerification = 'router-entry' | 'unverifiable';

/** Delay before retrying a failed refresh, ms (bounded by half the lease). */
const REFRESH_RETRY_MS = 30_000;

/**
 * One UDP (or TCP) port mapping on a UPnP gateway. Created by {@link openUpnpMapping}; call
 * {@link close} when the socket closes: it deletes the mapping from the router.
 */
export class UpnpPortMapping extends EventEmitter<UpnpMappingEvents> {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** @internal built by openUpnpMapping */
  constructor(
    readonly gateway: UpnpGateway,
    /** The router's public address (GetExternalIPAddress). */
    readonly externalAddress: string,
    /** The mapped public port. Changes only with a 'changed' event. */
    public externalPort: number,
    readonly internalClient: string,
    readonly internalPort: number,
    readonly protocol: UpnpProtocol,
    /** Lease in s as granted (0 = permanent, only when the router refused finite ones). */
    public leaseS: number,
    readonly verification: UpnpVerification,
    private readonly requestArgs: Omit<UpnpMappingArgs, 'externalPort' | 'leaseS'>,
    refresh: boolean,
  ) {
    super();
    if (refresh) this.schedule(refreshDelayMs(leaseS));
  }

  /** Whether close() has not been called. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Whether the router's own external address is private: another NAT sits above it (double NAT). */
  get isBehindAnotherNat(): boolean {
    return isPrivateIpv4(this.externalAddress);
  }

  /**
   * Renews the lease now (AddPortMapping again with the same ports: a router updates its own
   * client's mapping). If the port went to someone else meanwhile, maps another and emits 'changed'.
   * @throws NatError as openUpnpMapping.
   */
  async refresh(): Promise<void> {
    if (this.closed) throw new NatError('NAT_UPNP_CLOSED', 'the UPnP mapping is closed');
    const lease = this.leaseS;
    try {
      await this.gateway.addPortMapping({ ...this.requestArgs, externalPort: this.externalPort, leaseS: lease });
      this.emit('refreshed', lease);
    } catch (err) {
      if (!(err instanceof NatError) || err.details.upnpErrorCode !== UpnpErrorCode.ConflictInMappingEntry) throw err;
      const from = this.externalPort;
      const got = await createMapping(this.gateway, { ...this.requestArgs, externalPort: randomPort(), leaseS: lease });
      if (this.closed) {
        await this.gateway.deletePortMapping(got.externalPort, this.protocol);
        return;
      }
      this.externalPort = got.externalPort;
      this.leaseS = got.leaseS;
      this.emit('changed', from, got.externalPort);
    }
  }

  /**
   * Stops refreshing and deletes the mapping (DeletePortMapping with the protocol set: the
   * library measured in natlab.md §6 left UDP mappings behind by sending it empty). Idempotent.
   * @throws NatError when the router refuses the deletion (the mapping then dies with its lease).
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.closing = this.gateway.deletePortMapping(this.externalPort, this.protocol);
    return this.closing;
  }

  private schedule(delayMs: number | undefined): void {
    if (delayMs === undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh().then(
        () => this.schedule(refreshDelayMs(this.leaseS)),
        (err: unknown) => {
          if (this.closed) return;
          this.emit('refreshFailed', err instanceof NatError ? err : new NatError('NAT_UPNP_HTTP_ERROR', String(err)));
          this.schedule(Math.min(REFRESH_RETRY_MS, refreshDelayMs(this.leaseS) ?? REFRESH_RETRY_MS));
        },
      );
    }, delayMs);
    // The mapping must not keep a process alive on its own; the app's socket does that.
    this.timer.unref();
  }
}

/**
 * Maps a port on the LAN's UPnP gateway and verifies it: discovers the gateway (unless given),
 * reads the external address, maps (another external port when the wanted one is taken; IGDv2's
 * AddAnyPortMapping lets the router choose), then reads the entry back with
 * GetSpecificPortMappingEntry and requires it to point at this host and port.
 * @throws NatError NAT_UPNP_NO_GATEWAY, NAT_UPNP_MAPPING_FAILED (router refused every attempt;
 *   cause = last fault), NAT_UPNP_VERIFY_FAILED (entry missing or pointing elsewhere; the
 *   mapping is removed first when it is ours), NAT_UPNP_BAD_RESPONSE, NAT_UPNP_TIMEOUT,
 *   NAT_UPNP_HTTP_ERROR; ERR_INVALID_PARAMETER for bad options.
 */
export async function openUpnpMapping(opts: UpnpMappingOptions): Promise<UpnpPortMapping> {
  checkPort('internalPort', opts.internalPort);
  if (opts.externalPort !== undefined) checkPort('externalPort', opts.externalPort);
  let lease: number;
  try {
    lease = clampLease(opts.leaseS ?? DEFAULT_LEASE_S);
  } catch (err) {
    throw new NatError('ERR_INVALID_PARAMETER', (err as Error).message, { leaseS: opts.leaseS });
  }
  const protocol = opts.protocol ?? 'UDP';
  const gw = opts.gateway ?? (await discoverUpnpGateway(opts.discover));
  const internalClient = gw.localAddress;
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(internalClient)) {
    throw new NatError('NAT_UPNP_MAPPING_FAILED', `no IPv4 LAN address towards the gateway (got ${JSON.stringify(internalClient)})`);
  }
  const externalAddress = await gw.getExternalAddress();
  if (!isUsableExternalAddress(externalAddress)) {
    // 0.0.0.0 is what routers report while their WAN link is down: nothing to advertise.
    throw new NatError('NAT_UPNP_MAPPING_FAILED', `the router reports no usable external address (${externalAddress})`, { externalAddress });
  }
  const base = { protocol, internalPort: opts.internalPort, internalClient, description: opts.description ?? 'meshpunch' };
  const made = await createMapping(gw, { ...base, externalPort: opts.externalPort ?? opts.internalPort, leaseS: lease });

  let verification: UpnpVerification = 'router-entry';
  let granted = made.leaseS;
  try {
    const entry = await gw.getSpecificPortMappingEntry(made.externalPort, protocol);
    if (entry === undefined) {
      throw new NatError('NAT_UPNP_VERIFY_FAILED', `the router holds no ${protocol} mapping for port ${made.externalPort} right after adding it`,
        { externalPort: made.externalPort });
    }
    if (entry.internalClient !== internalClient || entry.internalPort !== opts.internalPort || !entry.enabled) {
      // Someone else's mapping: never delete it.
      throw new NatError('NAT_UPNP_VERIFY_FAILED',
        `port ${made.externalPort} maps to ${entry.internalClient}:${entry.internalPort}${entry.enabled ? '' : ' (disabled)'}, not ${internalClient}:${opts.internalPort}`,
        { externalPort: made.externalPort, internalClient: entry.internalClient, internalPort: entry.internalPort, enabled: entry.enabled });
    }
    if (entry.leaseS > 0 && entry.leaseS < granted) granted = entry.leaseS;
  } catch (err) {
    const code = err instanceof NatError ? err.details.upnpErrorCode : undefined;
    if (code === UpnpErrorCode.InvalidAction || code === UpnpErrorCode.OptionalActionNotImplemented) {
      verification = 'unverifiable';
    } else {
      if (err instanceof NatError && err.code === 'NAT_UPNP_VERIFY_FAILED' && err.details.internalClient === undefined) {
        await gw.deletePortMapping(made.externalPort, protocol).catch(() => undefined);
      }
      throw err;
    }
  }
  return new UpnpPortMapping(gw, externalAddress, made.externalPort, internalClient, opts.internalPort, protocol, granted, verification, base,
    opts.refresh ?? true);
}

/** Runs the add → (fault → decision → retry) loop of core/upnp-mapping-plan. */
async function createMapping(gw: UpnpGateway, first: UpnpMappingArgs): Promise<{ externalPort: number; leaseS: number }> {
  let args = first;
  let useAny = gw.igdVersion === 2;
  const tried = new Set<number>();
  for (let attempts = 1; ; attempts++) {
    tried.add(args.externalPort);
    try {
      const port = useAny ? await gw.addAnyPortMapping(args) : (await gw.addPortMapping(args), args.externalPort);
      return { externalPort: port, leaseS: args.leaseS };
    } catch (err) {
      if (!(err instanceof NatError) || err.code !== 'NAT_UPNP_SOAP_FAULT') throw err;
      const code = Number(err.details.upnpErrorCode);
      const next = retryAfterFault(code, { usedAnyPort: useAny, leaseS: args.leaseS, externalPort: args.externalPort, internalPort: args.internalPort, attempts });
      switch (next.kind) {
        case 'other-port': {
          let p = randomPort();
          for (let i = 0; i < 16 && tried.has(p); i++) p = randomPort();
          args = { ...args, externalPort: p };
          break;
        }
        case 'same-port':
          args = { ...args, externalPort: args.internalPort };
          break;
        case 'permanent-lease':
          args = { ...args, leaseS: 0 };
          break;
        case 'plain-add':
          useAny = false;
          break;
        case 'fail':
          throw new NatError('NAT_UPNP_MAPPING_FAILED',
            `the router refused to map ${args.protocol} port ${args.externalPort} → ${args.internalClient}:${args.internalPort} after ${attempts} attempt(s) (max ${MAX_PORT_ATTEMPTS}): UPnP error ${code}`,
            { upnpErrorCode: code, attempts }, err);
      }
    }
  }
}

/** A random external port in the registered/dynamic range 1024..65535. */
function randomPort(): number {
  return randomInt(1024, 65536);
}

function checkPort(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 65535) throw new NatError('ERR_INVALID_PARAMETER', `${name} must be an integer 1..65535, got ${v}`, { [name]: v });
}
