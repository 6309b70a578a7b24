// Renders one lobby (browser): members, the link matrix, the links as a list, and each failed
// link's reason and timeline. Used by the lobby view and by the operator's lobby detail, which
// also gets endpoints. Each cell says its path in words and a symbol, so colour is never needed.
import type { LiveEvent, LiveLink, LiveLobby, LiveMember, LiveProbe } from '../src/core/live-view.js';
import { formatAge, formatOffset, formatRtt, h } from './dom.js';

/** Text and symbol of each link state / path (the cell's class is `path-<key>`). */
const PATH_LABEL: Record<string, { text: string; symbol: string }> = {
  lan: { text: 'LAN', symbol: '≡' },
  direct: { text: 'direct', symbol: '→' },
  upnp: { text: 'UPnP', symbol: '⇄' },
  relay: { text: 'relay', symbol: '↻' },
  failed: { text: 'failed', symbol: '✕' },
  pending: { text: 'linking', symbol: '…' },
  none: { text: 'no link', symbol: '·' },
};

function linkKey(l: LiveLink | undefined): string {
  if (l === undefined) return 'none';
  if (l.state === 'connected') return l.path ?? 'direct';
  return l.state;
}

function memberLabel(m: LiveMember | undefined, id: number): string {
  return m?.name !== undefined ? `${m.name} (${id})` : `peer ${id}`;
}

function cellText(l: LiveLink | undefined): string {
  const key = linkKey(l);
  const label = PATH_LABEL[key]!;
  if (l === undefined) return label.text;
  if (l.state === 'connected') return l.rttMs !== undefined ? `${label.text} ${formatRtt(l.rttMs)}` : label.text;
  if (l.state === 'failed') return l.reason !== undefined ? `${label.text}: ${l.reason}` : label.text;
  return label.text;
}

function eventText(e: LiveEvent, names: Map<number, LiveMember>): string {
  if (e.kind === 'start') return 'pair started';
  const who = memberLabel(names.get(e.from), e.from);
  if (e.kind === 'candidates') {
    if (e.candidates.length === 0) return `${who} sent no candidates${e.done ? ' (done)' : ''}`;
    const list = e.candidates.map((c) => (c.endpoint !== undefined ? `${c.kind} ${c.endpoint}` : c.kind)).join(', ');
    return `${who} sent ${e.candidates.length} candidate${e.candidates.length === 1 ? '' : 's'}: ${list}${e.done ? ' (done)' : ''}`;
  }
  if (e.outcome === 'connected') return `${who} linked over ${e.path ?? '?'}${e.rttMs !== undefined ? `, RTT ${formatRtt(e.rttMs)}` : ''}`;
  return `${who} failed: ${e.reason ?? 'unknown reason'}`;
}

/** What became of one probed address, in words (a symbol beside it, never colour alone). */
const PROBE_OUTCOME: Record<LiveProbe['outcome'], { symbol: string; text: (p: LiveProbe) => string }> = {
  answered: { symbol: '✓', text: (p) => `answered at ${p.answerT === undefined ? '?' : formatOffset(p.answerT)}${p.rttMs !== undefined ? `, RTT ${formatRtt(p.rttMs)}` : ''}` },
  'one-way': { symbol: '⇠', text: (p) => `one-way: its probes arrived${p.heardT === undefined ? '' : ` (${formatOffset(p.heardT)})`}, ours were never answered` },
  timeout: { symbol: '○', text: () => 'timeout: no answer' },
  unreachable: { symbol: '⊘', text: () => 'unreachable: a LAN address of a network this side is not on (not probed)' },
  refused: { symbol: '✕', text: () => 'refused: an address class no peer has, or over the cap (not probed)' },
  'not-sent': { symbol: '–', text: () => 'not probed: the punch ended first' },
};

/** One side's per-candidate record: a table, one row per remote address it probed. */
function probeTable(e: Extract<LiveEvent, { kind: 'result' }>, who: string, operator: boolean): HTMLElement {
  const probes = e.probes ?? [];
  const table = h('table', { class: 'probes', 'aria-label': `${who}: probes per candidate`, 'data-from': e.from },
    h('thead', {}, h('tr', {}, ...['candidate', 'path', 'first probe', 'probes', 'answer or why not', operator ? 'address' : null]
      .filter((t): t is string => t !== null).map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...probes.map((p) => h('tr', { 'data-kind': p.kind, 'data-outcome': p.outcome },
      h('td', {}, p.kind), h('td', {}, p.path),
      h('td', { class: 'num' }, p.firstT === undefined ? '—' : formatOffset(p.firstT)),
      h('td', { class: 'num' }, p.sent),
      h('td', { class: `outcome outcome-${p.outcome}` }, h('span', { class: 'sym', 'aria-hidden': 'true' }, PROBE_OUTCOME[p.outcome].symbol), ' ', PROBE_OUTCOME[p.outcome].text(p)),
      operator ? h('td', { class: 'endpoint' }, p.endpoint ?? '') : null))));
  return h('div', { class: 'probe-record' }, h('p', {}, `${who} probed ${probes.length} address${probes.length === 1 ? '' : 'es'}${e.probesOmitted !== undefined ? ` (${e.probesOmitted} more not reported)` : ''}:`), h('div', { class: 'scroll' }, table));
}

/** The timeline of one link, oldest first; a side's result carries its per-candidate record. */
function timeline(l: LiveLink, names: Map<number, LiveMember>, operator: boolean): HTMLElement {
  return h('ol', { class: 'timeline' }, ...l.events.map((e) => h('li', { 'data-kind': e.kind }, h('span', { class: 't' }, formatOffset(e.t)), ' ', eventText(e, names),
    e.kind === 'result' && e.probes !== undefined ? probeTable(e, memberLabel(names.get(e.from), e.from), operator) : null,
    e.kind === 'result' && e.probesHidden === true ? h('p', {}, '(per-candidate record not shown: too many links in this lobby)') : null)));
}

/**
 * Renders `lobby` into a fresh element. `open` holds the pair ids whose timeline the reader
 * opened, so a live update keeps them open.
 */
export function renderLobby(lobby: LiveLobby, open: Set<number>, operator: boolean): HTMLElement {
  const names = new Map(lobby.members.map((m) => [m.id, m]));
  const byPair = new Map<string, LiveLink>();
  for (const l of lobby.links) byPair.set(`${l.a}:${l.b}`, l);
  const linkOf = (x: number, y: number): LiveLink | undefined => byPair.get(x < y ? `${x}:${y}` : `${y}:${x}`);
  const failed = lobby.links.filter((l) => l.state === 'failed');
  const connected = lobby.links.filter((l) => l.state === 'connected').length;

  const facts = h('dl', { class: 'facts' },
    h('dt', {}, 'mode'), h('dd', { 'data-field': 'mode' }, lobby.mode),
    h('dt', {}, 'members'), h('dd', { 'data-field': 'members' }, `${lobby.members.length} of ${lobby.maxPeers}`),
    h('dt', {}, 'sealed'), h('dd', { 'data-field': 'sealed' }, lobby.sealed ? 'yes' : 'no'),
    h('dt', {}, 'password'), h('dd', {}, lobby.hasPassword ? 'yes' : 'no'),
    h('dt', {}, 'links up'), h('dd', { 'data-field': 'links' }, `${connected} of ${lobby.links.length}`),
    h('dt', {}, 'age'), h('dd', { 'data-field': 'age', 'data-age-ms': lobby.ageMs }, formatAge(lobby.ageMs)));

  const members = h('table', { class: 'members', 'aria-label': 'members' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'id'), h('th', { scope: 'col' }, 'name'), h('th', { scope: 'col' }, 'status'), operator ? h('th', { scope: 'col' }, 'endpoint') : null)),
    h('tbody', {}, ...lobby.members.map((m) => h('tr', { 'data-member': m.id },
      h('td', { class: 'num' }, m.id),
      h('td', { class: 'name' }, m.name ?? '—'),
      h('td', {}, [m.id === lobby.owner ? 'owner' : '', m.away ? 'away' : 'present'].filter((s) => s !== '').join(', ')),
      operator ? h('td', { class: 'endpoint' }, m.endpoint ?? '') : null))));

  const ids = lobby.members.map((m) => m.id);
  const matrix = h('table', { class: 'matrix', 'aria-label': 'link matrix' },
    h('thead', {}, h('tr', {}, h('td', {}), ...ids.map((id) => h('th', { scope: 'col', title: memberLabel(names.get(id), id) }, h('span', { class: 'head' }, names.get(id)?.name ?? String(id)))))),
    h('tbody', {}, ...ids.map((row) => h('tr', {},
      h('th', { scope: 'row', title: memberLabel(names.get(row), row) }, h('span', { class: 'head' }, names.get(row)?.name ?? String(row))),
      ...ids.map((col) => {
        if (row === col) return h('td', { class: 'self', 'aria-label': 'self' }, '—');
        const l = linkOf(row, col);
        const key = linkKey(l);
        return h('td', { class: `cell path-${key}`, 'data-a': Math.min(row, col), 'data-b': Math.max(row, col), 'data-path': key, title: `${memberLabel(names.get(row), row)} ↔ ${memberLabel(names.get(col), col)}: ${cellText(l)}` },
          h('span', { class: 'sym', 'aria-hidden': 'true' }, PATH_LABEL[key]!.symbol), ' ', cellText(l));
      })))));

  const legend = h('ul', { class: 'legend', 'aria-label': 'legend' },
    ...['lan', 'direct', 'upnp', 'relay', 'failed', 'pending'].map((k) => h('li', { class: `cell path-${k}` }, h('span', { class: 'sym', 'aria-hidden': 'true' }, PATH_LABEL[k]!.symbol), ' ', PATH_LABEL[k]!.text)));

  // A timeline is built only while its link is open: a lobby of 32 has 496 links, and every
  // update re-renders the page (a closed <details> would still cost its whole subtree).
  const linkItems = lobby.links.map((l) => {
    const d = h('details', { class: `link path-${linkKey(l)}`, 'data-pair': l.pair }, h('summary', {},
      `${memberLabel(names.get(l.a), l.a)} ↔ ${memberLabel(names.get(l.b), l.b)}: `, h('strong', {}, cellText(l)), ` (${formatAge(l.ageMs)} ago)`));
    if (open.has(l.pair)) {
      d.open = true;
      d.append(timeline(l, names, operator));
    }
    d.addEventListener('toggle', () => {
      if (d.open) {
        open.add(l.pair);
        if (d.querySelector('ol') === null) d.append(timeline(l, names, operator));
      } else {
        open.delete(l.pair);
      }
    });
    return h('li', {}, d);
  });

  return h('div', { class: 'lobby', 'data-code': lobby.code },
    h('h1', {}, 'Lobby ', h('span', { class: 'code', 'data-field': 'code' }, lobby.code)),
    facts,
    h('section', { 'aria-labelledby': 'h-members' }, h('h2', { id: 'h-members' }, 'Members'), h('div', { class: 'scroll' }, members)),
    h('section', { 'aria-labelledby': 'h-matrix' }, h('h2', { id: 'h-matrix' }, 'Links'), lobby.members.length < 2 ? h('p', {}, 'No pairs yet: the lobby has one member.') : h('div', { class: 'scroll' }, matrix), legend),
    h('section', { 'aria-labelledby': 'h-failures', class: 'failures' }, h('h2', { id: 'h-failures' }, `Failed links (${failed.length})`),
      failed.length === 0 ? h('p', {}, 'None.') : h('ul', {}, ...failed.map((l) => h('li', { 'data-pair': l.pair },
        `${memberLabel(names.get(l.a), l.a)} ↔ ${memberLabel(names.get(l.b), l.b)}: `, h('strong', {}, l.reason ?? 'failed'), timeline(l, names, operator))))),
    h('section', { 'aria-labelledby': 'h-timelines' }, h('h2', { id: 'h-timelines' }, 'Every link, with its timeline'), lobby.links.length === 0 ? h('p', {}, 'No links yet.') : h('ul', { class: 'links' }, ...linkItems)));
}
