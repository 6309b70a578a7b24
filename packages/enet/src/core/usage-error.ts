// Core: the one error the core throws — API misuse by its caller (docs/design.md §2: network input
// never throws). The adapter maps it to ENetError('ERR_INVALID_PARAMETER').

/** Thrown by core commands and config validation for out-of-range arguments. */
export class CoreUsageError extends RangeError {
  override readonly name = 'CoreUsageError';
  /** The argument that was wrong and the value it had. */
  readonly argument: string;
  readonly got: unknown;

  constructor(message: string, argument: string, got: unknown) {
    super(message);
    this.argument = argument;
    this.got = got;
  }
}
