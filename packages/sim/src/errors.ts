// The simulator kit's one error class and its code union (docs/design.md §4).
import { MeshpunchError } from '@meshpunch/base';

/**
 * Every code a SimError can carry; each has a line in docs/errors.md.
 * - `ERR_INVALID_PARAMETER`: a bad seed, port range or empty pick.
 * - `ERR_ALREADY_IN_USE`: an endpoint bound twice on one SimNet.
 * - `SIM_LIMIT`: a run hit its step or virtual-time limit (SimLimitError: seed and trace for replay).
 * - `SIM_RUNAWAY_CORE`: a core emitted more datagrams in one drain than any core should.
 */
export type SimErrorCode = 'ERR_INVALID_PARAMETER' | 'ERR_ALREADY_IN_USE' | 'SIM_LIMIT' | 'SIM_RUNAWAY_CORE';

/** Error thrown by the simulator; `code` is stable, `message` is for people. */
export class SimError extends MeshpunchError<SimErrorCode> {
  override readonly name: string = 'SimError';
}
