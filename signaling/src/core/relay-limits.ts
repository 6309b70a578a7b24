// Every limit of the embedded TURN relay (relay.md §2(b)), with default, range, meaning and what a
// client meets beyond it (core). The CLI derives `--relay-…` flags and `MESHPUNCH_SIGNAL_RELAY_…`
// variables from each entry; the service passes every value to the relay core explicitly, so this
// table is the service's one definition of them.

/** The numeric limits of the embedded relay (keys as @meshpunch/nat's TurnServerOptions names them). */
export interface RelayLimits {
  maxAllocationsPerMember: number;
  maxAllocations: number;
  maxPermissionsPerAllocation: number;
  maxChannelsPerAllocation: number;
  bytesPerSecondPerAllocation: number;
  bytesPerSecondTotal: number;
  datagramsPerSecondPerAllocation: number;
  datagramsPerSecondTotal: number;
  defaultLifetimeS: number;
  maxLifetimeS: number;
  unauthenticatedPerSecond: number;
  unauthenticatedPerSecondPerIp: number;
}

/** One relay limit: key, flag stem (`relay` + Key), default, range, help and the answer beyond it. */
export interface RelayLimitSpec {
  key: keyof RelayLimits;
  default: number;
  min: number;
  max: number;
  help: string;
  /** What the client sees beyond the limit. */
  beyond: string;
}

export const RELAY_LIMIT_SPECS: readonly RelayLimitSpec[] = Object.freeze([
  { key: 'maxAllocationsPerMember', default: 15, min: 1, max: 65535, help: 'allocations one lobby member may hold (a 16-player lobby needs at most 15)', beyond: 'Allocate → 486 Allocation Quota Reached' },
  { key: 'maxAllocations', default: 4096, min: 1, max: 65535, help: 'allocations in total (each holds one relayed port)', beyond: 'Allocate → 508 Insufficient Capacity; relay.credentials → SIG_RELAY_UNAVAILABLE when no coturn is offered' },
  { key: 'maxPermissionsPerAllocation', default: 16, min: 1, max: 1024, help: 'peer IPs one allocation may permit', beyond: 'CreatePermission / ChannelBind → 508' },
  { key: 'maxChannelsPerAllocation', default: 16, min: 1, max: 16384, help: 'channels one allocation may bind', beyond: 'ChannelBind → 508' },
  { key: 'bytesPerSecondPerAllocation', default: 262144, min: 1, max: 2 ** 40, help: 'relayed payload bytes per second per allocation and direction (256 KiB/s)', beyond: 'datagram dropped, counted as dropped{over_rate}' },
  { key: 'bytesPerSecondTotal', default: 64 * 1024 * 1024, min: 1, max: 2 ** 40, help: 'relayed payload bytes per second, all allocations (64 MiB/s)', beyond: 'datagram dropped, dropped{over_rate}' },
  { key: 'datagramsPerSecondPerAllocation', default: 2000, min: 1, max: 10_000_000, help: 'relayed datagrams per second per allocation, both directions', beyond: 'datagram dropped, dropped{over_rate}' },
  { key: 'datagramsPerSecondTotal', default: 20000, min: 1, max: 100_000_000, help: 'relayed datagrams per second, all allocations (about half a core at 25–55 µs each)', beyond: 'datagram dropped, dropped{over_rate}' },
  { key: 'defaultLifetimeS', default: 600, min: 1, max: 86400, help: 'allocation lifetime granted when the client asks for less or none, s', beyond: 'the allocation ends unless refreshed' },
  { key: 'maxLifetimeS', default: 3600, min: 1, max: 86400, help: 'longest allocation lifetime granted, s (a member leaving ends it at once anyway)', beyond: 'the request is granted this much' },
  { key: 'unauthenticatedPerSecond', default: 500, min: 1, max: 10_000_000, help: 'answers to unauthenticated or failed requests per second, all sources', beyond: 'not answered, counted in _relay_unauthenticated_dropped_total' },
  { key: 'unauthenticatedPerSecondPerIp', default: 20, min: 1, max: 1_000_000, help: 'answers to unauthenticated or failed requests per second per source IP (burst: twice this)', beyond: 'not answered, counted in _relay_unauthenticated_dropped_total' },
]);

/** The defaults as a record. */
export function defaultRelayLimits(): RelayLimits {
  const out = {} as RelayLimits;
  for (const s of RELAY_LIMIT_SPECS) out[s.key] = s.default;
  return out;
}

/** `maxAllocations` → `relayMaxAllocations` (the flag stem: `--relay-max-allocations`). */
export function relayLimitOption(key: keyof RelayLimits): string {
  return `relay${key[0]!.toUpperCase()}${key.slice(1)}`;
}
