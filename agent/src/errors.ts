// The agent package's one error class and its code union (STYLE.md §4).

/** Every code a AgentError can carry; each has a line in docs/errors.md. */
export type AgentErrorCode = 'ERR_INVALID_PARAMETER' | 'AGENT_SIGNAL_FAILED';

/** Error thrown or rejected by this package; `code` is stable, `message` is for people. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly code: AgentErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: AgentErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}
