import {
  ConfigError,
  formatHelp,
  type OptionSpec,
  type OptionValues,
  resolveOptions,
} from './config/options.js';

/**
 * Shared shell of every subcommand: options, --help, and one clear line (no stack trace) for
 * configuration and start-up failures.
 */
export async function runCommand(
  name: string,
  usage: string,
  specs: OptionSpec[],
  argv: string[],
  body: (values: OptionValues, positionals: string[]) => Promise<number>,
  /** How many bare arguments the command takes (`user create …` takes one); extra ones are errors. */
  maxPositionals = 0,
): Promise<number> {
  try {
    const { values, positionals, help } = resolveOptions(specs, argv, process.env);
    if (positionals.length > maxPositionals) {
      // `--flag false` parses as a boolean flag plus a stray word: say so instead of ignoring it.
      throw new ConfigError(
        `unexpected argument '${positionals[maxPositionals]}' (boolean flags take no value; use the env var to turn one off)`,
      );
    }
    if (help) {
      process.stdout.write(formatHelp(usage, specs));
      return 0;
    }
    return await body(values, positionals);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`porthole ${name}: ${message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
