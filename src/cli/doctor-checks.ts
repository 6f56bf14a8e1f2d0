import {
  type DarajaApiError,
  describeApiError,
  isDarajaApiError,
  isDarajaAuthError,
  isDarajaNetworkError,
  isDarajaUnknownOutcomeError,
} from '../core/errors.js';
import { maskPhoneNumber } from '../core/utils/mask.js';
import { tryNormalizePhoneNumber } from '../core/utils/phone.js';
import { validateCallbackUrl } from '../core/utils/url.js';
import { type CallbackProbeResult, probeCallbackUrl } from './callback-probe.js';
import { CLI_NAME, type CliContext, describeError } from './context.js';
import type { ConfigInspection } from './doctor-config.js';
import { type CheckReport, DOCTOR_DEFAULTS } from './doctor-report.js';
import { checkCallbackUrl, showUrl } from './url-check.js';

/** Where doctor's requests go, for the fix of an error. */
type Target = Pick<ConfigInspection, 'baseUrl' | 'local'>;

/**
 * The hint the SDK put in an API error's message, after its description of Daraja's answer (the
 * error factory `toApiError` in src/core/http/api-errors.ts writes `<description>. <hint>`).
 */
function sdkHint(error: DarajaApiError): string | undefined {
  const described = describeApiError(error);
  return error.message.startsWith(`${described}. `) ? error.message.slice(described.length + 2) : undefined;
}

/**
 * @internal
 * How to fix an error from a token fetch or an STK call: the SDK error's own hint, except where doctor
 * knows more (where it sent the request, the credentials it read, that a test push must not be repeated).
 */
export function fixFor(error: unknown, target: Target): string {
  if (isDarajaNetworkError(error)) {
    return target.local
      ? `Nothing answered at ${target.baseUrl}. Start the simulator (\`${CLI_NAME} sim\`) or fix MPESA_BASE_URL.`
      : `Could not reach ${target.baseUrl}. Check the network, DNS, proxies and firewalls, and MPESA_BASE_URL if set.`;
  }
  if (isDarajaUnknownOutcomeError(error)) {
    return 'The prompt may be on the phone: do NOT push again. Wait for the callback, or query the payment later.';
  }
  if (!isDarajaApiError(error)) return 'Unexpected error; run again, and report it if it persists.';
  if (isDarajaAuthError(error) && error.operation === 'oauth') {
    return 'Daraja rejected MPESA_CONSUMER_KEY / MPESA_CONSUMER_SECRET. Copy both again from the same app on developer.safaricom.co.ke, and check the app belongs to this environment: sandbox and production apps are separate.';
  }
  if (/wrong credentials/i.test(error.errorMessage ?? '')) {
    return 'MPESA_SHORTCODE and MPESA_PASSKEY do not belong together: the password is built from both (the sandbox passkey works only with 174379).';
  }
  return sdkHint(error) ?? 'See the error code in the troubleshooting guide.';
}

/** @internal One line about an error: class, Daraja's code, Daraja's message (or the SDK's). */
export function errorLine(error: unknown): string {
  const report = describeError(error);
  return `${report.class}${report.errorCode ? ` ${report.errorCode}` : ''}: ${report.errorMessage ?? report.message}`;
}

/** @internal The configuration check: every required variable set and every variable valid. */
export function configurationCheck(config: ConfigInspection): CheckReport {
  if (!config.hasProblems) {
    return {
      name: 'configuration',
      // An unset variable can carry a warning too (a misspelt name that is set instead).
      status: config.variables.some((v) => v.warnings.length > 0) ? 'warning' : 'ok',
      message: 'every required variable is set and valid',
    };
  }
  const missing = config.variables.filter((v) => v.status === 'missing').map((v) => v.name);
  const invalid = config.variables.filter((v) => v.status === 'invalid').map((v) => v.name);
  return {
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
  };
}

/**
 * @internal
 * The phone number check: the one to push to, or an example that shows the normalisation.
 *
 * @returns the check, and the normalised number when it is one.
 */
export function phoneCheck(push: string | undefined): { check: CheckReport; phone: string | undefined } {
  const input = push ?? DOCTOR_DEFAULTS.examplePhone;
  const phone = tryNormalizePhoneNumber(input);
  const check: CheckReport = phone
    ? {
        name: 'phone-number',
        status: 'ok',
        message: `${maskPhoneNumber(input.trim())} normalises to ${maskPhoneNumber(phone)}${push === undefined ? ' (an example; pass --push <phone> to check yours)' : ''}`,
      }
    : {
        name: 'phone-number',
        status: 'failed',
        message: `"${maskPhoneNumber(input)}" is not a Kenyan mobile number`,
        fix: 'Use a Kenyan mobile number starting 07, 01, 7, 1, +254 or 254, e.g. 07XX XXX XXX or +254 7XX XXX XXX.',
      };
  return { check, phone: phone ?? undefined };
}

/** @internal The access token check: Daraja issues a token for the credentials. */
export async function accessTokenCheck(config: ConfigInspection): Promise<CheckReport> {
  const client = config.credentialsClient;
  if (!client) {
    return {
      name: 'access-token',
      status: 'skipped',
      message: 'not checked: the credentials (or MPESA_ENVIRONMENT / MPESA_BASE_URL) are missing or invalid',
    };
  }
  const started = Date.now();
  try {
    await client.verifyCredentials();
    return {
      name: 'access-token',
      status: 'ok',
      message: `Daraja issued an access token in ${Date.now() - started} ms (not shown)`,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    return {
      name: 'access-token',
      status: 'failed',
      message: errorLine(error),
      fix: fixFor(error, config),
      error: describeError(error),
      durationMs: Date.now() - started,
    };
  }
}

/**
 * @internal
 * The callback URL check: `--callback-url`, or else `MPESA_CALLBACK_URL`.
 *
 * @returns the check, and the URL when there is one.
 */
export function callbackUrlCheck(
  args: { callbackUrl: string | undefined; push: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  config: ConfigInspection,
): { check: CheckReport; url: string | undefined } {
  const url = args.callbackUrl ?? env['MPESA_CALLBACK_URL']?.trim();
  if (url === undefined || url === '') {
    const check: CheckReport =
      args.push === undefined
        ? {
            name: 'callback-url',
            status: 'skipped',
            message:
              'MPESA_CALLBACK_URL is not set; stk.push needs a callbackUrl unless you pass one per call',
          }
        : {
            name: 'callback-url',
            status: 'failed',
            message: '--push needs a callback URL: set MPESA_CALLBACK_URL or pass --callback-url',
            fix: 'Set MPESA_CALLBACK_URL (or pass --callback-url) to your callback route; against the simulator any http://127.0.0.1 URL will do.',
          };
    return { check, url };
  }
  const variable = config.variables.find((v) => v.name === 'MPESA_CALLBACK_URL');
  if (args.callbackUrl === undefined && variable?.status === 'invalid') {
    const message = `MPESA_CALLBACK_URL ${variable.problems.map((p) => p.message).join(' ')}`;
    const fix = variable.problems[0]?.fix ?? 'Fix MPESA_CALLBACK_URL.';
    return { check: { name: 'callback-url', status: 'failed', message, fix }, url };
  }
  const result = checkCallbackUrl(url, config, validateCallbackUrl);
  if (result.error) {
    const source = args.callbackUrl !== undefined ? '--callback-url' : 'MPESA_CALLBACK_URL';
    const fix = 'Use an absolute URL without spaces, https:// in production.';
    return {
      check: { name: 'callback-url', status: 'failed', message: `${source} ${result.error}`, fix },
      url,
    };
  }
  const check: CheckReport = {
    name: 'callback-url',
    status: result.warnings.length > 0 ? 'warning' : 'ok',
    message: `${showUrl(url)}${config.local ? ' (the simulator accepts any http(s) URL)' : ''}`,
    ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
  };
  return { check, url };
}

/** @internal The callback probe: what the app's callback route does with a callback. */
export async function callbackProbeCheck(
  url: string,
  context: Pick<CliContext, 'fetch'>,
): Promise<{ check: CheckReport; result?: CallbackProbeResult }> {
  let probeable = false;
  try {
    probeable = /^https?:$/.test(new URL(url).protocol) && !/\s/.test(url);
  } catch {
    probeable = false;
  }
  if (!probeable) {
    return {
      check: {
        name: 'callback-probe',
        status: 'skipped',
        message: 'not sent: --callback-url is not an http(s) URL without spaces',
      },
    };
  }
  return probeCallbackUrl(url, context.fetch ? { fetch: context.fetch } : {});
}
