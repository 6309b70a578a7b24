// The bad-command-line error of both CLIs (meshpunch, meshpunch-signal): one definition, so both
// print a usage error the same way and exit 2 (issue #15: it was defined twice, in two shapes).
import { MeshpunchError } from './meshpunch-error.js';

/** Bad command line: the message is the one line printed, the exit code is 2. */
export class CliUsageError extends MeshpunchError<'ERR_INVALID_PARAMETER'> {
  override readonly name = 'CliUsageError';
  /** Subcommand the error belongs to (for the help hint), or undefined at top level. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super('ERR_INVALID_PARAMETER', message, command === undefined ? {} : { command });
    this.command = command;
  }
}
