// Core: the one error the core throws — API misuse by its caller (docs/design.md §2: network input
// never throws). The adapter maps it to ENetError('ERR_INVALID_PARAMETER').
import { MeshpunchError } from '@meshpunch/base';

/** Thrown by core commands and config validation for out-of-range arguments; code ERR_INVALID_PARAMETER. */
export class CoreUsageError extends MeshpunchError<'ERR_INVALID_PARAMETER'> {
  override readonly name = 'CoreUsageError';
  /** The argument that was wrong and the value it had (also in `details`). */
  readonly argument: string;
  readonly got: unknown;

  constructor(message: string, argument: string, got: unknown) {
    super('ERR_INVALID_PARAMETER', message, { argument, got });
    this.argument = argument;
    this.got = got;
  }
}
