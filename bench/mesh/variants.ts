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
