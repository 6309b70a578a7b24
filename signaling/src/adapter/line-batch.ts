// Log lines gathered per event-loop turn (adapter). The service logs a line per lobby join and
// leave at info level, and Node writes stderr to a file or pipe synchronously: one write(2) per
// line, ~1 syscall per admission in the shared kit's profile (issue 19). Lines written during
// one turn now leave in one write at its end (setImmediate), or at once past maxBytes; the
// process's 'exit' flushes what is left, so only a SIGKILL can lose a turn's lines.

/** A line writer that batches; `flush` writes what is pending now. */
export interface LineBatch {
  write(line: string): void;
  flush(): void;
}

/**
 * Batches `write`'s calls per event-loop turn.
 * @param maxBytes pending text (UTF-16 units) that forces a write before the turn ends
 */
export function batchLines(write: (text: string) => void, maxBytes = 64 * 1024): LineBatch {
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    size = 0;
    write(text);
  };
  return {
    write(line: string): void {
      pending.push(line);
      size += line.length;
      if (size >= maxBytes) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
