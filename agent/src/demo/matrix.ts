// Text tables of the demo (pure): the N×N mesh matrix (path + RTT per cell, as each row's agent
// sees its link) and the delivery counts per transfer mode.

import type { MeshReport } from '../core/mesh-view.js';
import { columns } from '../cli/render.js';

/** The mesh matrix: one row per agent, one column per peer id; `—` on the diagonal. */
export function meshMatrix(reports: readonly MeshReport[]): string {
  const ids = reports.map((r) => r.id).sort((a, b) => a - b);
  const byId = new Map(reports.map((r) => [r.id, r]));
  const rows: string[][] = [['from \\ to', ...ids.map(String)]];
  for (const id of ids) {
    const r = byId.get(id)!;
    rows.push([String(id), ...ids.map((to) => {
      if (to === id) return '—';
      const p = r.peers.find((x) => x.id === to);
      if (p !== undefined) return `${p.path} ${p.rttMs.toFixed(1)}ms`;
      const f = r.failures.find((x) => x.id === to);
      return f === undefined ? '?' : `FAIL ${f.reason}`;
    })]);
  }
  return columns(rows);
}

/** Delivery counts per mode: sent, delivered, and the share. */
export interface DeliveryRow {
  readonly mode: string;
  readonly sent: number;
  readonly delivered: number;
}

/** Renders delivery rows as an aligned table. */
export function deliveryTable(rows: readonly DeliveryRow[]): string {
  return columns([
    ['transfer mode', 'sent', 'delivered', ''],
    ...rows.map((r) => [r.mode, String(r.sent), String(r.delivered), r.sent === 0 ? '' : `${((100 * r.delivered) / r.sent).toFixed(1)} %`]),
  ]);
}
