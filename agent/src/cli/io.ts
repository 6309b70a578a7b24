// The process surface the CLI writes to (cli layer): injected so tests run commands in-process.

/** A text sink such as process.stdout. */
export interface TextOut {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

/** What a CLI command may touch. */
export interface CliIo {
  readonly stdout: TextOut;
  readonly stderr: TextOut;
  /** Calls `handler` on SIGINT/SIGTERM (Ctrl-C); returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Monotonic milliseconds. */
  now(): number;
}

/** The real process: stdout, stderr, SIGINT and SIGTERM, performance.now(). */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
    now: () => performance.now(),
  };
}
