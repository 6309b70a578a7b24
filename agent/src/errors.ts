// The agent package's one error class and its code union (docs/design.md §4).
import { MeshpunchError } from '@meshpunch/base';

/**
 * Every code an AgentError can carry; each has a line in docs/errors.md.
 * - `ERR_INVALID_PARAMETER`: an option or CLI flag is out of range (the message names rule and value).
 * - `ERR_UNCONFIGURED`: the session is not (or no longer) running.
 * - `ERR_ALREADY_IN_USE`: a one-shot step of a link (begin, relay allocation) was asked twice.
 * - `ERR_CANT_CREATE` / `AGENT_GATHER_FAILED`: a link socket could not be bound / gathered (LinkSocketError,
 *   turned into the link failure reasons bind-failed / gather-failed).
 * - `AGENT_SIGNAL_FAILED`: the signaling service could not be reached or closed the session.
 * - `AGENT_LOBBY_FAILED`: the service refused to create or join the lobby.
 * - `AGENT_TIMEOUT`: the mesh did not reach the wanted size in time.
 * - `AGENT_CLOSED`: the session was closed while an operation was waiting.
 * - `AGENT_LAN_FAILED`: LAN mode cannot run (no usable LAN interface, mDNS port unavailable).
 * The CLI's JSON `error.code` adds AGENT_INTERRUPTED, AGENT_LINKS_FAILED, AGENT_EXCHANGE_INCOMPLETE
 * and AGENT_SIGNAL_LOST (docs/errors.md).
 */
export type AgentErrorCode =
  | 'ERR_INVALID_PARAMETER'
  | 'ERR_UNCONFIGURED'
  | 'ERR_ALREADY_IN_USE'
  | 'ERR_CANT_CREATE'
  | 'AGENT_GATHER_FAILED'
  | 'AGENT_SIGNAL_FAILED'
  | 'AGENT_LOBBY_FAILED'
  | 'AGENT_TIMEOUT'
  | 'AGENT_CLOSED'
  | 'AGENT_LAN_FAILED';

/** Error thrown or rejected by this package; `code` is stable, `message` is for people. */
export class AgentError extends MeshpunchError<AgentErrorCode> {
  override readonly name: string = 'AgentError';
}
