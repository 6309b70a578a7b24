// Adapter: IP address text helpers — validation, canonical IPv6 form, v4-mapped → IPv4, so the
// addresses the core compares are exactly the ones node:dgram reports.
import { isIP } from 'node:net';

/** Canonical text of an IP literal (IPv4 as is, IPv6 compressed lower-case, v4-mapped → IPv4), or null. */
export function canonicalAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return null;
  const zone = address.indexOf('%');
  if (zone >= 0) {
    // Link-local with a zone id ("fe80::1%eth0"): canonicalise the address part only.
    const base = canonicalAddress(address.slice(0, zone));
    return base === null ? null : `${base}${address.slice(zone)}`;
  }
  let host: string;
  try {
    host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1]!;
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(host);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1]!, 16);
    const lo = parseInt(hexMapped[2]!, 16);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return host;
}

/** 4 or 6 for a canonical address. */
export function familyOf(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}
