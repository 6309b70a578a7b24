// DOM helpers of the live view's page (browser). Every text goes in through textContent, never
// as HTML, so a display name or lobby name like `<img onerror=…>` shows as those characters.

/** Attributes and children of `h`; a string child becomes a text node. */
export type Child = Node | string | number | null | undefined | false;

/** Makes an element: `h('td', { class: 'x' }, 'text', child)`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return el;
}

/** "850 ms", "12.3 s", "4 min", "2 h 5 min". */
export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** "+35 ms" / "+2.1 s" on a timeline. */
export function formatOffset(ms: number): string {
  return `+${formatAge(ms)}`;
}

/** An RTT in ms at the precision agents report it (0.1 ms). */
export function formatRtt(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
