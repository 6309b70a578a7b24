// Prints benchmark results as an aligned text table, with ratios computed in the same run.

export interface Row {
  name: string;
  cells: Record<string, string | number>;
}

function fmt(v: string | number): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

/** Renders rows under the given column names (first column is the row name). */
export function renderTable(columns: readonly string[], rows: readonly Row[]): string {
  const head = ['', ...columns];
  const body = rows.map((r) => [r.name, ...columns.map((c) => fmt(r.cells[c] ?? '—'))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** a / b, or NaN when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined || b === 0 ? Number.NaN : a / b;
}
