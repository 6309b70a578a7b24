// Reading an Internet Gateway Device's root description (UPnP IGD v1 and v2): find the WAN
// connection service and resolve its control URL (core, sans-IO).
import { child, children, childText, parseUpnpXml, type XmlNode } from './upnp-xml.js';

/** Largest device description accepted, characters; miniupnpd's is ~4 KB, big routers ~20 KB. */
export const IGD_DESCRIPTION_MAX_CHARS = 128 * 1024;

/** Nesting of embedded devices we follow (IGD → WANDevice → WANConnectionDevice = 3). */
const MAX_DEVICE_DEPTH = 6;
/** Services looked at in one description; a real IGD has fewer than 10. */
const MAX_SERVICES = 64;

/**
 * WAN connection services that can map ports, best first: WANIPConnection:2 has
 * AddAnyPortMapping (IGDv2 §2.5.16); v1 is what IGDv1 routers offer; PPP is the v1 dial-up form.
 */
export const WAN_SERVICE_TYPES: readonly string[] = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
];

/** The port-mapping service of a gateway, from its description. */
export interface IgdService {
  /** Full service type URN, e.g. `urn:schemas-upnp-org:service:WANIPConnection:2`. */
  readonly serviceType: string;
  /** 1 or 2: the WANIPConnection version (WANPPPConnection:1 counts as 1). */
  readonly version: 1 | 2;
  /** Absolute http URL that SOAP actions are POSTed to. */
  readonly controlUrl: string;
  /** The root device's deviceType (InternetGatewayDevice:1 or :2). */
  readonly deviceType: string;
  readonly friendlyName: string;
  readonly manufacturer: string;
  readonly modelName: string;
}

/** Why a description gave no usable service. */
export type IgdDescriptionError = 'too-large' | 'has-dtd' | 'malformed' | 'not-a-device' | 'no-wan-service' | 'bad-control-url';

/** Result of {@link parseIgdDescription}. */
export type IgdDescriptionResult =
  | { readonly ok: true; readonly service: IgdService }
  | { readonly ok: false; readonly error: IgdDescriptionError; readonly detail: string };

/**
 * Picks the best WAN connection service ({@link WAN_SERVICE_TYPES}) in a root description and
 * resolves its controlURL against URLBase (IGDv1) or the description's own URL. The control URL
 * must be http and on the same host as the description (see locationMatchesSender). Never throws.
 * @param descriptionUrl the absolute URL the description was fetched from.
 */
export function parseIgdDescription(xml: string, descriptionUrl: string): IgdDescriptionResult {
  const parsed = parseUpnpXml(xml, IGD_DESCRIPTION_MAX_CHARS);
  if (!parsed.ok) return { ok: false, error: parsed.error, detail: parsed.detail };
  const root = child(parsed.root, 'root');
  const device = child(root, 'device');
  if (device === undefined || typeof device === 'string') return { ok: false, error: 'not-a-device', detail: 'no <root><device>' };

  const found: Array<{ serviceType: string; controlUrl: string }> = [];
  collectServices(device, 0, found);
  let best: { serviceType: string; controlUrl: string } | undefined;
  for (const type of WAN_SERVICE_TYPES) {
    best = found.find((s) => s.serviceType === type);
    if (best) break;
  }
  if (best === undefined) {
    return { ok: false, error: 'no-wan-service', detail: `services: ${found.map((s) => s.serviceType).join(', ') || 'none'}` };
  }

  let base: URL;
  try {
    base = new URL(childText(root, 'URLBase') || descriptionUrl);
  } catch {
    return { ok: false, error: 'bad-control-url', detail: 'unparsable URLBase' };
  }
  let control: URL;
  try {
    control = new URL(best.controlUrl, base);
  } catch {
    return { ok: false, error: 'bad-control-url', detail: `unparsable controlURL ${best.controlUrl.slice(0, 100)}` };
  }
  let descHost: string;
  try {
    descHost = new URL(descriptionUrl).hostname;
  } catch {
    return { ok: false, error: 'bad-control-url', detail: 'unparsable description URL' };
  }
  if (control.protocol !== 'http:' || control.hostname !== descHost) {
    return { ok: false, error: 'bad-control-url', detail: `controlURL ${control.href.slice(0, 100)} is not http on ${descHost}` };
  }
  return {
    ok: true,
    service: {
      serviceType: best.serviceType,
      version: best.serviceType.endsWith(':2') ? 2 : 1,
      controlUrl: control.href,
      deviceType: childText(device, 'deviceType') ?? '',
      friendlyName: childText(device, 'friendlyName') ?? '',
      manufacturer: childText(device, 'manufacturer') ?? '',
      modelName: childText(device, 'modelName') ?? '',
    },
  };
}

function collectServices(device: XmlNode, depth: number, out: Array<{ serviceType: string; controlUrl: string }>): void {
  if (depth > MAX_DEVICE_DEPTH || out.length >= MAX_SERVICES) return;
  for (const svc of children(child(device, 'serviceList'), 'service')) {
    const serviceType = childText(svc, 'serviceType');
    const controlUrl = childText(svc, 'controlURL');
    if (serviceType && controlUrl && out.length < MAX_SERVICES) out.push({ serviceType, controlUrl });
  }
  for (const sub of children(child(device, 'deviceList'), 'device')) collectServices(sub, depth + 1, out);
}
