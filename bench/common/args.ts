// The command line of every bench: `--help` prints the usage, an unknown or malformed option is a
// clear error with the usage (exit 2) instead of node's parseArgs stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The usage text: what the bench does, then each option with its default. */
export function benchUsage(command: string, about: string, options: Options, environment = ''): string {
  const lines = Object.entries(options).map(([name, o]) => {
    const flag = `--${name}${o.type === 'string' ? ' V' : ''}`;
    return `  ${flag.padEnd(22)}${o.default === undefined ? '' : `(default ${String(o.default)})`}`;
  });
  return [`usage: ${command} [options]`, about, '', 'Options:', ...lines, '  -h, --help            this text', ...(environment === '' ? [] : ['', environment])].join('\n');
}

/** parseArgs (strict, no positionals) with --help and errors answered as above. */
export function benchArgs<T extends Options>(usage: string, options: T): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>['values'] {
  const argv = process.argv.slice(2);
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}
