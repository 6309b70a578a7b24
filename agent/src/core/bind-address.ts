// Whether a bind address belongs to this machine (core, pure): `--bind` / `bindAddress` are
// checked against the interface list before joining, so a typo fails at once with one sentence
// instead of after joining with every link in bind-failed (issue #12 item 9).
import { normalizeIp } from '@meshpunch/nat/punch';

/** Addresses listed in the problem sentence at most (a machine with many interfaces still gets one line). */
const MAX_LISTED = 6;

/**
 * Checks `address` (an IP literal) against this machine's addresses, e.g. from
 * `os.networkInterfaces()`. The wildcard addresses 0.0.0.0 and :: always pass.
 * @returns the rest of a sentence after the address ("is not an address of this machine (…)"), or undefined
 */
export function bindAddressProblem(address: string, machineAddresses: readonly string[]): string | undefined {
  const want = normalizeIp(address);
  if (want === undefined) return 'is not an IP address';
  if (want === '0.0.0.0' || want === '::') return undefined;
  const own = new Set<string>();
  for (const a of machineAddresses) {
    const n = normalizeIp(a);
    if (n !== undefined) own.add(n);
  }
  if (own.has(want)) return undefined;
  const list = [...own];
  const shown = list.slice(0, MAX_LISTED).join(', ') + (list.length > MAX_LISTED ? ', …' : '');
  return `is not an address of this machine (its addresses: ${shown === '' ? 'none' : shown}; 0.0.0.0 binds them all)`;
}
