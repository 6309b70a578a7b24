// Text output of the CLI (cli layer, pure functions): progress lines, the mesh table, the
// netcheck report. JSON output is the report objects themselves (docs/cli.md).

import type { MeshEvent } from '../core/mesh-events.js';
import type { MeshReport } from '../core/mesh-view.js';
import type { NetcheckReport } from '../core/netcheck-verdict.js';
import type { LanLobby } from '../lan/lobbies.js';

/** Pads cells into aligned columns (first column left, the rest left too: text data). */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** Formats milliseconds since the start as `+1.234s`. */
export function elapsed(ms: number): string {
  return `+${(Math.max(0, ms) / 1000).toFixed(3)}s`;
}

/** One progress line for a session event (live output on a terminal, changes otherwise). */
export function progressLine(e: MeshEvent, sinceStartMs: number): string {
  const t = elapsed(sinceStartMs).padStart(9);
  switch (e.type) {
    case 'signalConnected':
      return `${t}  signaling  connected to ${e.url}`;
    case 'joined':
      return `${t}  lobby      ${e.created ? 'created' : 'joined'} '${e.lobby}' as peer ${e.id}; members: ${e.members.join(', ')}${e.viewUrl === undefined ? '' : `\n${t}  view       ${e.viewUrl}`}`;
    case 'memberJoined':
      return `${t}  lobby      peer ${e.id} joined`;
    case 'memberLeft':
      return `${t}  lobby      peer ${e.id} left`;
    case 'linkPhase':
      return `${t}  link ${String(e.remoteId).padEnd(10)} ${e.phase}${e.phase === 'gathering' ? ` (role ${e.role})` : ''}`;
    case 'linkSecured':
      return `${t}  link ${String(e.remoteId).padEnd(10)} secured (DTLS)`;
    case 'linkUp':
      return `${t}  link ${String(e.remoteId).padEnd(10)} up: ${e.path}, ${e.rttMs.toFixed(1)} ms, ${e.local} ⇄ ${e.remote}`;
    case 'candidatesRejected':
      return `${t}  link ${String(e.remoteId).padEnd(10)} refused ${e.candidates.length} candidate(s): ${e.candidates.map((c) => `${c.kind} ${c.address}:${c.port} (${c.reason})`).join(', ')}`;
    case 'linkFailed':
      return `${t}  link ${String(e.remoteId).padEnd(10)} FAILED: ${e.reason} (${e.detail})`;
    case 'relayAllocated':
      return `${t}  link ${String(e.remoteId).padEnd(10)} relay allocated: ${e.relayed} on ${e.server}`;
    case 'pathChanged':
      return `${t}  link ${String(e.remoteId).padEnd(10)} path: ${e.from} → ${e.to}`;
    case 'peerRemoved':
      return `${t}  mesh       peer ${e.remoteId} removed (${e.why})`;
    case 'signalDown':
      return `${t}  signaling  lost: ${e.detail}; ${e.willRetry ? 'the mesh stays, reconnecting' : 'the mesh stays'}`;
    case 'signalRetry':
      return `${t}  signaling  attempt ${e.attempt} failed (${e.detail}); next to ${e.url} in ${(e.inMs / 1000).toFixed(1)} s`;
    case 'signalBack':
      return `${t}  signaling  ${e.restored ? 'restored the lobby' : 'resumed'} on ${e.url} (same peer id)`;
    case 'signalLost':
      return `${t}  signaling  gone: ${e.detail}; the mesh stays`;
    case 'messages':
      return `${t}  messages   ${e.count} from peer ${e.from}`;
    case 'lanRole':
      return `${t}  lan        ${e.role === 'host' ? `hosting '${e.lobby}' on` : `host of '${e.lobby}' is`} ${e.address}${e.handOver ? ' (hand-over)' : ''}`;
  }
}

/** The human mesh table printed by `meshpunch join` (without --json). */
export function meshTable(r: MeshReport): string {
  const lines = [`mesh of lobby '${r.lobby}': you are peer ${r.id}, ${r.peers.length} link(s) up, ${r.failures.length} failed`];
  if (r.peers.length > 0) {
    lines.push(columns([['peer', 'path', 'rtt', 'local', 'remote'], ...r.peers.map((p) => [String(p.id), p.path, `${p.rttMs.toFixed(1)} ms`, p.local, p.remote])]));
  }
  if (r.failures.length > 0) {
    lines.push('failures:');
    lines.push(columns(r.failures.map((f) => [`  ${f.id}`, f.reason, f.detail ?? ''])));
  }
  return lines.join('\n');
}

/** The human netcheck report. */
export function netcheckText(r: NetcheckReport): string {
  const rows: string[][] = [
    ['UDP', r.udp ? 'yes' : 'no'],
    ['IPv4', r.publicAddress === null ? 'no public address seen' : r.addressClass === 'public' ? r.publicAddress : `${r.publicAddress} (${r.addressClass ?? '?'}: not an internet address)`],
    ['IPv6', r.publicAddressV6 ?? 'no'],
    ['mapping', r.mappingBehavior],
    ['filtering', r.filteringBehavior],
    ['port allocation', r.portAllocation],
    ['UPnP', r.upnp === null ? 'not checked (use --upnp)' : r.upnp.available ? `yes, gateway ${r.upnp.gateway ?? '?'}, external ${r.upnp.externalAddress ?? '?'}` : `no${r.upnp.detail === undefined ? '' : ` (${r.upnp.detail})`}`],
    ...Object.entries(r.stunRttMs).map(([s, ms]) => [`STUN ${s}`, ms === null ? 'no answer' : `${ms.toFixed(1)} ms`]),
  ];
  return `Report:\n${columns(rows.map(([a, b]) => [`  * ${a}:`, b!]))}\n\n${r.verdict}`;
}

/** The human list of `meshpunch lobbies --lan`. */
export function lobbiesText(list: readonly LanLobby[]): string {
  if (list.length === 0) return 'no meshpunch lobby answered on this LAN';
  return columns([['lobby', 'host', 'members', 'password', 'mode'], ...list.map((l) => [l.name, l.host ?? '(none: hand-over)', String(l.members), l.password ? 'yes' : 'no', l.mode])]);
}
