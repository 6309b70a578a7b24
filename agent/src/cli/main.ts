// The `meshpunch` command line (cli layer): parse, dispatch, print, exit code. The commands'
// real work is injected, so the bin wires the library and tests can wire fakes.

import type { NetcheckReport } from '../core/netcheck-verdict.js';
import type { LanLobby } from '../lan/lobbies.js';
import { CliUsageError, parseCommand, type LobbiesFlags, type NetcheckFlags } from './flags.js';
import { helpText } from './help.js';
import type { CliIo } from './io.js';
import { oneLine, runJoin, type JoinStarter } from './join-command.js';
import { lobbiesText, netcheckText } from './render.js';

/** The work behind each command. */
export interface CliCommands {
  readonly version: string;
  readonly join: JoinStarter;
  readonly netcheck: (flags: NetcheckFlags) => Promise<NetcheckReport>;
  /** The lobbies on the LAN (`lobbies --lan`). */
  readonly lobbies: (flags: LobbiesFlags) => Promise<LanLobby[]>;
  /** Runs the signaling service in this process until it stops; resolves with its exit code. */
  readonly signal: (argv: readonly string[], io: CliIo) => Promise<number>;
}

/** Exit codes: 0 success, 1 the run failed, 2 bad command line. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Runs one command line; resolves with the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo, commands: CliCommands): Promise<number> {
  let cmd;
  try {
    cmd = parseCommand(argv);
  } catch (err) {
    if (err instanceof CliUsageError) {
      const hint = err.command === undefined ? 'meshpunch --help' : `meshpunch ${err.command} --help`;
      io.stderr.write(`meshpunch${err.command === undefined ? '' : ` ${err.command}`}: ${err.message} (see ${hint})\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`meshpunch: ${oneLine(err)}\n`);
    return EXIT_FAILED;
  }
  try {
    switch (cmd.kind) {
      case 'help':
        io.stdout.write(helpText(cmd.topic));
        return EXIT_OK;
      case 'version':
        io.stdout.write(`meshpunch ${commands.version}\n`);
        return EXIT_OK;
      case 'join':
        return await runJoin(cmd.flags, io, commands.join);
      case 'netcheck': {
        const report = await commands.netcheck(cmd.flags);
        io.stdout.write(cmd.flags.json ? `${JSON.stringify(report)}\n` : `${netcheckText(report)}\n`);
        return EXIT_OK;
      }
      case 'lobbies': {
        const list = await commands.lobbies(cmd.flags);
        io.stdout.write(cmd.flags.json ? `${JSON.stringify({ lobbies: list })}\n` : `${lobbiesText(list)}\n`);
        return EXIT_OK;
      }
      case 'signal':
        return await commands.signal(cmd.argv, io);
    }
  } catch (err) {
    io.stderr.write(`meshpunch ${cmd.kind}: ${oneLine(err)}\n`);
    return EXIT_FAILED;
  }
}
