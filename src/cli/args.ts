import { parseArgs } from 'node:util';

/** @internal A bad command line: exit code 2, with the command's usage on stderr. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** @internal The exit code of a bad command line, the same for every command. */
export const USAGE_EXIT_CODE = 2;

/** @internal The flags a command takes: each flag's name (without `--`) and the kind of its value. */
export type FlagSpec = Readonly<Record<string, 'string' | 'boolean'>>;

/** @internal A parsed command line: the flags given, read through typed getters. */
export interface Flags {
  /** `-h` or `--help` was given (every command takes it). */
  readonly help: boolean;
  /** The value of a string flag, or undefined when it was not given. */
  string(name: string): string | undefined;
  /** Whether a boolean flag was given. */
  boolean(name: string): boolean;
}

/**
 * @internal
 * Parse a command's flags with Node's `util.parseArgs`: strict (an unknown flag, or a flag without its
 * value, is an error), no positional arguments, and `-h` / `--help` for every command.
 *
 * @throws {@link UsageError} with `parseArgs`'s own message.
 */
export function parseFlags(argv: readonly string[], spec: FlagSpec): Flags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, type] of Object.entries(spec)) options[name] = { type };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    help: values['help'] === true,
    string: (name) => {
      const value = values[name];
      return typeof value === 'string' ? value : undefined;
    },
    boolean: (name) => values[name] === true,
  };
}

/**
 * @internal
 * Read a whole-number flag. With a range, the value may carry surrounding spaces and must lie in it; the
 * message then names the range.
 *
 * @throws {@link UsageError}
 */
export function wholeNumberFlag(
  flag: string,
  value: string | undefined,
  range?: { min: number; max: number },
): number | undefined {
  if (value === undefined) return undefined;
  if (range === undefined) {
    if (!/^\d+$/.test(value)) throw new UsageError(`--${flag} must be a whole number, got "${value}".`);
    return Number(value);
  }
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) < range.min || Number(text) > range.max) {
    throw new UsageError(
      `--${flag} must be a whole number from ${range.min} to ${range.max}, got "${value}".`,
    );
  }
  return Number(text);
}

/**
 * @internal
 * The one way a command reports a bad command line: `<name>: <message>`, a blank line and the usage,
 * on stderr.
 *
 * @returns {@link USAGE_EXIT_CODE}.
 */
export function reportUsageError(
  stderr: (text: string) => void,
  name: string,
  error: UsageError,
  usage: string,
): typeof USAGE_EXIT_CODE {
  stderr(`${name}: ${error.message}\n\n${usage}`);
  return USAGE_EXIT_CODE;
}
