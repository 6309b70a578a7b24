// RFC 4787 behaviour names shared by discovery, the punch machine and the CLI's JSON (core).

/** NAT mapping behaviour (RFC 4787 §4.1); 'none' = no NAT (mapped address = local address). */
export const MappingBehavior = {
  None: 'none',
  EndpointIndependent: 'endpoint-independent',
  AddressDependent: 'address-dependent',
  AddressAndPortDependent: 'address-and-port-dependent',
  Unknown: 'unknown',
} as const;
/** One of MappingBehavior's string values. */
export type MappingBehavior = (typeof MappingBehavior)[keyof typeof MappingBehavior];

/** NAT/firewall filtering behaviour (RFC 4787 §5). */
export const FilteringBehavior = {
  EndpointIndependent: 'endpoint-independent',
  AddressDependent: 'address-dependent',
  AddressAndPortDependent: 'address-and-port-dependent',
  Unknown: 'unknown',
} as const;
/** One of FilteringBehavior's string values. */
export type FilteringBehavior = (typeof FilteringBehavior)[keyof typeof FilteringBehavior];

/** How the NAT picks public ports for new mappings (RFC 4787 §4.2.1 port preservation, else). */
export const PortAllocation = {
  Preserving: 'preserving',
  Sequential: 'sequential',
  Random: 'random',
  Unknown: 'unknown',
} as const;
/** One of PortAllocation's string values. */
export type PortAllocation = (typeof PortAllocation)[keyof typeof PortAllocation];

/** What a side knows of its NAT (from discovery), shared with the peer through signaling. */
export interface NatProfile {
  readonly mapping?: MappingBehavior;
  readonly filtering?: FilteringBehavior;
  /** Lets the peer predict the next public port of an endpoint-dependent NAT that allocates sequentially. */
  readonly portAllocation?: PortAllocation;
}

/** True for mappings that change with the destination ("symmetric"/"hard" NAT in UI text). */
export function isEndpointDependentMapping(m: MappingBehavior | undefined): boolean {
  return m === MappingBehavior.AddressDependent || m === MappingBehavior.AddressAndPortDependent;
}

/**
 * Whether simple hole punching can open a path between two NATs (issue 6; Ford et al. 2005 §4):
 * both mappings endpoint-independent, or one endpoint-dependent mapping facing filtering that
 * ignores the port. Unknown behaviours count as "maybe" (true).
 */
export function canHolePunch(a: NatProfile, b: NatProfile): boolean {
  const aHard = isEndpointDependentMapping(a.mapping);
  const bHard = isEndpointDependentMapping(b.mapping);
  if (aHard && bHard) return false;
  if (aHard && b.filtering === FilteringBehavior.AddressAndPortDependent) return false;
  if (bHard && a.filtering === FilteringBehavior.AddressAndPortDependent) return false;
  return true;
}
