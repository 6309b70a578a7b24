// Readers for test/lint/error-codes.test.ts: error codes in source text and in docs/errors.md.

/** A code: the ERR_/ENET_/NAT_/SIG_/… shape of docs/design.md §4. */
const CODE = String.raw`[A-Z][A-Z0-9]*_[A-Z0-9_]+`;

/** 1-based lines where an error without a code is thrown (`throw new Error(`, RangeError, TypeError). */
export function bareThrows(text: string): number[] {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (/\bthrow new (Error|RangeError|TypeError)\(/.test(lines[i]!)) out.push(i + 1);
  return out;
}

/** Codes given to an error constructor: `new XError('CODE'` and `super('CODE'` (also across a line break). */
export function codesInSource(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(new RegExp(String.raw`(?:new \w+Error|super)\(\s*'(${CODE})'`, 'g'))) out.push(m[1]!);
  return out;
}

/** The string-literal members of a code union or list in an errors.ts (`| 'CODE'`, `'CODE',`). */
export function codesOfUnion(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(new RegExp(String.raw`(?:^|\n)\s*(?:\|\s*)?'(${CODE})'`, 'g'))) out.push(m[1]!);
  return out;
}

/** docs/errors.md: code → the package names its rows give (`enet, multiplayer`, `all`). */
export function docRows(markdown: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of markdown.matchAll(new RegExp(String.raw`^\| \`(${CODE})\` \| ([^|]+) \|`, 'gm'))) {
    const set = out.get(m[1]!) ?? new Set<string>();
    for (const p of m[2]!.split(',')) set.add(p.trim());
    out.set(m[1]!, set);
  }
  return out;
}
