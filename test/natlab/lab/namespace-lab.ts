// What every lab builder shares (issue #15: the NAT lab and the LAN lab each had a copy): network
// namespaces named `nlab-<run id>-<node>` (so reapStaleLabs() finds what a crashed run left), the
// processes started in them, and a teardown that removes both by their own names and pids.
import { randomBytes } from 'node:crypto';
import { removeNamespaces, reapStaleLabs } from './cleanup.js';
import { run, startProcess, type LabProcess, type RunOptions, type RunResult } from './run.js';

/** Prefix of every namespace a lab creates: `nlab-<run id>-<node>`. */
export const NS_PREFIX = 'nlab-';

/** Namespaces and processes of one lab; subclasses build the topology. */
export abstract class NamespaceLab {
  /** Unique per lab: creator pid (base 36) + 4 random hex digits, part of every namespace name. */
  readonly runId = `${process.pid.toString(36)}-${randomBytes(2).toString('hex')}`;
  private readonly namespaces: string[] = [];
  private readonly processes = new Set<LabProcess>();
  private destroyed = false;

  /** @param kind names the lab in errors ('lab', 'lan-lab'). */
  protected constructor(private readonly kind: string) {}

  /**
   * Removes namespaces of earlier runs whose creator is gone, then runs `build` on `lab`.
   * @throws Error (after tearing down what was built) when a step fails.
   */
  protected static async built<L extends NamespaceLab>(lab: L, build: () => Promise<void>): Promise<L> {
    await reapStaleLabs();
    try {
      await build();
      return lab;
    } catch (err) {
      await lab.destroy();
      throw err;
    }
  }

  /** Namespace name of a node. */
  ns(node: string): string {
    const name = `${NS_PREFIX}${this.runId}-${node}`;
    if (!this.namespaces.includes(name)) throw new Error(`no ${this.kind} node named ${node}`);
    return name;
  }

  /** All namespace names of this lab, in creation order. */
  get namespaceNames(): readonly string[] {
    return [...this.namespaces];
  }

  /** Runs argv inside a node's namespace to completion. */
  exec(node: string, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.ns(node), ...argv], opts);
  }

  /** Starts argv inside a node's namespace; stopped by destroy() unless stopped earlier. */
  spawn(node: string, argv: readonly string[], label = `${node}:${argv[0]}`): LabProcess {
    if (this.destroyed) throw new Error('lab destroyed');
    const p = startProcess(label, ['ip', 'netns', 'exec', this.ns(node), ...argv]);
    this.processes.add(p);
    void p.exited.then(() => this.processes.delete(p));
    return p;
  }

  /** Stops every process, kills what still runs in the namespaces (by pid), deletes them. Safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.processes].map((p) => p.stop()));
    await removeNamespaces(this.namespaces);
    this.namespaces.length = 0;
  }

  /** Creates a node's namespace with its loopback up; returns the namespace name. */
  protected async addNamespace(node: string): Promise<string> {
    const name = `${NS_PREFIX}${this.runId}-${node}`;
    await run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A namespace's position in creation order (LanLab numbers second interfaces by it). */
  protected namespaceIndex(name: string): number {
    return this.namespaces.indexOf(name);
  }
}
