import type { DarajaLogger } from '../core/logger.js';
import { STK_OUTCOME_RULES } from '../simulator/outcomes.js';
import { RESULT_OUTCOME_RULES } from '../simulator/result-outcomes.js';
import { createSimulator, SIMULATOR_DEFAULTS, type SimulatorOptions } from '../simulator/simulator.js';
import { type FlagSpec, parseFlags, reportUsageError, UsageError, wholeNumberFlag } from './args.js';
import type { ProcessIo } from './process.js';

/** @internal The port `daraja-sim` listens on unless told otherwise. */
export const CLI_DEFAULT_PORT = 4010;

/** @internal Where the command writes, and what emits `SIGINT` / `SIGTERM` (the process, or a stand-in in tests). */
export type CliIo = ProcessIo;

/**
 * @internal The help text of the simulator command, under the name it was started as (`daraja-sim`, or
 * `daraja sim` from the `daraja` command).
 */
export function simulatorUsage(name = 'daraja-sim'): string {
  return `Usage: ${name} [options]

A local Daraja (M-Pesa) simulator, no credentials needed: OAuth, STK push and query, C2B register and
simulate, B2C, B2B, tax, transaction status, account balance, reversal, dynamic QR, pull transactions,
and their callbacks and results.

Options:
  --port <n>                    Port to listen on (default ${CLI_DEFAULT_PORT}; 0 picks a free one)
  --host <host>                 Interface to listen on (default ${SIMULATOR_DEFAULTS.host})
  --callback-delay-ms <ms>      Delay before each push, request or C2B payment is decided and its
                                callback or result sent (default ${SIMULATOR_DEFAULTS.callbackDelayMs})
  --late-callback-delay-ms <ms> Extra delay of a late callback (default ${SIMULATOR_DEFAULTS.lateCallbackDelayMs})
  --mode auto|manual            auto: outcomes by rule; manual: prompts and initiator requests wait for
                                POST /simulator/stk/<CheckoutRequestID>/resolve or
                                POST /simulator/operations/<ConversationID>/resolve (default auto)
  --prompt-timeout-ms <ms>      manual mode: unanswered prompts end as 1037 after this long
  --accept-any-credential       Accept any non-empty SecurityCredential (default: it must decrypt
                                to the initiator password with the simulator's certificate)
  --realistic                   Answer like real Daraja, not only like its documentation: STK query's
                                undocumented in-flight answers (4999, empty messages, an early
                                "Invalid CheckoutRequestID", intermittent 500s), HTTP 429 above 5 STK
                                queries per 60 s, masked phone numbers in STK callbacks
  --seed <n>                    Seed of the random choices of --realistic, to repeat a run
  -h, --help                    Show this help
`;
}

/** @internal The help text of `daraja-sim`. */
export const USAGE = simulatorUsage();

/** @internal The parsed command line: show the help, or start with these options. */
export type CliCommand = { help: true } | { help: false; options: SimulatorOptions };

const SIM_FLAGS: FlagSpec = {
  port: 'string',
  host: 'string',
  'callback-delay-ms': 'string',
  'late-callback-delay-ms': 'string',
  mode: 'string',
  'prompt-timeout-ms': 'string',
  'accept-any-credential': 'boolean',
  realistic: 'boolean',
  seed: 'string',
};

/** The flags of whole milliseconds, and the simulator option each sets. */
const DELAY_FLAGS = [
  ['callback-delay-ms', 'callbackDelayMs'],
  ['late-callback-delay-ms', 'lateCallbackDelayMs'],
  ['prompt-timeout-ms', 'promptTimeoutMs'],
] as const;

/** @internal Parse `daraja-sim`'s arguments. @throws {@link UsageError} */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const flags = parseFlags(argv, SIM_FLAGS);
  if (flags.help) return { help: true };
  const mode = flags.string('mode');
  if (mode !== undefined && mode !== 'auto' && mode !== 'manual') {
    throw new UsageError(`--mode must be "auto" or "manual", got "${mode}".`);
  }
  const options: SimulatorOptions = {
    port: wholeNumberFlag('port', flags.string('port')) ?? CLI_DEFAULT_PORT,
  };
  const host = flags.string('host');
  if (host !== undefined) options.host = host;
  if (mode !== undefined) options.mode = mode;
  if (flags.boolean('accept-any-credential')) options.credentialCheck = 'any';
  const seed = wholeNumberFlag('seed', flags.string('seed'));
  const realistic = flags.boolean('realistic');
  if (realistic || seed !== undefined) {
    options.quirks = {
      ...(realistic ? { preset: 'realistic' as const } : {}),
      ...(seed === undefined ? {} : { seed }),
    };
  }
  for (const [flag, option] of DELAY_FLAGS) {
    const n = wholeNumberFlag(flag, flags.string(flag));
    if (n !== undefined) options[option] = n;
  }
  return { help: false, options };
}

const clock = () => new Date().toISOString().slice(11, 19);

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join('');
}

/** A logger printing one line per event; the simulator has already redacted the fields. */
function lineLogger(write: (text: string) => void): DarajaLogger {
  const line = (fields: Record<string, unknown>, message: string) =>
    write(`${clock()} ${message.replace(/^\[daraja\] (?:sim: )?/, '')}${formatFields(fields)}\n`);
  return { debug: line, info: line, warn: line, error: line };
}

function banner(
  name: string,
  sim: Awaited<ReturnType<typeof createSimulator>>,
  options: SimulatorOptions,
): string {
  const env = Object.entries(sim.env)
    .map(([variable, value]) => `  ${variable}=${value}`)
    .join('\n');
  const rules = STK_OUTCOME_RULES.map(
    (r) =>
      `  ..${r.suffix}  ${r.outcome.padEnd(19)} ResultCode ${String(r.resultCode).padEnd(5)} ${r.description}`,
  ).join('\n');
  const results = RESULT_OUTCOME_RULES.map(
    (r) =>
      `  ..${r.suffix}  ${r.outcome.padEnd(22)} ResultCode ${String(r.resultCode ?? '-').padEnd(5)} ${r.description}`,
  ).join('\n');
  const mode =
    sim.mode === 'manual'
      ? `manual: each prompt stays open until POST ${sim.url}/simulator/stk/<CheckoutRequestID>/resolve {"outcome":"success"}, each initiator request until POST ${sim.url}/simulator/operations/<ConversationID>/resolve`
      : `auto: each push and request is decided ${options.callbackDelayMs ?? SIMULATOR_DEFAULTS.callbackDelayMs} ms after it is accepted`;
  const { preset, seed, stkQueryRateLimit: rate } = sim.quirks;
  const limit =
    rate === false
      ? ''
      : `, HTTP 429 above ${rate.messagesPerPeriod} STK queries per ${rate.periodMs / 1000} s`;
  const quirks =
    preset === 'realistic'
      ? `realistic (seed ${seed}): STK query answers 4999, empty errors, an early "Invalid CheckoutRequestID" and intermittent 500s now and then${limit}; callbacks mask the phone number`
      : 'as documented, plus the Balance item of success callbacks (--realistic for what real Daraja also does)';
  return `${name}: Daraja simulator listening on ${sim.url}
Mode: ${mode}
Quirks: ${quirks}

Point daraja-sdk at it (Daraja.fromEnv) with these variables; the credentials are the simulator's own fake ones:
${env}
  MPESA_CALLBACK_URL=<your app's callback URL>
Check a setup against it with these variables: npx daraja-sdk doctor --push 0712345678

STK outcomes by the last two digits of the phone number (any other ending: success):
${rules}

For the initiator APIs (B2C, B2B, tax, transaction status, account balance, reversal), add:
  MPESA_INITIATOR_NAME=${sim.initiatorName}
  MPESA_INITIATOR_SHORTCODE=${sim.initiatorShortcode}
  MPESA_SECURITY_CREDENTIAL=${sim.securityCredential()}
  MPESA_RESULT_URL=<your app's result URL>
  MPESA_QUEUE_TIMEOUT_URL=<your app's queue-timeout URL>
(or MPESA_INITIATOR_PASSWORD=${sim.initiatorPassword} with the certificate from GET ${sim.url}/simulator/initiator)

Initiator results by the last two digits of B2C's phone number, or of a B2B, tax or reversal amount of 100 or more (any other ending: success):
${results}

Control API: GET ${sim.url}/simulator/stk, GET ${sim.url}/simulator/operations, GET ${sim.url}/simulator/c2b,
GET ${sim.url}/simulator/requests, GET|POST ${sim.url}/simulator/quirks {"preset":"realistic"}, POST ${sim.url}/simulator/next-outcome {"outcomes":["cancelled"]},
POST ${sim.url}/simulator/next-result {"outcomes":["insufficient-funds"]}
Stop with Ctrl+C.

`;
}

/**
 * @internal
 * Run `daraja-sim`: start the simulator, print where it is and how to use it, log every request, and
 * stop cleanly on SIGINT or SIGTERM. `daraja sim` runs the same code under its own name.
 *
 * @param name - The command's name in messages and the help. @defaultValue `'daraja-sim'`
 * @returns The exit code: 0 after a clean stop or `--help`, 2 for a bad command line, 1 when it cannot start.
 */
export async function runCli(argv: readonly string[], io: CliIo, name = 'daraja-sim'): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportUsageError(io.stderr, name, error, simulatorUsage(name));
  }
  if (command.help) {
    io.stdout(simulatorUsage(name));
    return 0;
  }
  let sim: Awaited<ReturnType<typeof createSimulator>>;
  try {
    sim = await createSimulator({ ...command.options, logger: lineLogger(io.stdout) });
  } catch (error) {
    io.stderr(`${name}: could not start: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout(banner(name, sim, command.options));
  const signal = await new Promise<string>((resolve) => {
    const stop = (signalName: string) => () => {
      io.signals.off('SIGINT', onInt);
      io.signals.off('SIGTERM', onTerm);
      resolve(signalName);
    };
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    io.signals.once('SIGINT', onInt);
    io.signals.once('SIGTERM', onTerm);
  });
  io.stdout(`${name}: ${signal} received, stopping\n`);
  await sim.close();
  io.stdout(`${name}: stopped\n`);
  return 0;
}
