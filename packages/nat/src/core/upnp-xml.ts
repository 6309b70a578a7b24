// Safe XML reading for UPnP device descriptions and SOAP bodies (core, sans-IO): bounded size,
// no DTDs, namespace prefixes dropped, every value kept as text. Parsing is fast-xml-parser's.
import { XMLParser } from 'fast-xml-parser';

/** A parsed XML element: text, or child elements (an array where a name repeats). */
export type XmlNode = string | { readonly [name: string]: XmlNode | readonly XmlNode[] };

/** Why a UPnP XML document was refused. */
export type UpnpXmlError = 'too-large' | 'has-dtd' | 'malformed';

/** Result of {@link parseUpnpXml}. */
export type UpnpXmlResult = { readonly ok: true; readonly root: XmlNode } | { readonly ok: false; readonly error: UpnpXmlError; readonly detail: string };

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  // Ports, codes and addresses stay strings; callers validate them.
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // UPnP documents are shallow (a device tree is 3-4 levels); a deep one is hostile.
  maxNestedTags: 64,
});

/**
 * Parses a UPnP XML document of at most `maxChars` characters. DOCTYPE/ENTITY declarations are
 * refused outright: UPnP never uses them and they are the entity-expansion attack surface.
 * Never throws.
 */
export function parseUpnpXml(text: string, maxChars: number): UpnpXmlResult {
  if (text.length > maxChars) return { ok: false, error: 'too-large', detail: `${text.length} > ${maxChars} characters` };
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return { ok: false, error: 'has-dtd', detail: 'DOCTYPE/ENTITY declarations are not allowed' };
  try {
    // `true` = validate first: malformed XML is reported instead of half-parsed.
    const root = parser.parse(text, true) as XmlNode;
    if (typeof root !== 'object' || root === null) return { ok: false, error: 'malformed', detail: 'no root element' };
    return { ok: true, root };
  } catch (err) {
    return { ok: false, error: 'malformed', detail: String((err as Error)?.message ?? err).slice(0, 200) };
  }
}

/** The child element `name` of `node` (the first one if it repeats), or undefined. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  if (!Object.hasOwn(node, name)) return undefined;
  const v = node[name];
  return Array.isArray(v) ? (v[0] as XmlNode | undefined) : (v as XmlNode);
}

/** Every child element `name` of `node` (repeated or single), possibly none. */
export function children(node: XmlNode | undefined, name: string): readonly XmlNode[] {
  if (node === undefined || typeof node === 'string') return [];
  if (!Object.hasOwn(node, name)) return [];
  const v = node[name];
  return Array.isArray(v) ? (v as readonly XmlNode[]) : [v as XmlNode];
}

/** The text of child `name` ('' for an empty element), or undefined when absent or not text. */
export function childText(node: XmlNode | undefined, name: string): string | undefined {
  const c = child(node, name);
  if (c === undefined) return undefined;
  if (typeof c === 'string') return c;
  // An empty element parses as '' with fast-xml-parser; an element with children is not text.
  return Object.keys(c).length === 0 ? '' : undefined;
}
