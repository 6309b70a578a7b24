// A UPnP Internet Gateway Device (adapter): find it (SSDP), read its description, and call the
// WANIPConnection actions over SOAP. Works with IGDv1 (WANIPConnection:1 / WANPPPConnection:1)
// and IGDv2 (WANIPConnection:2) descriptions alike (docs/specs/natlab.md §6 step 4).
import { NatError } from '../errors.js';
import { parseIgdDescription, IGD_DESCRIPTION_MAX_CHARS, type IgdService } from '../core/igd-description.js';
import {
  addAnyPortMappingArgs,
  addPortMappingArgs,
  decodeMappingEntry,
  encodeSoapRequest,
  parsePort,
  parseSoapResponse,
  portMappingKeyArgs,
  SOAP_RESPONSE_MAX_CHARS,
  UpnpErrorCode,
  type SoapArgs,
  type UpnpMappingArgs,
  type UpnpMappingEntry,
  type UpnpProtocol,
} from '../core/upnp-soap.js';
import { ssdpSearch, type SsdpSearchOptions, type SsdpSearchStats } from './ssdp-search.js';
import { upnpHttp } from './upnp-http.js';

/** Default limit of one HTTP exchange with the router, ms. Routers answer in well under 1 s. */
export const UPNP_HTTP_TIMEOUT_MS = 3000;

/** Options of {@link UpnpGateway.fromLocation}. */
export interface UpnpGatewayOptions {
  /** Limit of each HTTP exchange, ms; default {@link UPNP_HTTP_TIMEOUT_MS}. */
  readonly httpTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Options of {@link discoverUpnpGateway}: the SSDP search's plus the HTTP limit. */
export interface UpnpDiscoverOptions extends SsdpSearchOptions, UpnpGatewayOptions {}

/** A gateway whose WAN connection service is known; every method is one SOAP exchange. */
export class UpnpGateway {
  private constructor(
    /** URL of the root description (from SSDP LOCATION or given by the user). */
    readonly location: string,
    /** The chosen WAN connection service and its control URL. */
    readonly service: IgdService,
    /** Our LAN address as the router sees it: the internal client of mappings. */
    readonly localAddress: string,
    private readonly opts: UpnpGatewayOptions,
  ) {}

  /** 1 for an IGDv1 WAN service, 2 for WANIPConnection:2 (has AddAnyPortMapping). */
  get igdVersion(): 1 | 2 {
    return this.service.version;
  }

  /**
   * Reads the description at `location` and picks its WAN connection service.
   * @throws NatError NAT_UPNP_HTTP_ERROR / NAT_UPNP_TIMEOUT (fetch failed), NAT_UPNP_BAD_RESPONSE
   *   (status not 200, too large, malformed, no WAN connection service).
   */
  static async fromLocation(location: string, opts: UpnpGatewayOptions = {}): Promise<UpnpGateway> {
    const res = await upnpHttp(location, {
      method: 'GET', timeoutMs: opts.httpTimeoutMs ?? UPNP_HTTP_TIMEOUT_MS, maxBytes: IGD_DESCRIPTION_MAX_CHARS, signal: opts.signal,
    });
    if (res.status !== 200) throw new NatError('NAT_UPNP_BAD_RESPONSE', `device description ${location} answered HTTP ${res.status}`, { location, status: res.status });
    const d = parseIgdDescription(res.body, location);
    if (!d.ok) throw new NatError('NAT_UPNP_BAD_RESPONSE', `device description ${location} is unusable (${d.error}): ${d.detail}`, { location, reason: d.error });
    return new UpnpGateway(location, d.service, res.localAddress, opts);
  }

  /**
   * GetExternalIPAddress (WANIPConnection §2.4.18).
   * @throws NatError NAT_UPNP_SOAP_FAULT, NAT_UPNP_BAD_RESPONSE (no address in the answer), or an HTTP error code.
   */
  async getExternalAddress(): Promise<string> {
    const v = await this.action('GetExternalIPAddress', []);
    const ip = v.get('NewExternalIPAddress') ?? '';
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
      throw new NatError('NAT_UPNP_BAD_RESPONSE', `GetExternalIPAddress returned no IPv4 address (got ${JSON.stringify(ip.slice(0, 50))})`, { got: ip.slice(0, 50) });
    }
    return ip;
  }

  /**
   * AddPortMapping (WANIPConnection §2.4.16): maps exactly `externalPort`, or fails.
   * @throws NatError NAT_UPNP_SOAP_FAULT with details.upnpErrorCode (718 = taken, 725 = permanent only, …).
   */
  async addPortMapping(m: UpnpMappingArgs): Promise<void> {
    await this.action('AddPortMapping', addPortMappingArgs(m));
  }

  /**
   * AddAnyPortMapping (WANIPConnection:2 §2.5.16): maps `externalPort` or a port the router
   * chooses, which it returns.
   * @throws NatError NAT_UPNP_SOAP_FAULT (401 on an IGDv1 service), NAT_UPNP_BAD_RESPONSE (no valid NewReservedPort).
   */
  async addAnyPortMapping(m: UpnpMappingArgs): Promise<number> {
    const v = await this.action('AddAnyPortMapping', addAnyPortMappingArgs(m));
    const port = parsePort(v.get('NewReservedPort'));
    if (port === undefined) throw new NatError('NAT_UPNP_BAD_RESPONSE', 'AddAnyPortMapping returned no valid NewReservedPort', { got: v.get('NewReservedPort')?.slice(0, 20) });
    return port;
  }

  /**
   * GetSpecificPortMappingEntry (WANIPConnection §2.4.15): what the router holds for that
   * external port, or undefined when it holds nothing (714 NoSuchEntryInArray).
   * @throws NatError NAT_UPNP_SOAP_FAULT for other faults, NAT_UPNP_BAD_RESPONSE for a malformed entry.
   */
  async getSpecificPortMappingEntry(externalPort: number, protocol: UpnpProtocol): Promise<UpnpMappingEntry | undefined> {
    let v: ReadonlyMap<string, string>;
    try {
      v = await this.action('GetSpecificPortMappingEntry', portMappingKeyArgs(externalPort, protocol));
    } catch (err) {
      if (err instanceof NatError && err.details.upnpErrorCode === UpnpErrorCode.NoSuchEntryInArray) return undefined;
      throw err;
    }
    const e = decodeMappingEntry(v);
    if (e === undefined) throw new NatError('NAT_UPNP_BAD_RESPONSE', 'GetSpecificPortMappingEntry returned a malformed entry', { externalPort });
    return e;
  }

  /**
   * DeletePortMapping (WANIPConnection §2.4.17). A mapping that is already gone (714) counts as deleted.
   * @throws NatError NAT_UPNP_SOAP_FAULT for other faults.
   */
  async deletePortMapping(externalPort: number, protocol: UpnpProtocol): Promise<void> {
    try {
      await this.action('DeletePortMapping', portMappingKeyArgs(externalPort, protocol));
    } catch (err) {
      if (err instanceof NatError && err.details.upnpErrorCode === UpnpErrorCode.NoSuchEntryInArray) return;
      throw err;
    }
  }

  /**
   * Calls any action of the WAN connection service and returns the response's values.
   * @throws NatError NAT_UPNP_SOAP_FAULT (router's UPnPError; details.upnpErrorCode),
   *   NAT_UPNP_BAD_RESPONSE (status other than 200/500, malformed or oversized XML),
   *   NAT_UPNP_TIMEOUT, NAT_UPNP_HTTP_ERROR, NAT_UPNP_CLOSED.
   */
  async action(name: string, args: SoapArgs): Promise<ReadonlyMap<string, string>> {
    const req = encodeSoapRequest(this.service.serviceType, name, args);
    const url = this.service.controlUrl;
    const res = await upnpHttp(url, {
      method: 'POST',
      headers: { 'Content-Type': req.contentType, SOAPAction: req.soapAction },
      body: req.body,
      timeoutMs: this.opts.httpTimeoutMs ?? UPNP_HTTP_TIMEOUT_MS,
      maxBytes: SOAP_RESPONSE_MAX_CHARS,
      signal: this.opts.signal,
    });
    // UDA 1.1 §3.2.2: 200 carries the response, 500 a SOAP fault; anything else is broken.
    if (res.status !== 200 && res.status !== 500) {
      throw new NatError('NAT_UPNP_BAD_RESPONSE', `${name} answered HTTP ${res.status}`, { action: name, status: res.status });
    }
    const r = parseSoapResponse(res.body, name);
    if (r.kind === 'fault') {
      throw new NatError('NAT_UPNP_SOAP_FAULT', `${name} failed with UPnP error ${r.upnpErrorCode} (${r.description || 'no description'})`,
        { action: name, upnpErrorCode: r.upnpErrorCode, description: r.description });
    }
    if (r.kind === 'bad' || res.status !== 200) {
      throw new NatError('NAT_UPNP_BAD_RESPONSE', `${name} answered HTTP ${res.status} with an unusable body: ${r.kind === 'bad' ? r.detail : 'no fault'}`,
        { action: name, status: res.status });
    }
    return r.values;
  }
}

/**
 * Finds the gateway: M-SEARCH on the schedule of ssdpSearch, then the first answer whose
 * description has a WAN connection service wins (descriptions are fetched as answers arrive).
 * @throws NatError NAT_UPNP_NO_GATEWAY when none did within `timeoutMs` (details: search
 *   counters and the last description error), or the search's own errors.
 */
export async function discoverUpnpGateway(opts: UpnpDiscoverOptions = {}): Promise<UpnpGateway> {
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let found: UpnpGateway | undefined;
  let lastError: NatError | undefined;
  const pending: Array<Promise<void>> = [];
  let stats: SsdpSearchStats;
  try {
    stats = await ssdpSearch({ ...opts, signal: stop.signal }, (answer) => {
      pending.push(UpnpGateway.fromLocation(answer.location, { httpTimeoutMs: opts.httpTimeoutMs, signal: opts.signal }).then(
        (gw) => {
          if (found === undefined) {
            found = gw;
            stop.abort();
          }
        },
        (err: unknown) => {
          lastError = err instanceof NatError ? err : new NatError('NAT_UPNP_HTTP_ERROR', String(err));
        },
      ));
    });
    // Descriptions still being fetched when the search ended get their own HTTP time limit.
    await Promise.all(pending);
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (found) return found;
  if (opts.signal?.aborted) throw new NatError('NAT_UPNP_CLOSED', 'gateway discovery was aborted');
  throw new NatError('NAT_UPNP_NO_GATEWAY',
    lastError ? `no usable UPnP gateway answered: ${lastError.message}` : `no UPnP gateway answered within ${opts.timeoutMs ?? 3000} ms`,
    { stats, lastErrorCode: lastError?.code }, lastError);
}
