// SOAP 1.1 envelopes for the IGD WANIPConnection actions (UPnP DA 1.1 §3.2; IGD
// WANIPConnection:1 and :2 service specs): request encoding and response/fault parsing
// (core, sans-IO).
import { child, childText, parseUpnpXml, type XmlNode } from './upnp-xml.js';
import { NatError } from '../errors.js';

/** Largest SOAP response accepted, characters; real answers are under 2 KB. */
export const SOAP_RESPONSE_MAX_CHARS = 32 * 1024;

/**
 * UPnP error codes met when mapping ports (WANIPConnection:2 §2.4 / :1 §2.4; UDA §3.2.2).
 * A router answers with one of these in a SOAP fault (HTTP 500).
 */
export const UpnpErrorCode = Object.freeze({
  /** The action is not offered by this service. */
  InvalidAction: 401,
  InvalidArgs: 402,
  ActionFailed: 501,
  /** The router does not implement an optional action. */
  OptionalActionNotImplemented: 602,
  /** The caller may not map to that client (miniupnpd secure_mode, natlab.md §6). */
  NotAuthorized: 606,
  /** GetSpecificPortMappingEntry / DeletePortMapping: no such mapping. */
  NoSuchEntryInArray: 714,
  WildCardNotPermittedInSrcIP: 715,
  WildCardNotPermittedInExtPort: 716,
  /** The external port is already mapped to another client. */
  ConflictInMappingEntry: 718,
  /** The router requires internal port = external port. */
  SamePortValuesRequired: 724,
  /** The router only accepts lease 0 (permanent), e.g. MikroTik (docs/specs/nat-traversal.md §4). */
  OnlyPermanentLeasesSupported: 725,
  RemoteHostOnlySupportsWildcard: 726,
  ExternalPortOnlySupportsWildcard: 727,
  /** IGDv2: no free port for AddAnyPortMapping. */
  NoPortMapsAvailable: 728,
  /** IGDv2: the mapping conflicts with another mechanism. */
  ConflictWithOtherMechanisms: 729,
});

/** Arguments of one action, in the order the service specification lists them (some routers care). */
export type SoapArgs = ReadonlyArray<readonly [name: string, value: string | number]>;

/** An encoded SOAP request: POST `body` to the control URL with these two headers. */
export interface SoapRequest {
  /** The `SOAPAction` header value, quoted (UDA 1.1 §3.2.1). */
  readonly soapAction: string;
  readonly contentType: string;
  readonly body: string;
}

/**
 * Encodes `action` of `serviceType` with `args` as a SOAP 1.1 envelope (UDA 1.1 §3.2.1).
 * @throws RangeError when the action or an argument name is not an XML name.
 */
export function encodeSoapRequest(serviceType: string, action: string, args: SoapArgs): SoapRequest {
  if (!XML_NAME.test(action)) throw new NatError('ERR_INVALID_PARAMETER', `action must be an XML name, got ${action}`);
  let inner = '';
  for (const [name, value] of args) {
    if (!XML_NAME.test(name)) throw new NatError('ERR_INVALID_PARAMETER', `argument name must be an XML name, got ${name}`);
    inner += `<${name}>${escapeXml(String(value))}</${name}>`;
  }
  const body =
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${escapeXml(serviceType)}">${inner}</u:${action}></s:Body></s:Envelope>\r\n`;
  return { soapAction: `"${serviceType}#${action}"`, contentType: 'text/xml; charset="utf-8"', body };
}

/** Result of {@link parseSoapResponse}. */
export type SoapResult =
  | { readonly kind: 'ok'; readonly values: ReadonlyMap<string, string> }
  | { readonly kind: 'fault'; readonly upnpErrorCode: number; readonly description: string }
  | { readonly kind: 'bad'; readonly detail: string };

/**
 * Reads the response to `action`: the `<actionResponse>` element's text children, or a
 * UPnPError fault (UDA 1.1 §3.2.2). The HTTP status is checked by the caller: 200 carries a
 * response, 500 a fault. Never throws.
 */
export function parseSoapResponse(xml: string, action: string): SoapResult {
  const parsed = parseUpnpXml(xml, SOAP_RESPONSE_MAX_CHARS);
  if (!parsed.ok) return { kind: 'bad', detail: `${parsed.error}: ${parsed.detail}` };
  const body = child(child(parsed.root, 'Envelope'), 'Body');
  if (body === undefined || typeof body === 'string') return { kind: 'bad', detail: 'no SOAP Envelope/Body' };
  const fault = child(body, 'Fault');
  if (fault !== undefined) {
    const err = child(child(fault, 'detail'), 'UPnPError');
    const codeText = childText(err, 'errorCode');
    const code = codeText !== undefined && /^\d{1,4}$/.test(codeText) ? Number(codeText) : NaN;
    if (!Number.isInteger(code)) return { kind: 'bad', detail: 'SOAP fault without a UPnPError errorCode' };
    return { kind: 'fault', upnpErrorCode: code, description: (childText(err, 'errorDescription') ?? '').slice(0, 200) };
  }
  const resp = child(body, `${action}Response`);
  if (resp === undefined) return { kind: 'bad', detail: `no ${action}Response element` };
  const values = new Map<string, string>();
  if (typeof resp !== 'string') {
    for (const name of Object.keys(resp)) {
      const v = childText(resp as XmlNode, name);
      if (v !== undefined) values.set(name, v);
    }
  }
  return { kind: 'ok', values };
}

/** Protocol names as the IGD services spell them. */
export type UpnpProtocol = 'UDP' | 'TCP';

/** A port mapping as AddPortMapping / GetSpecificPortMappingEntry describe it. */
export interface UpnpMappingArgs {
  /** External port 1..65535 (0 = wildcard is refused by IGDv2 and by us). */
  readonly externalPort: number;
  readonly protocol: UpnpProtocol;
  readonly internalPort: number;
  /** The LAN address the router forwards to (must be the caller's own under secure mode). */
  readonly internalClient: string;
  readonly description: string;
  /** Lease in s; 0 = permanent (IGDv1 only, avoided: it leaks when a client dies). */
  readonly leaseS: number;
}

/** AddPortMapping arguments (WANIPConnection:1/:2 §2.4.16), NewRemoteHost empty = any remote. */
export function addPortMappingArgs(m: UpnpMappingArgs): SoapArgs {
  return [
    ['NewRemoteHost', ''],
    ['NewExternalPort', m.externalPort],
    ['NewProtocol', m.protocol],
    ['NewInternalPort', m.internalPort],
    ['NewInternalClient', m.internalClient],
    ['NewEnabled', 1],
    ['NewPortMappingDescription', m.description],
    ['NewLeaseDuration', m.leaseS],
  ];
}

/** AddAnyPortMapping (WANIPConnection:2 §2.5.16) takes the same arguments; the router may pick another port. */
export const addAnyPortMappingArgs = addPortMappingArgs;

/** DeletePortMapping / GetSpecificPortMappingEntry arguments. */
export function portMappingKeyArgs(externalPort: number, protocol: UpnpProtocol): SoapArgs {
  return [
    ['NewRemoteHost', ''],
    ['NewExternalPort', externalPort],
    ['NewProtocol', protocol],
  ];
}

/** What GetSpecificPortMappingEntry reports for one mapping. */
export interface UpnpMappingEntry {
  readonly internalPort: number;
  readonly internalClient: string;
  readonly enabled: boolean;
  readonly description: string;
  /** Remaining lease in s as the router reports it (0 = permanent). */
  readonly leaseS: number;
}

/** Decodes GetSpecificPortMappingEntry's values, or undefined when a field is missing or malformed. */
export function decodeMappingEntry(values: ReadonlyMap<string, string>): UpnpMappingEntry | undefined {
  const internalPort = parsePort(values.get('NewInternalPort'));
  const internalClient = values.get('NewInternalClient');
  const enabled = values.get('NewEnabled');
  const lease = values.get('NewLeaseDuration') ?? '0';
  if (internalPort === undefined || !internalClient || (enabled !== '1' && enabled !== '0') || !/^\d{1,10}$/.test(lease)) return undefined;
  return { internalPort, internalClient, enabled: enabled === '1', description: values.get('NewPortMappingDescription') ?? '', leaseS: Number(lease) };
}

/** A decimal port 1..65535, or undefined. */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;'));
}
