import { VERSION } from '../core/version.js';
import { reportUsageError, UsageError } from './args.js';
import {
  CLI_NAME,
  type CliContext,
  describeError,
  EXIT_CODES,
  EXIT_CODES_HELP,
  type ExitCode,
  printJson,
} from './context.js';
import { DOCTOR_USAGE, runDoctor } from './doctor.js';
import { EnvFileError } from './env-file.js';
import { MIGRATE_USAGE, runMigrate } from './migrate.js';
import { runCli as runSimulatorCli } from './sim.js';

/** @internal The help of the `daraja-sdk` (alias `daraja`) command. */
export const USAGE = `Usage: ${CLI_NAME} <command> [options]

The daraja-sdk command line: check an M-Pesa (Daraja) setup, run the local simulator, and set up the
PostgreSQL payment tables. Installed in a project, \`daraja <command>\` is the same command.

Commands:
  doctor    Check the MPESA_* configuration (the environment, and ./.env or --env-file), fetch a
            token, check the callback URL; with --callback-url <url>, send the app's callback route a
            probe and report what its payment flow did; with --push <phone>, send a test STK push
            and wait for its final status
  sim       Start the local Daraja simulator (the same as daraja-sim)
  migrate   Apply the PostgreSQL schema of PostgresPaymentStore to DATABASE_URL (needs pg)

Options:
  -h, --help       Show this help; \`${CLI_NAME} <command> --help\` shows a command's
  -v, --version    Show the version of daraja-sdk

doctor and migrate read ./.env when it exists (--env-file <path> reads another; variables already
set in the environment win), and print text, or with --json one JSON object on stdout (and nothing
else there).

${EXIT_CODES_HELP}`;

/**
 * The simulator's name in its usage and log lines: the binary's, since the simulator prefixes every log
 * line with it (`npx daraja-sdk sim` runs it too).
 */
const SIM_NAME = 'daraja-sdk sim';

const COMMAND_USAGE: Readonly<Record<string, () => string>> = {
  doctor: () => DOCTOR_USAGE,
  migrate: () => MIGRATE_USAGE,
};

/**
 * @internal
 * Run the `daraja` command with these arguments (without `node` and the script), reading `env` and
 * writing to `stdout` / `stderr`. Never calls `process.exit`: tests run it in-process.
 *
 * @returns The exit code, one of `EXIT_CODES`.
 */
export async function run(argv: readonly string[], context: CliContext): Promise<ExitCode> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (command) {
      case undefined:
        context.stderr(USAGE);
        return EXIT_CODES.usage;
      case '-h':
      case '--help':
      case 'help': {
        const topic = rest[0];
        if (topic === 'sim') return (await runSimulatorCli(['--help'], simIo(context), SIM_NAME)) as ExitCode;
        const usage = topic === undefined ? USAGE : COMMAND_USAGE[topic]?.();
        if (usage === undefined) throw new UsageError(`unknown command "${topic}".`);
        context.stdout(usage);
        return EXIT_CODES.ok;
      }
      case '-v':
      case '--version':
      case 'version':
        context.stdout(`${VERSION}\n`);
        return EXIT_CODES.ok;
      case 'doctor':
        return await runDoctor(rest, context);
      case 'migrate':
        return await runMigrate(rest, context);
      case 'sim':
        // Same flags and behaviour as daraja-sim; its exit codes (0, 1, 2) mean what ours do.
        return (await runSimulatorCli(rest, simIo(context), SIM_NAME)) as ExitCode;
      default:
        throw new UsageError(
          command.startsWith('-') ? `unknown option "${command}".` : `unknown command "${command}".`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const usage = (command !== undefined && COMMAND_USAGE[command]?.()) || USAGE;
      reportUsageError(context.stderr, 'daraja', error, usage);
      if (json) {
        printJson(context, {
          command,
          ok: false,
          exitCode: EXIT_CODES.usage,
          error: { class: 'UsageError', message: error.message },
        });
      }
      return EXIT_CODES.usage;
    }
    if (error instanceof EnvFileError) {
      context.stderr(`daraja: ${error.message}\nfix: ${error.fix}\n`);
      if (json) {
        printJson(context, {
          command,
          ok: false,
          exitCode: EXIT_CODES.config,
          error: { class: error.name, message: error.message },
          fix: error.fix,
        });
      }
      return EXIT_CODES.config;
    }
    const report = describeError(error);
    context.stderr(`daraja: unexpected error: ${report.class}: ${report.message}\n`);
    if (json) printJson(context, { command, ok: false, exitCode: EXIT_CODES.failed, error: report });
    return EXIT_CODES.failed;
  }
}

function simIo(context: CliContext) {
  return {
    stdout: context.stdout,
    stderr: context.stderr,
    signals: context.signals ?? process,
  };
}
