// Test helper: an address no interface of this machine has. A fixed documentation address is
// not enough: the sandbox these tests run in has 192.0.2.2/24 on eth0, and a CI machine may
// hold any private or documentation address.
import { machineAddresses } from '../../src/adapter/options.js';

/** The highest `prefix.N` (N 250..1) that no interface of this machine has. */
export function notLocal(prefix = '203.0.113'): string {
  const own = new Set(machineAddresses());
  for (let i = 250; i > 0; i--) if (!own.has(`${prefix}.${i}`)) return `${prefix}.${i}`;
  throw new Error(`every ${prefix}.x address is local`);
}
