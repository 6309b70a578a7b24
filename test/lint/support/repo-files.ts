// Walks the repository's own files for the lint tests (test layer, no I/O beyond reading the tree).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Folders that hold generated or third-party files, never the project's own sources. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);

/**
 * Every file under `dir` whose name ends with one of `extensions`, depth first, sorted by name so that
 * failures list in a stable order. Skips `node_modules`, `dist` and `.git` at any depth.
 */
export function walkFiles(dir: string, extensions: readonly string[]): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) out.push(...walkFiles(p, extensions));
    } else if (e.isFile() && extensions.some((x) => e.name.endsWith(x))) {
      out.push(p);
    }
  }
  return out;
}
