// IPv4/IPv6 text <-> bytes without node:net (core, sans-IO): the one definition of IP address
// parsing (issue #15: nat, protocol, the agent and a punch helper each had one, with different
// rules) — for the STUN codec, candidates, the wire validator and the CLI's flags.
// Formatting follows RFC 5952 (lowercase, no leading zeros, longest zero run as "::").

/** 4 for a dotted-quad IPv4 address, 6 for IPv6 text (zone id allowed), 0 when neither. */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (text.includes(':')) return parseIpv6Into(text, SCRATCH, 0) ? 6 : 0;
  return parseIpv4Into(text, SCRATCH, 0) ? 4 : 0;
}

const SCRATCH = new Uint8Array(16);

/** True when `text` is a dotted-quad IPv4 address: four parts 0..255, no leading zeros. */
export function isIpv4(text: string): boolean {
  return parseIpv4Into(text, SCRATCH, 0);
}

/**
 * True when `text` is an IPv6 address literal (hex groups, at most one `::`, an optional dotted
 * quad at the end) without a zone id: what may travel in a candidate or a flag.
 */
export function isIpv6(text: string): boolean {
  return !text.includes('%') && parseIpv6Into(text, SCRATCH, 0);
}

/**
 * Writes the 4 bytes of a dotted-quad IPv4 address into `out` at `offset`.
 * Returns false (and leaves `out` partly written) when `text` is not exactly a.b.c.d with 0..255 parts.
 */
export function parseIpv4Into(text: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[offset + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      // A leading zero followed by more digits is ambiguous (octal in some parsers): reject it.
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (c - 0x30);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Writes the 16 bytes of an IPv6 address (RFC 4291 §2.2 text forms, including "::" and a trailing
 * dotted quad; a "%zone" suffix is ignored) into `out` at `offset`. Returns false when invalid.
 */
export function parseIpv6Into(text: string, out: Uint8Array, offset: number): boolean {
  const zone = text.indexOf('%');
  const s = zone >= 0 ? text.slice(0, zone) : text;
  if (s.length < 2 || s.length > 45) return false;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (s.startsWith('::')) {
    gap = 0;
    i = 2;
    if (s.length === 2) {
      out.fill(0, offset, offset + 16);
      return true;
    }
  } else if (s.charCodeAt(0) === 0x3a) {
    return false;
  }
  while (i < s.length) {
    // A dotted quad may end the address (RFC 4291 §2.2 form 3).
    const rest = s.slice(i);
    if (rest.includes('.') && !rest.includes(':')) {
      if (groups.length > 6) return false;
      const v4 = new Uint8Array(4);
      if (!parseIpv4Into(rest, v4, 0)) return false;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      i = s.length;
      break;
    }
    let value = 0;
    let digits = 0;
    while (i < s.length) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = (value << 4) | h;
      digits++;
      i++;
      if (digits > 4) return false;
    }
    if (digits === 0) return false;
    groups.push(value);
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < s.length && s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = groups.length;
      i++;
    } else if (i === s.length) {
      return false;
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return false;
  const fill = 8 - groups.length;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    let v = 0;
    if (gap >= 0 && k >= gap && k < gap + fill) v = 0;
    else v = groups[g++]!;
    out[offset + 2 * k] = v >> 8;
    out[offset + 2 * k + 1] = v & 0xff;
  }
  return true;
}

/** Dotted-quad text of the 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of the 16 bytes at `offset` (IPv4-mapped addresses as ::ffff:a.b.c.d, §5). */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((bytes[offset + 2 * k]! << 8) | bytes[offset + 2 * k + 1]!);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  }
  // Longest run of zero groups (length ≥ 2, first on a tie) becomes "::" (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  if (bestStart < 0) return g.map((v) => v.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((v) => v.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((v) => v.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** Canonical text of an address (RFC 5952 for IPv6, zone id kept), or undefined when invalid. */
export function normalizeIp(text: string): string | undefined {
  if (text.includes(':')) {
    const b = new Uint8Array(16);
    if (!parseIpv6Into(text, b, 0)) return undefined;
    const zone = text.indexOf('%');
    return formatIpv6(b, 0) + (zone >= 0 ? text.slice(zone) : '');
  }
  const b = new Uint8Array(4);
  return parseIpv4Into(text, b, 0) ? formatIpv4(b, 0) : undefined;
}

/**
 * The address as a dual-stack socket's sender is compared: canonical text (normalizeIp) with an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) turned into its IPv4 form; undefined when invalid.
 */
export function unmappedIp(text: string): string | undefined {
  const n = normalizeIp(text);
  return n !== undefined && n.startsWith('::ffff:') && n.includes('.') && !n.includes('%') ? n.slice(7) : n;
}
