// Pure classification rules of NAT behaviour discovery (RFC 5780 §4.3, §4.4; RFC 4787) — core.
import { MappingBehavior, PortAllocation } from '../nat-behavior.js';

/** One Binding result: which server was asked, and how this socket was mapped. */
export interface MappingSample {
  readonly server: { readonly address: string; readonly port: number };
  readonly mapped: { readonly address: string; readonly port: number };
}

function same(a: { address: string; port: number }, b: { address: string; port: number }): boolean {
  return a.address === b.address && a.port === b.port;
}

/**
 * RFC 5780 §4.3 with a two-address server: test I → primary, test II → (alternate IP, primary
 * port), test III → (alternate IP, alternate port). `local` lists the socket's own addresses.
 */
export function classifyMappingRfc5780(
  local: ReadonlyArray<{ address: string; port: number }>,
  test1: MappingSample | undefined,
  test2: MappingSample | undefined,
  test3: MappingSample | undefined,
): MappingBehavior {
  if (!test1) return MappingBehavior.Unknown;
  if (local.some((l) => same(l, test1.mapped))) return MappingBehavior.None;
  if (!test2) return MappingBehavior.Unknown;
  if (same(test1.mapped, test2.mapped)) return MappingBehavior.EndpointIndependent;
  if (!test3) return MappingBehavior.Unknown;
  return same(test2.mapped, test3.mapped) ? MappingBehavior.AddressDependent : MappingBehavior.AddressAndPortDependent;
}

/** Mapping from plain STUN servers, plus whether the mapping changed with the server's IP. */
export interface PlainMappingResult {
  readonly mapping: MappingBehavior;
  /** True/false once two servers on different IPs answered; undefined before (Tailscale's "MappingVariesByDestIP"). */
  readonly variesByDestIp: boolean | undefined;
}

/**
 * Mapping from several plain STUN servers: all equal → endpoint-independent; a change between two
 * ports of one IP → address-and-port-dependent; changes only across IPs while every same-IP pair
 * agrees → address-dependent; changes across IPs with no same-IP pair to tell → unknown.
 */
export function classifyMappingPlain(
  local: ReadonlyArray<{ address: string; port: number }>,
  samples: readonly MappingSample[],
): PlainMappingResult {
  if (samples.length === 0) return { mapping: MappingBehavior.Unknown, variesByDestIp: undefined };
  if (local.some((l) => same(l, samples[0]!.mapped))) return { mapping: MappingBehavior.None, variesByDestIp: false };
  let acrossIps: boolean | undefined;
  let samePairs = 0;
  let samePairDiffers = false;
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const a = samples[i]!;
      const b = samples[j]!;
      const differs = !same(a.mapped, b.mapped);
      if (a.server.address === b.server.address) {
        if (a.server.port === b.server.port) continue;
        samePairs++;
        if (differs) samePairDiffers = true;
      } else {
        acrossIps = (acrossIps ?? false) || differs;
      }
    }
  }
  if (samePairDiffers) return { mapping: MappingBehavior.AddressAndPortDependent, variesByDestIp: acrossIps };
  // Only same-IP pairs that agree, or a single server: the IP-dependence is still unknown.
  if (acrossIps === undefined) return { mapping: MappingBehavior.Unknown, variesByDestIp: undefined };
  if (!acrossIps) return { mapping: MappingBehavior.EndpointIndependent, variesByDestIp: false };
  return { mapping: samePairs > 0 ? MappingBehavior.AddressDependent : MappingBehavior.Unknown, variesByDestIp: true };
}

/** A (local port, mapped port) observation, in the order mappings were created. */
export interface PortSample {
  readonly localPort: number;
  readonly mappedPort: number;
}

/** Largest step between consecutive new mappings still called "sequential" (RakNet tries ±2; we allow other LAN traffic in between). */
export const SEQUENTIAL_MAX_STEP = 16;

/**
 * Port allocation pattern from a few samples (distinct mappings): preserving when every public
 * port equals its local port; sequential when the distinct public ports, sorted, sit 1..16 apart
 * (mod 65536; answers may arrive out of order, and a random allocator does that by chance with
 * p ≈ 16/65536 per step); random otherwise; unknown with fewer than two distinct public ports.
 */
export function classifyPortAllocation(samples: readonly PortSample[]): PortAllocation {
  if (samples.length === 0) return PortAllocation.Unknown;
  if (samples.every((s) => s.mappedPort === s.localPort)) return PortAllocation.Preserving;
  const ports = [...new Set(samples.map((s) => s.mappedPort))].sort((a, b) => a - b);
  if (ports.length < 2) return PortAllocation.Unknown;
  // Gaps around the circle of port numbers; the largest one is where the sequence starts.
  const gaps: number[] = [];
  for (let i = 1; i < ports.length; i++) gaps.push(ports[i]! - ports[i - 1]!);
  gaps.push(ports[0]! + 65536 - ports[ports.length - 1]!);
  gaps.sort((a, b) => a - b);
  gaps.pop();
  return gaps.every((g) => g >= 1 && g <= SEQUENTIAL_MAX_STEP) ? PortAllocation.Sequential : PortAllocation.Random;
}
