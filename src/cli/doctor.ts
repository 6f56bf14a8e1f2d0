import type { DarajaOptions } from '../client.js';
import { STK_MAX_AMOUNT, STK_MIN_AMOUNT } from '../core/limits.js';
import { maskPhoneNumber } from '../core/utils/mask.js';
import { VERSION } from '../core/version.js';
import { parseFlags, UsageError, wholeNumberFlag } from './args.js';
import type { CallbackProbeResult } from './callback-probe.js';
import {
  CLI_NAME,
  type CliContext,
  EXIT_CODES,
  EXIT_CODES_HELP,
  type ExitCode,
  lineWriter,
  printJson,
} from './context.js';
import {
  accessTokenCheck,
  callbackProbeCheck,
  callbackUrlCheck,
  configurationCheck,
  phoneCheck,
} from './doctor-checks.js';
import { type ConfigInspection, inspectConfig, type VariableReport } from './doctor-config.js';
import { pushCheck } from './doctor-push.js';
import { renderCheck, renderHeader, renderSummary } from './doctor-render.js';
import { type CheckReport, DOCTOR_DEFAULTS, type PushReport } from './doctor-report.js';
import { type EnvFileReport, loadEnvFile } from './env-file.js';
import { showUrl } from './url-check.js';

export { DOCTOR_DEFAULTS };

/** @internal The help of `daraja doctor`. */
export const DOCTOR_USAGE = `Usage: ${CLI_NAME} doctor [options]

Check the M-Pesa setup before going live: every MPESA_* variable the SDK reads (each problem with its
fix, all at once), phone number normalisation, an access token from Daraja, the callback URL; with
--callback-url, a probe of the app's callback route; with --push, a real STK push whose final status
it waits for. Point it at the simulator with MPESA_BASE_URL (see \`${CLI_NAME} sim\`). Secrets and
tokens are never printed; phone numbers are masked.

The variables come from the environment and from ./.env when it exists (or --env-file <path>);
variables already set in the environment win over the file.

Options:
  --env-file <path>     Read this environment file instead of ./.env (an error if it is missing)
  --callback-url <url>  The callback URL to check, probe and send with --push (default
                        MPESA_CALLBACK_URL). When given, doctor POSTs the route a simulated callback
                        that is not a payment and reports what the app's payment flow did with it:
                        whether it reached createPaymentFlow().handleCallback, the body and client
                        address it saw, the allow-list, and each problem with its fix.
  --push <phone>        Send a test STK push to this phone and wait for its final status.
                        It is a real payment request in production: the customer pays --amount.
  --amount <n>          Shillings to request with --push (default ${DOCTOR_DEFAULTS.amount})
  --timeout-ms <n>      How long to wait for the final status (default ${DOCTOR_DEFAULTS.timeoutMs})
  --interval-ms <n>     Delay between status queries (default ${DOCTOR_DEFAULTS.intervalMs})
  --json                Print one JSON object on stdout instead of text
  -h, --help            Show this help

${EXIT_CODES_HELP}`;

/** @internal The JSON printed by `daraja doctor --json`. */
export interface DoctorReport {
  /** Always `doctor`. */
  command: 'doctor';
  /** The daraja-sdk version. */
  version: string;
  /** True when the exit code is 0. */
  ok: boolean;
  /** The exit code (see `EXIT_CODES`). */
  exitCode: ExitCode;
  /** `sandbox` or `production`. */
  environment: string;
  /** Where requests go. */
  baseUrl: string;
  /** Whether the base URL comes from `MPESA_BASE_URL` or `MPESA_ENVIRONMENT`. */
  baseUrlSource: string;
  /** One entry per variable the SDK reads. */
  variables: VariableReport[];
  /** The checks, in order. */
  checks: CheckReport[];
  /** The environment file read (path and counts, never values); absent when there was none. */
  envFile?: EnvFileReport;
  /** What the callback probe found; absent without `--callback-url`. */
  callbackProbe?: CallbackProbeResult;
  /** What `--push` did; absent without `--push`. */
  push?: PushReport;
}

interface DoctorArgs {
  help: boolean;
  json: boolean;
  push: string | undefined;
  amount: number;
  callbackUrl: string | undefined;
  envFile: string | undefined;
  timeoutMs: number;
  intervalMs: number;
}

/** @internal Parse `daraja doctor`'s arguments. @throws {@link UsageError} */
export function parseDoctorArgs(argv: readonly string[]): DoctorArgs {
  const flags = parseFlags(argv, {
    push: 'string',
    amount: 'string',
    'callback-url': 'string',
    'env-file': 'string',
    'timeout-ms': 'string',
    'interval-ms': 'string',
    json: 'boolean',
  });
  const str = flags.string;
  const pushOnly = ['amount', 'timeout-ms', 'interval-ms'].filter((k) => str(k) !== undefined);
  if (!flags.help && str('push') === undefined && pushOnly.length > 0) {
    throw new UsageError(`--${pushOnly[0]} only applies with --push <phone>.`);
  }
  const range = (min: number, max: number) => ({ min, max });
  return {
    help: flags.help,
    json: flags.boolean('json'),
    push: str('push'),
    amount:
      wholeNumberFlag('amount', str('amount'), range(STK_MIN_AMOUNT, STK_MAX_AMOUNT)) ??
      DOCTOR_DEFAULTS.amount,
    callbackUrl: str('callback-url'),
    envFile: str('env-file'),
    timeoutMs:
      wholeNumberFlag('timeout-ms', str('timeout-ms'), range(0, 3_600_000)) ?? DOCTOR_DEFAULTS.timeoutMs,
    intervalMs:
      wholeNumberFlag('interval-ms', str('interval-ms'), range(10, 600_000)) ?? DOCTOR_DEFAULTS.intervalMs,
  };
}

/** What the checks found. */
interface Findings {
  checks: CheckReport[];
  callbackProbe?: CallbackProbeResult;
  push?: PushReport;
}

/** Run the checks in order, printing each as it is done. */
async function runChecks(
  args: DoctorArgs,
  env: Readonly<Record<string, string | undefined>>,
  config: ConfigInspection,
  context: CliContext,
  say: (line?: string) => void,
): Promise<Findings> {
  const found: Findings = { checks: [] };
  const record = (check: CheckReport) => {
    found.checks.push(check);
    renderCheck(say, check);
    return check;
  };
  record(configurationCheck(config));
  const phone = phoneCheck(args.push);
  record(phone.check);
  const tokenOk = record(await accessTokenCheck(config)).status === 'ok';
  const callback = callbackUrlCheck(args, env, config);
  const callbackOk = ['ok', 'warning'].includes(record(callback.check).status);
  if (args.callbackUrl !== undefined) {
    const probed = await callbackProbeCheck(args.callbackUrl, context);
    record(probed.check);
    if (probed.result) found.callbackProbe = probed.result;
  }
  if (args.push === undefined) return found;
  const push: PushReport = {
    phoneNumber: maskPhoneNumber(phone.phone ?? args.push),
    amount: args.amount,
    callbackUrl: callback.url ? showUrl(callback.url) : '',
    status: 'not-sent',
    queries: 0,
    waitedMs: 0,
  };
  found.push = push;
  const blockers = [
    config.daraja ? '' : 'the configuration',
    phone.phone ? '' : 'the phone number',
    tokenOk ? '' : 'the access token',
    callbackOk ? '' : 'the callback URL',
  ].filter(Boolean);
  if (blockers.length > 0 || !config.daraja || !phone.phone || !callback.url) {
    record({ name: 'stk-push', status: 'skipped', message: `not sent: fix ${blockers.join(', ')} first` });
  } else {
    const pushArgs = { ...args, phone: phone.phone, callbackUrl: callback.url };
    record(await pushCheck(config.daraja, pushArgs, config, push, say));
  }
  return found;
}

/** @internal Run `daraja doctor`. @returns the exit code. */
export async function runDoctor(argv: readonly string[], context: CliContext): Promise<ExitCode> {
  const args = parseDoctorArgs(argv);
  if (args.help) {
    context.stdout(DOCTOR_USAGE);
    return EXIT_CODES.ok;
  }
  const say = args.json ? () => {} : lineWriter(context.stdout);
  const loaded = loadEnvFile(context, args.envFile);
  const overrides: Partial<DarajaOptions> = { timeoutMs: DOCTOR_DEFAULTS.requestTimeoutMs };
  if (context.fetch) overrides.fetch = context.fetch;
  if (context.logger) overrides.logger = context.logger;
  const config = inspectConfig(loaded.env, overrides);
  renderHeader(say, loaded, config);
  const { checks, callbackProbe, push } = await runChecks(args, loaded.env, config, context, say);
  const failed = checks.some((c) => c.status === 'failed');
  const exitCode: ExitCode = config.hasProblems
    ? EXIT_CODES.config
    : failed || (push !== undefined && push.status !== 'completed')
      ? EXIT_CODES.failed
      : EXIT_CODES.ok;
  renderSummary(say, exitCode, config, checks, push);
  if (args.json) {
    const report: DoctorReport = {
      command: 'doctor',
      version: VERSION,
      ok: exitCode === EXIT_CODES.ok,
      exitCode,
      environment: config.environment,
      baseUrl: showUrl(config.baseUrl),
      baseUrlSource: config.baseUrlSource,
      variables: config.variables,
      checks,
      ...(loaded.file ? { envFile: loaded.file } : {}),
      ...(callbackProbe ? { callbackProbe } : {}),
      ...(push ? { push } : {}),
    };
    printJson(context, report);
  }
  return exitCode;
}
