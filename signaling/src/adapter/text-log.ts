// Human-readable logging for the service on a terminal (adapter): one line per record,
// `HH:MM:SS.mmm LEVEL event key=value …`, the same records and level filter as json-log.ts.
import type { LogLevel } from '../core/config.js';
import { LOG_LEVELS } from '../core/config.js';
import { createJsonLog, type LogSink } from './json-log.js';

/** How the service writes its log: JSON lines, text lines, or text on a terminal else JSON. */
export type LogFormat = 'json' | 'text' | 'auto';
export const LOG_FORMATS: readonly LogFormat[] = Object.freeze(['auto', 'json', 'text']);

/** A value as `key=value` shows it: bare when it has no space, quote or `=`, else JSON-quoted. */
function value(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  return v !== '' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
}

/**
 * A sink writing `07:12:17.123 info  lobby.created lobby=game mode=mesh` lines (local time: a
 * person at the terminal reads it next to their clock; JSON keeps the ISO UTC time for machines).
 * @param write where lines go (default: process.stderr)
 * @param level records less severe than this are dropped before any string is built
 */
export function createTextLog(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): LogSink {
  const rank = LOG_LEVELS.indexOf(level);
  return (lv, event, fields) => {
    if (LOG_LEVELS.indexOf(lv) > rank) return;
    const d = new Date();
    const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}.${String(d.getMilliseconds()).padStart(3, '0')}`;
    let line = `${time} ${lv.padEnd(5)} ${event}`;
    for (const [k, v] of Object.entries(fields)) line += ` ${k}=${value(v)}`;
    write(`${line}\n`);
  };
}

/**
 * The service's log sink for a format; `auto` is text when `isTty` (stderr is a terminal), else JSON.
 */
export function createLog(level: LogLevel, format: LogFormat, isTty: boolean, write?: (line: string) => void): LogSink {
  return format === 'text' || (format === 'auto' && isTty) ? createTextLog(level, write) : createJsonLog(level, write);
}
