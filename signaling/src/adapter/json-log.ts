// JSON-lines logging for the service (adapter): one object per line, never a message body.
import type { LogLevel } from '../core/config.js';
import { LOG_LEVELS } from '../core/config.js';

/** Writes one log record. */
export type LogSink = (level: LogLevel, event: string, fields: Record<string, string | number | boolean>) => void;

/**
 * A sink writing `{"time":…,"level":…,"event":…,…fields}` lines.
 * @param write where lines go (default: process.stderr)
 * @param level records less severe than this are dropped before any string is built
 */
export function createJsonLog(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): LogSink {
  const rank = LOG_LEVELS.indexOf(level);
  return (lv, event, fields) => {
    if (LOG_LEVELS.indexOf(lv) > rank) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: lv, event, ...fields })}\n`);
  };
}
