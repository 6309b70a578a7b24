// Core types shared by the simulator and by every sans-IO core it drives (no I/O here).

// The sans-IO contract is defined once, in @meshpunch/base; the simulator drives any SansIoCore.
export type { Endpoint, MutableEndpoint, SansIoCore } from '@meshpunch/base';

/** `"1.2.3.4:5"` or `"[::1]:5"`, for traces and map keys in tests. */
export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
