import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { CliContext } from './context.js';

/** @internal The file `daraja doctor` and `daraja migrate` read when no `--env-file` is given. */
export const DEFAULT_ENV_FILE = '.env';

/** @internal What was loaded from an environment file. */
export interface EnvFileReport {
  /** The file's absolute path. */
  path: string;
  /** How many variables it sets. */
  variables: number;
  /**
   * Variables the file sets that were already set, to another value, in the environment: the
   * environment's value is used (as Node's `process.loadEnvFile` and `--env-file` do). Names only.
   */
  shadowed: string[];
}

/** @internal The environment a command reads, and the file it came from. */
export interface LoadedEnv {
  /** The environment with the file's values under it (the environment wins). */
  env: Readonly<Record<string, string | undefined>>;
  /** The file loaded; absent when none was. */
  file?: EnvFileReport;
  /** Where the default `.env` was looked for, when there was none. */
  lookedFor?: string;
}

/** @internal An `--env-file` that cannot be read: a configuration error (exit code 3). */
export class EnvFileError extends Error {
  override name = 'EnvFileError';
  /** What to do about it. */
  readonly fix: string;

  constructor(message: string, fix: string) {
    super(message);
    this.fix = fix;
  }
}

/**
 * @internal
 * Load the environment file: `explicit` (from `--env-file`, relative to the working directory), or
 * `./.env` when it exists. Values already in the environment win over the file's, as with Node's
 * `process.loadEnvFile`. The file is parsed by Node's own parser (`util.parseEnv`, the one
 * `process.loadEnvFile` uses), so quotes, `export` and comments behave the same. When the command runs
 * on `process.env` (the real binary), the file is also loaded into it with `process.loadEnvFile`, so
 * libraries that read `process.env` themselves (pg reads `PGPASSWORD`, `PGSSLMODE`…) see it too.
 *
 * @throws {@link EnvFileError} when `explicit` is missing or unreadable, or the default file is unreadable.
 */
export function loadEnvFile(context: CliContext, explicit: string | undefined): LoadedEnv {
  const cwd = context.cwd ?? process.cwd();
  const path = resolve(cwd, explicit ?? DEFAULT_ENV_FILE);
  const flag = explicit === undefined ? DEFAULT_ENV_FILE : `--env-file ${explicit}`;
  let text: string;
  try {
    if (statSync(path).isDirectory()) {
      throw new EnvFileError(
        `${flag}: ${path} is a directory, not an environment file.`,
        'Pass the path of the file itself, e.g. --env-file ./config/.env.local.',
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof EnvFileError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' && explicit === undefined) return { env: context.env, lookedFor: path };
    throw new EnvFileError(
      code === 'ENOENT'
        ? `--env-file ${explicit}: no such file (${path}).`
        : `${flag}: cannot read ${path} (${typeof code === 'string' ? code : (error as Error).message}).`,
      code === 'ENOENT'
        ? 'Check the path (it is relative to the current directory), or leave out --env-file to use ./.env when it exists.'
        : 'Check the permissions of the file.',
    );
  }
  if (typeof parseEnv !== 'function') {
    throw new EnvFileError(
      `${flag}: this Node.js (${process.version}) cannot read environment files.`,
      'Use Node.js 20.12 or later (daraja-sdk needs 20.19 or later), or export the variables in the shell.',
    );
  }
  const parsed = parseEnv(text) as Record<string, string>;
  const shadowed = Object.keys(parsed).filter(
    (name) => context.env[name] !== undefined && context.env[name] !== parsed[name],
  );
  if (context.env === process.env && typeof process.loadEnvFile === 'function') process.loadEnvFile(path);
  return {
    env: { ...parsed, ...context.env },
    file: { path, variables: Object.keys(parsed).length, shadowed },
  };
}

/** @internal The line commands print about the environment file (its path and counts, never values). */
export function describeEnvFile(loaded: LoadedEnv): string {
  if (!loaded.file) {
    return `Environment file: none (no ${DEFAULT_ENV_FILE} at ${loaded.lookedFor ?? DEFAULT_ENV_FILE}; --env-file <path> reads another)`;
  }
  const { path, variables, shadowed } = loaded.file;
  const counts = `${variables} variable${variables === 1 ? '' : 's'}; values already in the environment win`;
  const both =
    shadowed.length > 0
      ? `\n  ${shadowed.join(', ')} ${shadowed.length === 1 ? 'is' : 'are'} also set in the environment, to another value: the environment's value is used`
      : '';
  return `Environment file: ${path} (${counts})${both}`;
}
