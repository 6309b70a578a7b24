// Percentiles over a small sample (nearest-rank, as benchmark reports usually quote them).

/** Nearest-rank percentile p (0..100) of the finite values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * v.length));
  return v[rank - 1]!;
}
