// The settings bench:mesh compares side by side in one run: the default (DTLS links, a service
// that offers its relay, so agents discover their NAT hint), plain ENet links (`--insecure`),
// and a service that offers no relay (`meshpunch signal --no-relay`: no NAT-hint discovery).

/** One setting of the mesh benchmark. */
export interface MeshVariant {
  readonly name: string;
  /** DTLS on every link (the agent's default; false = `--insecure`). */
  readonly secure: boolean;
  /** The service offers its embedded relay (its default; false = `--no-relay`). */
  readonly relay: boolean;
  /** NAT lab only: the `meshpunch` binary the agents run, when not this checkout's (MESH_BENCH_COMPARE). */
  readonly agentBin?: string;
}

export const MESH_VARIANTS: readonly MeshVariant[] = [
  { name: 'default', secure: true, relay: true },
  { name: '--insecure', secure: false, relay: true },
  { name: '--no-relay', secure: true, relay: false },
];

/** The variants named in `list` (comma-separated names without dashes, e.g. "default,insecure"); all when undefined. */
export function selectVariants(list: string | undefined): readonly MeshVariant[] {
  if (list === undefined || list === '') return MESH_VARIANTS;
  const want = list.split(',').map((s) => s.trim().replace(/^--/, ''));
  const picked = MESH_VARIANTS.filter((v) => want.includes(v.name.replace(/^--/, '')));
  if (picked.length !== want.length) throw new Error(`MESH_BENCH_VARIANTS: unknown name in '${list}' (known: ${MESH_VARIANTS.map((v) => v.name.replace(/^--/, '')).join(', ')})`);
  return picked;
}

/**
 * The lab's variants when MESH_BENCH_COMPARE names another built checkout (`compare`): each
 * variant twice, this checkout's agents and that one's (rows suffixed `@<its directory name>`),
 * interleaved run by run in the one lab, so a before/after pair shares the machine's load.
 * The signaling service stays this checkout's.
 */
export function withComparison(variants: readonly MeshVariant[], compare: string | undefined): readonly MeshVariant[] {
  if (compare === undefined || compare === '') return variants;
  const root = compare.replace(/\/+$/, '');
  const label = root.split('/').pop() ?? root;
  const agentBin = `${root}/agent/dist/bin/meshpunch.cjs`;
  return variants.flatMap((v) => [v, { ...v, name: `${v.name} @${label}`, agentBin }]);
}
