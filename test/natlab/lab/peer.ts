// NAT lab: the test side of runners/nat-peer.js — one long-lived peer process per lab host,
// driven by JSON-line commands (discover, gather, punch).
import { START_TIMEOUT_MS } from '../../e2e/agent-process.js';
import type { Lab } from './lab.js';
import type { LabProcess } from './run.js';

let nextId = 1;

/** A nat-peer process in a lab host's namespace. */
export class LabPeer {
  private constructor(readonly host: string, private readonly proc: LabProcess) {}

  /** Starts the peer in `host` and waits until it is ready. */
  static async start(lab: Lab, host: string): Promise<LabPeer> {
    const proc = lab.spawnRunner(host, 'nat-peer', [lab.hostIp(host)]);
    // The matrix starts 19 peers at once: on 2 shared cores at load 25, 12 of them took 6.6-7.5 s
    // to load Node and print ready, so 10 s failed the whole matrix before it began.
    await proc.waitForLine(/"event":"ready"/, START_TIMEOUT_MS);
    return new LabPeer(host, proc);
  }

  /**
   * Sends one command and resolves with its answer.
   * @throws Error when the peer answers ok:false or does not answer within timeoutMs.
   */
  async request<T = Record<string, unknown>>(cmd: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    const id = nextId++;
    this.proc.write(`${JSON.stringify({ id, ...cmd })}\n`);
    const line = await this.proc.waitForLine(new RegExp(`^\\{"id":${id},`), timeoutMs);
    const r = JSON.parse(line) as { ok: boolean; error?: string };
    if (!r.ok) throw new Error(`${this.host} ${String(cmd.cmd)}: ${r.error}`);
    return r as T;
  }

  /** Asks the process to exit and waits (the lab's destroy() would stop it otherwise). */
  async quit(): Promise<void> {
    this.proc.write('{"cmd":"quit"}\n');
    await Promise.race([this.proc.exited, new Promise((r) => setTimeout(r, 2000))]);
    await this.proc.stop();
  }
}
