import type { DarajaLogger } from '../core/logger.js';
import { maskPhoneNumbersInText } from '../core/utils/mask.js';
import { USAGE_EXIT_CODE } from './args.js';

/**
 * @internal
 * The name the help texts show: `npx daraja-sdk` works anywhere; once daraja-sdk is installed, the `daraja`
 * and `daraja-sdk` binaries are the same command.
 */
export const CLI_NAME = 'npx daraja-sdk';

/**
 * @internal
 * The exit codes of the `daraja` command. Scripts can rely on them; they are listed in `daraja --help`,
 * the README and the going-to-production guide.
 */
export const EXIT_CODES = Object.freeze({
  /** Everything passed: every doctor check (and the test payment completed), the schema is up to date. */
  ok: 0,
  /** A check failed, the test payment did not complete, the migration failed, or the simulator could not start. */
  failed: 1,
  /** Usage error: unknown command or flag, a flag without its value, a bad number. */
  usage: USAGE_EXIT_CODE,
  /** Configuration error: a required variable is missing or invalid, no database URL was given, or the `--env-file` cannot be read. */
  config: 3,
  /** Missing dependency: `daraja migrate` needs the `pg` package. */
  missingDependency: 4,
});

/** @internal One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** @internal The exit codes as the help texts show them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  OK: every check passed (and the test payment completed), or the schema is up to date
  1  A check failed, the test payment did not complete, or the migration failed
  2  Usage error: unknown command or flag, missing or bad flag value
  3  Configuration error: a required variable is missing or invalid (doctor), no database URL (migrate),
     or the --env-file cannot be read
  4  Missing dependency: the pg package is not installed (migrate)
`;

/** @internal Where the `daraja` command reads its environment and writes its output. */
export interface CliContext {
  /** The environment variables to read (`process.env` in the real command). */
  env: Readonly<Record<string, string | undefined>>;
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Emits `SIGINT` / `SIGTERM`, for `daraja sim`. @defaultValue `process` */
  signals?: Pick<NodeJS.Process, 'once' | 'off'>;
  /** The `fetch` the Daraja client uses (tests wrap it). @defaultValue `globalThis.fetch` */
  fetch?: typeof globalThis.fetch;
  /** Receives the SDK's redacted logs (tests capture them). @defaultValue silent */
  logger?: DarajaLogger;
  /** The directory `./.env` and a relative `--env-file` are read from. @defaultValue `process.cwd()` */
  cwd?: string;
  /** Loads the `pg` module (tests replace it). @defaultValue `() => import('pg')` */
  loadPg?: () => Promise<unknown>;
}

/** @internal Mask every phone number in every string of a JSON-able value. */
export function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return maskPhoneNumbersInText(value);
  if (Array.isArray(value)) return value.map(maskDeep);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = maskDeep(v);
    return out;
  }
  return value;
}

/** @internal Print a report as the one JSON object on stdout, phone numbers masked. */
export function printJson(context: CliContext, report: unknown): void {
  context.stdout(`${JSON.stringify(maskDeep(report), null, 2)}\n`);
}

/** @internal A writer that masks phone numbers in everything it prints. */
export function lineWriter(write: (text: string) => void): (line?: string) => void {
  return (line = '') => write(`${maskPhoneNumbersInText(line)}\n`);
}

/** @internal Plain-words description of an error for reports: class, Daraja's code and message. */
export interface ErrorReport {
  /** The error's class name, e.g. `DarajaAuthError`. */
  class: string;
  /** The SDK's message (it never contains secrets or full phone numbers). */
  message: string;
  /** HTTP status, for an API error. */
  status?: number;
  /** Daraja's `errorCode`, e.g. `400.002.02`. */
  errorCode?: string;
  /** Daraja's `errorMessage`, e.g. `Bad Request - Invalid PhoneNumber`. */
  errorMessage?: string;
  /** A system error code such as `ECONNREFUSED` or a PostgreSQL SQLSTATE. */
  code?: string;
}

/** @internal Describe any thrown value for a report, with phone numbers masked. */
export function describeError(error: unknown, scrub: (text: string) => string = (t) => t): ErrorReport {
  if (!(error instanceof Error)) return { class: typeof error, message: scrub(String(error)) };
  const e = error as Error & {
    status?: unknown;
    errorCode?: unknown;
    errorMessage?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  const report: ErrorReport = { class: e.name, message: maskPhoneNumbersInText(scrub(e.message)) };
  if (typeof e.status === 'number') report.status = e.status;
  if (typeof e.errorCode === 'string') report.errorCode = e.errorCode;
  if (typeof e.errorMessage === 'string') report.errorMessage = maskPhoneNumbersInText(scrub(e.errorMessage));
  let code: unknown = e.code;
  let cause: unknown = e.cause;
  for (let i = 0; i < 4 && typeof code !== 'string' && typeof cause === 'object' && cause !== null; i++) {
    code = (cause as { code?: unknown }).code;
    cause = (cause as { cause?: unknown }).cause;
  }
  if (typeof code === 'string') report.code = code;
  if (report.message === '') {
    // e.g. an AggregateError from a connection tried on several addresses
    const first = (e as { errors?: unknown }).errors;
    const inner = Array.isArray(first) && first[0] instanceof Error ? first[0].message : undefined;
    report.message = maskPhoneNumbersInText(scrub(inner ?? report.code ?? e.name));
  }
  return report;
}
