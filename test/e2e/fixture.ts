// Test helper: the set-up every end-to-end file shared as its own copy (issue #15): mocha hooks
// that stop each process a test started (by its pid, after the test) and, for blocks that mesh
// agents, one in-process signaling service with `join` helpers. Call inside a `describe`.
import { startEmbeddedSignaling, type EmbeddedSignaling } from '@meshpunch/agent';
import { AgentProcess, MESHPUNCH, START_TIMEOUT_MS, stopAll, until } from './agent-process.js';

/** The processes of one describe block: each is SIGKILLed by pid after the test that started it. */
export interface ProcessFixture {
  /** Runs `meshpunch …args`, or another Node `script` (e.g. meshpunch-signal), with `env` added to the environment. */
  spawn(args: readonly string[], script?: string, env?: Readonly<Record<string, string>>): AgentProcess;
  /** Stops a process another helper started (e.g. startSignalProcess) after the test too. */
  track(p: AgentProcess): AgentProcess;
}

/** Where and how `join` runs. */
export interface JoinOptions {
  /** `--bind` address; null binds the wildcard (no --bind). Default 127.0.0.1. */
  readonly bind?: string | null;
  /** The service URL. Default the block's in-process service. */
  readonly signal?: string;
  /** Added to the agent's environment (e.g. MESHPUNCH_TIMELINE). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A ProcessFixture with the block's in-process service. */
export interface ServiceFixture extends ProcessFixture {
  /** The service (started in `before`, closed in `after`). */
  readonly signaling: EmbeddedSignaling;
  /** Runs `meshpunch join --signal URL --lobby LOBBY --bind ADDRESS …args`. */
  join(lobby: string, args: readonly string[], options?: JoinOptions): AgentProcess;
  /** Runs `join … --create` and resolves once the service holds one more lobby (others may then join it). */
  create(lobby: string, args: readonly string[], options?: JoinOptions): Promise<AgentProcess>;
}

/** Registers an `afterEach` that stops every process the test started. */
export function useProcesses(): ProcessFixture {
  const procs: AgentProcess[] = [];
  afterEach(async () => {
    await stopAll(procs.splice(0));
  });
  const track = (p: AgentProcess): AgentProcess => {
    procs.push(p);
    return p;
  };
  return { track, spawn: (args, script = MESHPUNCH, env = {}) => track(new AgentProcess(args, script, env)) };
}

/** useProcesses plus one in-process service for the block (`before` / `after`). */
export function useService(): ServiceFixture {
  const processes = useProcesses();
  let signaling: EmbeddedSignaling | undefined;
  before(async () => {
    signaling = await startEmbeddedSignaling();
  });
  after(async () => {
    await signaling?.close();
  });
  const service = (): EmbeddedSignaling => {
    if (signaling === undefined) throw new Error('the service starts in before(): use it inside a test or hook');
    return signaling;
  };
  const join = (lobby: string, args: readonly string[], options: JoinOptions = {}): AgentProcess => {
    const bind = options.bind === undefined ? ['--bind', '127.0.0.1'] : options.bind === null ? [] : ['--bind', options.bind];
    return processes.spawn(['join', '--signal', options.signal ?? service().url, '--lobby', lobby, ...bind, ...args], MESHPUNCH, options.env);
  };
  return {
    ...processes,
    get signaling() {
      return service();
    },
    join,
    async create(lobby, args, options) {
      const before = service().lobbyCount();
      const p = join(lobby, ['--create', ...args], options);
      await until(() => service().lobbyCount() > before, START_TIMEOUT_MS, `lobby ${lobby} to exist`);
      return p;
    },
  };
}
