// Helpers for agent-level NAT-lab tests: the signaling service on the lab internet, `meshpunch`
// processes inside lab hosts, and their JSON reports.
import { join } from 'node:path';
import { LAB_INTERNET, type Lab } from '../natlab/lab/lab.js';
import type { LabProcess } from '../natlab/lab/run.js';
import { MESHPUNCH, START_TIMEOUT_MS } from '../e2e/agent-process.js';

export { MESHPUNCH, START_TIMEOUT_MS };

/** Where the lab's signaling service listens (the server node's third address, off coturn's ports). */
export const LAB_SIGNAL = Object.freeze({ host: LAB_INTERNET.third, port: 8787 });
export const LAB_SIGNAL_URL = `ws://${LAB_SIGNAL.host}:${LAB_SIGNAL.port}`;
/** coturn (RFC 5780: two addresses, two ports). */
export const LAB_STUN = `${LAB_INTERNET.stunPrimary}:${LAB_INTERNET.stunPort}`;

/** Starts `meshpunch signal` on the server node and waits until it listens. */
export async function startLabSignaling(lab: Lab): Promise<LabProcess> {
  const p = lab.spawn('srv', [process.execPath, MESHPUNCH, 'signal', '--host', LAB_SIGNAL.host, '--port', String(LAB_SIGNAL.port)], 'srv:signal');
  await p.waitForLine(/listening/, START_TIMEOUT_MS);
  return p;
}

/** The report `meshpunch join --json` prints. */
export interface JoinReport {
  id: number;
  lobby: string;
  peers: Array<{ id: number; path: string; rttMs: number; local: string; remote: string }>;
  failures: Array<{ id: number; reason: string; detail?: string }>;
}

/** Starts `meshpunch join` in a lab host. */
export function labAgent(lab: Lab, host: string, lobby: string, args: readonly string[]): LabProcess {
  return lab.spawn(host, [process.execPath, MESHPUNCH, 'join', '--signal', LAB_SIGNAL_URL, '--lobby', lobby, '--stun', LAB_STUN, ...args], `${host}:join`);
}

/** The JSON line a finished `join --json` printed. */
export function jsonReport(p: LabProcess): JoinReport {
  const line = [...p.lines].reverse().find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`${p.label} printed no JSON: ${p.tail()}`);
  return JSON.parse(line) as JoinReport;
}

/** The peer id an agent announced ("joined 'x' as peer N"). */
export function peerIdOf(p: LabProcess): number {
  const line = p.lines.find((l) => / as peer \d+/.test(l));
  if (line === undefined) throw new Error(`${p.label} never said its peer id: ${p.tail()}`);
  return Number(/ as peer (\d+)/.exec(line)![1]);
}

export { join };
