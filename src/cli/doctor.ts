import type { Daraja, DarajaOptions } from '../client.js';
import {
  isDarajaApiError,
  isDarajaAuthError,
  isDarajaNetworkError,
  isDarajaNotFoundError,
  isDarajaTimeoutError,
  isDarajaUnknownOutcomeError,
} from '../errors.js';
import type { PaymentStatus } from '../payment-status.js';
import { STK_MAX_AMOUNT, STK_MIN_AMOUNT } from '../stk/stk.js';
import { maskPhoneNumber, maskPhoneNumbersInText } from '../utils/mask.js';
import { tryNormalizePhoneNumber } from '../utils/phone.js';
import { validateCallbackUrl } from '../utils/url.js';
import { VERSION } from '../version.js';
import { parseFlags, UsageError, wholeNumberFlag } from './args.js';
import { type CallbackProbeResult, probeCallbackUrl } from './callback-probe.js';
import {
  CLI_NAME,
  type CliContext,
  describeError,
  type ErrorReport,
  EXIT_CODES,
  EXIT_CODES_HELP,
  type ExitCode,
  lineWriter,
  printJson,
} from './context.js';
import { type ConfigInspection, inspectConfig, type VariableReport } from './doctor-config.js';
import { describeEnvFile, type EnvFileReport, loadEnvFile } from './env-file.js';
import { checkCallbackUrl, showUrl } from './url-check.js';

/** @internal Defaults of `daraja doctor`. */
export const DOCTOR_DEFAULTS = Object.freeze({
  /** Shillings sent by `--push`. */
  amount: 1,
  /** How long `--push` waits for the final status, in ms. */
  timeoutMs: 120_000,
  /** Delay between two status queries, in ms. */
  intervalMs: 3_000,
  /** The phone number normalised when `--push` is not given. */
  examplePhone: '0712345678',
  /** The timeout of each request to Daraja, in ms. */
  requestTimeoutMs: 15_000,
  /** `AccountReference` of the test push (≤ 12 characters; shown on the prompt). */
  accountReference: 'DOCTOR',
  /** `TransactionDesc` of the test push (≤ 13 characters). */
  transactionDesc: 'daraja doctor',
});

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

/** @internal The state of one doctor check. */
export type CheckStatus = 'ok' | 'warning' | 'failed' | 'skipped';

/** @internal One doctor check. */
export interface CheckReport {
  /** `configuration`, `phone-number`, `access-token`, `callback-url` or `stk-push`. */
  name: string;
  /** Its state. `warning` does not fail the run. */
  status: CheckStatus;
  /** What was found. */
  message: string;
  /** What to do, when something is wrong (one line per problem when there are several). */
  fix?: string;
  /** More of what was found, one line each. */
  details?: string[];
  /** Warnings, for `warning`. */
  warnings?: string[];
  /** The error, when the check failed on one. */
  error?: ErrorReport;
  /** Milliseconds the check took, for network checks. */
  durationMs?: number;
}

/** @internal What `--push` did. */
export interface PushReport {
  /** The masked phone number the prompt went to. */
  phoneNumber: string;
  /** The amount requested, in shillings. */
  amount: number;
  /** The CallBackURL sent (query values hidden). */
  callbackUrl: string;
  /** `not-sent` when the push was skipped or rejected, `unknown` when its outcome is unknown, else the payment status (`pending` when no final status came in time). */
  status: PaymentStatus | 'not-sent' | 'unknown';
  /** From the push answer. */
  checkoutRequestId?: string;
  /** From the push answer. */
  merchantRequestId?: string;
  /** The final result code (`"0"`, `"1032"`, …). */
  resultCode?: string;
  /** Daraja's description of the result. */
  resultDesc?: string;
  /** Plain-words meaning of the result code. */
  meaning?: string;
  /** Status queries sent. */
  queries: number;
  /** Milliseconds from the accepted push to the final status (or the give-up). */
  waitedMs: number;
}

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What to do after each final STK result code; the rest get the catalogue's meaning. */
const RESULT_FIXES: Readonly<Record<string, string>> = {
  '1': 'The customer has too little on M-Pesa (including Fuliza). Top up, or use a smaller --amount.',
  '17': 'The same amount went to the same customer within 2 minutes. Wait 2 minutes, or change --amount.',
  '1019': 'The transaction expired before it was processed. Try again.',
  '1025': 'The prompt text was too long. Shorten the account reference.',
  '1032': 'The prompt was cancelled on the phone. Try again and enter the PIN.',
  '1037':
    'No answer from the phone: it was off, unreachable, or nobody entered the PIN in time (about a minute). In the sandbox nobody answers the prompt, so 1037 is the usual result there.',
  '2001': 'The wrong M-Pesa PIN was entered. Try again.',
  '2028':
    'Check the transaction type and PartyB: a PayBill shortcode with CustomerPayBillOnline, or a till (MPESA_TILL_NUMBER) with CustomerBuyGoodsOnline.',
  SFC_IC0003:
    'Check the transaction type and PartyB: a PayBill shortcode with CustomerPayBillOnline, or a till (MPESA_TILL_NUMBER) with CustomerBuyGoodsOnline.',
};

/** How to fix an error from a token fetch or an STK call. */
function fixFor(error: unknown, baseUrl: string, local: boolean): string {
  if (isDarajaAuthError(error) && (error as { operation?: string }).operation === 'oauth') {
    return 'Daraja rejected MPESA_CONSUMER_KEY / MPESA_CONSUMER_SECRET. Copy both again from the same app on developer.safaricom.co.ke, and check the app belongs to this environment: sandbox and production apps are separate.';
  }
  if (isDarajaAuthError(error)) {
    return 'The access token was rejected even after a fresh one. Check the app has the M-Pesa Express (Lipa na M-Pesa) product, and that MPESA_ENVIRONMENT matches the credentials.';
  }
  if (isDarajaTimeoutError(error) || isDarajaNetworkError(error)) {
    return local
      ? `Nothing answered at ${baseUrl}. Start the simulator (\`${CLI_NAME} sim\`) or fix MPESA_BASE_URL.`
      : `Could not reach ${baseUrl}. Check the network, DNS, proxies and firewalls, and MPESA_BASE_URL if set.`;
  }
  if (isDarajaUnknownOutcomeError(error)) {
    return 'The prompt may be on the phone: do NOT push again. Wait for the callback, or query the payment later.';
  }
  if (isDarajaApiError(error)) {
    const code = error.errorCode ?? '';
    const message = error.errorMessage ?? '';
    if (code === '400.002.02') {
      const field = /invalid\s+(\w+)/i.exec(message)?.[1] ?? 'a field';
      return `Daraja rejected ${field}. See "400.002.02" in the troubleshooting guide for that field.`;
    }
    if (/wrong credentials/i.test(message)) {
      return 'MPESA_SHORTCODE and MPESA_PASSKEY do not belong together: the password is built from both (the sandbox passkey works only with 174379).';
    }
    if (/merchant does not exist/i.test(message)) {
      return 'MPESA_SHORTCODE is not enabled for Lipa na M-Pesa Online in this environment.';
    }
    if (/unable to lock subscriber/i.test(message)) {
      return 'The phone already has an M-Pesa prompt open. Wait at least a minute and try again.';
    }
    if (code === '500.003.02' || code === '500.003.03') {
      return 'Daraja is rate-limiting this app (spike arrest or quota). Wait and try again.';
    }
    return 'See the error code in the troubleshooting guide.';
  }
  return 'Unexpected error; run again, and report it if it persists.';
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
  const env = loaded.env;
  const overrides: Partial<DarajaOptions> = { timeoutMs: DOCTOR_DEFAULTS.requestTimeoutMs };
  if (context.fetch) overrides.fetch = context.fetch;
  if (context.logger) overrides.logger = context.logger;
  const config = inspectConfig(env, overrides);
  const checks: CheckReport[] = [];

  say(`daraja doctor (daraja-sdk ${VERSION})`);
  say(describeEnvFile(loaded));
  say(
    `Daraja: ${showUrl(config.baseUrl)} (${config.baseUrlSource === 'MPESA_BASE_URL' ? 'from MPESA_BASE_URL' : `the ${config.environment} URL`}; environment ${config.environment}${config.local ? '; a local server, e.g. the simulator' : ''})`,
  );
  say();
  say('Configuration');
  for (const v of config.variables) printVariable(say, v);
  for (const p of config.otherProblems) say(`  INVALID  ${p.message}\n           fix: ${p.fix}`);
  say();
  say('Checks');

  const record = (check: CheckReport) => {
    checks.push(check);
    printCheck(say, check);
  };
  const missing = config.variables.filter((v) => v.status === 'missing').map((v) => v.name);
  const invalid = config.variables.filter((v) => v.status === 'invalid').map((v) => v.name);
  record(
    config.hasProblems
      ? {
          name: 'configuration',
          status: 'failed',
          message: [
            missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
            invalid.length > 0 || config.otherProblems.length > 0
              ? `invalid: ${[...invalid, ...config.otherProblems.map((p) => p.message.split(':')[0])].join(', ')}`
              : '',
          ]
            .filter(Boolean)
            .join('; '),
          fix: `Fix each variable as shown above, then run ${CLI_NAME} doctor again.`,
        }
      : {
          name: 'configuration',
          // An unset variable can carry a warning too (a misspelt name that is set instead).
          status: config.variables.some((v) => v.warnings.length > 0) ? 'warning' : 'ok',
          message: 'every required variable is set and valid',
        },
  );

  // Phone number: the one to push to, or an example that shows the normalisation.
  const phoneInput = args.push ?? DOCTOR_DEFAULTS.examplePhone;
  const phone = tryNormalizePhoneNumber(phoneInput);
  record(
    phone
      ? {
          name: 'phone-number',
          status: 'ok',
          message: `${maskPhoneNumber(phoneInput.trim())} normalises to ${maskPhoneNumber(phone)}${args.push === undefined ? ' (an example; pass --push <phone> to check yours)' : ''}`,
        }
      : {
          name: 'phone-number',
          status: 'failed',
          message: `"${maskPhoneNumber(phoneInput)}" is not a Kenyan mobile number`,
          fix: 'Use a Kenyan mobile number starting 07, 01, 7, 1, +254 or 254, e.g. 07XX XXX XXX or +254 7XX XXX XXX.',
        },
  );

  // Access token.
  const client = config.credentialsClient;
  let tokenOk = false;
  if (!client) {
    record({
      name: 'access-token',
      status: 'skipped',
      message: 'not checked: the credentials (or MPESA_ENVIRONMENT / MPESA_BASE_URL) are missing or invalid',
    });
  } else {
    const started = Date.now();
    try {
      await client.verifyCredentials();
      tokenOk = true;
      record({
        name: 'access-token',
        status: 'ok',
        message: `Daraja issued an access token in ${Date.now() - started} ms (not shown)`,
        durationMs: Date.now() - started,
      });
    } catch (error) {
      const report = describeError(error);
      record({
        name: 'access-token',
        status: 'failed',
        message: `${report.class}${report.errorCode ? ` ${report.errorCode}` : ''}: ${report.errorMessage ?? report.message}`,
        fix: fixFor(error, config.baseUrl, config.local),
        error: report,
        durationMs: Date.now() - started,
      });
    }
  }

  // Callback URL.
  const callbackVariable = config.variables.find((v) => v.name === 'MPESA_CALLBACK_URL');
  const callbackUrl = args.callbackUrl ?? env['MPESA_CALLBACK_URL']?.trim();
  const callbackSource = args.callbackUrl !== undefined ? '--callback-url' : 'MPESA_CALLBACK_URL';
  let callbackOk = false;
  if (callbackUrl === undefined || callbackUrl === '') {
    record({
      name: 'callback-url',
      status: args.push === undefined ? 'skipped' : 'failed',
      message:
        args.push === undefined
          ? 'MPESA_CALLBACK_URL is not set; stk.push needs a callbackUrl unless you pass one per call'
          : '--push needs a callback URL: set MPESA_CALLBACK_URL or pass --callback-url',
      ...(args.push === undefined
        ? {}
        : {
            fix: 'Set MPESA_CALLBACK_URL (or pass --callback-url) to your callback route; against the simulator any http://127.0.0.1 URL will do.',
          }),
    });
  } else if (args.callbackUrl === undefined && callbackVariable?.status === 'invalid') {
    record({
      name: 'callback-url',
      status: 'failed',
      message: `MPESA_CALLBACK_URL ${callbackVariable.problems.map((p) => p.message).join(' ')}`,
      fix: callbackVariable.problems[0]?.fix ?? 'Fix MPESA_CALLBACK_URL.',
    });
  } else {
    const result = checkCallbackUrl(callbackUrl, config, validateCallbackUrl);
    callbackOk = result.error === undefined;
    record(
      result.error
        ? {
            name: 'callback-url',
            status: 'failed',
            message: `${callbackSource} ${result.error}`,
            fix: 'Use an absolute URL without spaces, https:// in production.',
          }
        : {
            name: 'callback-url',
            status: result.warnings.length > 0 ? 'warning' : 'ok',
            message: `${showUrl(callbackUrl)}${config.local ? ' (the simulator accepts any http(s) URL)' : ''}`,
            ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
          },
    );
  }

  // The callback probe: what the app's callback route does with a callback.
  let callbackProbe: CallbackProbeResult | undefined;
  if (args.callbackUrl !== undefined) {
    let probeable = false;
    try {
      probeable = /^https?:$/.test(new URL(args.callbackUrl).protocol) && !/\s/.test(args.callbackUrl);
    } catch {
      probeable = false;
    }
    if (!probeable) {
      record({
        name: 'callback-probe',
        status: 'skipped',
        message: 'not sent: --callback-url is not an http(s) URL without spaces',
      });
    } else {
      const probed = await probeCallbackUrl(args.callbackUrl, {
        ...(context.fetch ? { fetch: context.fetch } : {}),
      });
      callbackProbe = probed.result;
      record(probed.check);
    }
  }

  // The test push.
  let push: PushReport | undefined;
  if (args.push !== undefined) {
    push = {
      phoneNumber: maskPhoneNumber(phone ?? args.push),
      amount: args.amount,
      callbackUrl: callbackUrl ? showUrl(callbackUrl) : '',
      status: 'not-sent',
      queries: 0,
      waitedMs: 0,
    };
    const blockers = [
      config.daraja ? '' : 'the configuration',
      phone ? '' : 'the phone number',
      tokenOk ? '' : 'the access token',
      callbackOk ? '' : 'the callback URL',
    ].filter(Boolean);
    if (blockers.length > 0 || !config.daraja || !phone || !callbackUrl) {
      record({
        name: 'stk-push',
        status: 'skipped',
        message: `not sent: fix ${blockers.join(', ')} first`,
      });
    } else {
      await pushAndWait(config.daraja, { ...args, phone, callbackUrl }, config, push, record, say);
    }
  }

  const failed = checks.some((c) => c.status === 'failed');
  const exitCode: ExitCode = config.hasProblems
    ? EXIT_CODES.config
    : failed || (push !== undefined && push.status !== 'completed')
      ? EXIT_CODES.failed
      : EXIT_CODES.ok;

  say();
  const warnings = checks.filter((c) => c.status === 'warning').length;
  if (exitCode === EXIT_CODES.ok) {
    say(
      `All checks passed${warnings > 0 ? ` (${warnings} with warnings)` : ''}${push ? '; the test payment completed' : ''}.`,
    );
  } else {
    const failedNames = checks
      .filter((c) => c.status === 'failed' && c.name !== 'configuration')
      .map((c) => c.name);
    const parts = [
      missing.length > 0
        ? `${missing.length} required variable${missing.length === 1 ? '' : 's'} missing`
        : '',
      invalid.length + config.otherProblems.length > 0
        ? `${invalid.length + config.otherProblems.length} invalid`
        : '',
      failedNames.length > 0 ? `failed: ${failedNames.join(', ')}` : '',
      push && push.status !== 'completed' && !failedNames.includes('stk-push')
        ? 'the test payment did not complete'
        : '',
    ].filter(Boolean);
    say(`Not ready: ${parts.join('; ')} (exit code ${exitCode}).`);
  }

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

async function pushAndWait(
  daraja: Daraja,
  args: DoctorArgs & { phone: string; callbackUrl: string },
  config: ConfigInspection,
  push: PushReport,
  record: (check: CheckReport) => void,
  say: (line?: string) => void,
): Promise<void> {
  let accepted: Awaited<ReturnType<Daraja['stk']['push']>>;
  const started = Date.now();
  try {
    accepted = await daraja.stk.push({
      phoneNumber: args.phone,
      amount: args.amount,
      accountReference: DOCTOR_DEFAULTS.accountReference,
      transactionDesc: DOCTOR_DEFAULTS.transactionDesc,
      callbackUrl: args.callbackUrl,
    });
  } catch (error) {
    const report = describeError(error);
    if (isDarajaUnknownOutcomeError(error)) push.status = 'unknown';
    record({
      name: 'stk-push',
      status: 'failed',
      message: `${isDarajaUnknownOutcomeError(error) ? 'outcome unknown' : 'rejected'}: ${report.class}${report.errorCode ? ` ${report.errorCode}` : ''}: ${report.errorMessage ?? report.message}`,
      fix: fixFor(error, config.baseUrl, config.local),
      error: report,
      durationMs: Date.now() - started,
    });
    return;
  }
  push.checkoutRequestId = accepted.checkoutRequestId;
  push.merchantRequestId = accepted.merchantRequestId;
  push.status = 'pending';
  say(
    `  ...      stk-push: accepted, ${args.amount} KES requested from ${maskPhoneNumber(accepted.phoneNumber)} (CheckoutRequestID ${maskPhoneNumbersInText(accepted.checkoutRequestId)})`,
  );
  say(
    `           waiting for the final status: a query every ${formatMs(args.intervalMs)}, for up to ${formatMs(args.timeoutMs)}`,
  );

  const acceptedAt = Date.now();
  const deadline = acceptedAt + args.timeoutMs;
  let interval = args.intervalMs;
  let lastError: unknown;
  let stopError: unknown;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(interval, remaining));
    push.queries += 1;
    const elapsed = () => formatMs(Date.now() - acceptedAt);
    try {
      const result = await daraja.stk.query(accepted.checkoutRequestId, {
        timeoutMs: Math.max(1_000, Math.min(DOCTOR_DEFAULTS.requestTimeoutMs, deadline - Date.now())),
      });
      lastError = undefined;
      if (result.status !== 'pending') {
        push.status = result.status;
        if (result.resultCode !== undefined) push.resultCode = result.resultCode;
        push.resultDesc = result.resultDesc;
        push.meaning = result.meaning;
        break;
      }
      say(`           ${elapsed()}: ${result.resultDesc}`);
    } catch (error) {
      lastError = error;
      const api = isDarajaApiError(error) ? error : undefined;
      if (isDarajaNotFoundError(error)) {
        say(`           ${elapsed()}: Daraja does not know the CheckoutRequestID yet; asking again`);
      } else if (api && /^500\.003\.0[23]$/.test(api.errorCode ?? '')) {
        interval = Math.min(interval * 2, 30_000);
        say(
          `           ${elapsed()}: rate-limited (${api.errorCode}); slowing down to ${formatMs(interval)}`,
        );
      } else if (
        isDarajaNetworkError(error) ||
        (api && api.name !== 'DarajaAuthError' && api.status >= 500 && api.errorCode === undefined)
      ) {
        say(`           ${elapsed()}: no answer (${describeError(error).class}); asking again`);
      } else {
        stopError = error;
        break;
      }
    }
  }
  push.waitedMs = Date.now() - acceptedAt;
  const id = `CheckoutRequestID ${maskPhoneNumbersInText(accepted.checkoutRequestId)}`;
  if (stopError !== undefined) {
    const report = describeError(stopError);
    record({
      name: 'stk-push',
      status: 'failed',
      message: `the status query failed: ${report.class}${report.errorCode ? ` ${report.errorCode}` : ''}: ${report.errorMessage ?? report.message} (${id})`,
      fix: fixFor(stopError, config.baseUrl, config.local),
      error: report,
      durationMs: push.waitedMs,
    });
    return;
  }
  if (push.status === 'pending') {
    record({
      name: 'stk-push',
      status: 'failed',
      message: `no final status within ${formatMs(args.timeoutMs)} (${push.queries} queries; ${id})${lastError ? `; last error: ${describeError(lastError).class}` : ''}`,
      fix: 'The prompt may still be answered. Query it later (daraja.stk.query) or wait for the callback, and raise --timeout-ms.',
      durationMs: push.waitedMs,
    });
    return;
  }
  const outcome = `${push.status}: ResultCode ${push.resultCode ?? '?'}, ${push.resultDesc} (${id}, after ${formatMs(push.waitedMs)})`;
  if (push.status === 'completed') {
    record({ name: 'stk-push', status: 'ok', message: outcome, durationMs: push.waitedMs });
  } else {
    record({
      name: 'stk-push',
      status: 'failed',
      message: outcome,
      fix: RESULT_FIXES[push.resultCode ?? ''] ?? push.meaning ?? 'The payment did not complete.',
      durationMs: push.waitedMs,
    });
  }
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

const VARIABLE_LABEL: Record<VariableReport['status'], string> = {
  ok: 'ok',
  warning: 'warn',
  missing: 'MISSING',
  invalid: 'INVALID',
  unset: '--',
};
const CHECK_LABEL: Record<CheckStatus, string> = {
  ok: 'ok',
  warning: 'warn',
  failed: 'FAIL',
  skipped: 'skip',
};

function printVariable(say: (line?: string) => void, v: VariableReport): void {
  const label = VARIABLE_LABEL[v.status].padEnd(8);
  const shown =
    v.status === 'unset'
      ? `not set (optional: ${v.purpose})`
      : v.status === 'missing'
        ? `required: ${v.purpose}`
        : (v.value ?? '');
  say(`  ${label} ${v.name.padEnd(25)} ${shown}`);
  for (const p of v.problems) {
    say(`           ${v.name} ${p.message}`);
    say(`           fix: ${p.fix}`);
  }
  for (const w of v.warnings) say(`           warning: ${w}`);
}

function printCheck(say: (line?: string) => void, c: CheckReport): void {
  say(`  ${CHECK_LABEL[c.status].padEnd(8)} ${c.name}: ${c.message}`);
  for (const d of c.details ?? []) say(`           ${d}`);
  for (const w of c.warnings ?? []) say(`           warning: ${w}`);
  for (const f of c.fix?.split('\n') ?? []) say(`           fix: ${f}`);
}
