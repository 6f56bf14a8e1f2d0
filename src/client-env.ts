/**
 * The environment variables of the client: {@link DARAJA_ENV_VARS}, the one table of them (read by
 * `Daraja.fromEnv` and by `daraja doctor`), and the options `fromEnv` builds from them.
 *
 * @module
 */

import { validateOptions } from './client-checks.js';
import type { DarajaOptions } from './client-options.js';
import { DarajaConfigError, type DarajaConfigIssue } from './core/errors.js';

/** Environment variables read by {@link Daraja.fromEnv}, by option. */
export const DARAJA_ENV_VARS = Object.freeze({
  /** `sandbox` or `production`. */
  environment: 'MPESA_ENVIRONMENT',
  /** The app's consumer key (required). */
  consumerKey: 'MPESA_CONSUMER_KEY',
  /** The app's consumer secret (required). */
  consumerSecret: 'MPESA_CONSUMER_SECRET',
  /** The STK shortcode (required). */
  shortcode: 'MPESA_SHORTCODE',
  /** The Lipa na M-Pesa Online passkey (required). */
  passkey: 'MPESA_PASSKEY',
  /** The default STK callback URL. */
  callbackUrl: 'MPESA_CALLBACK_URL',
  /** A base URL overriding the environment's, e.g. the simulator. */
  baseUrl: 'MPESA_BASE_URL',
  /** The till number for Buy Goods. */
  tillNumber: 'MPESA_TILL_NUMBER',
  /** The initiator (API operator) username. */
  initiatorName: 'MPESA_INITIATOR_NAME',
  /** The initiator password, encrypted with the certificate. */
  initiatorPassword: 'MPESA_INITIATOR_PASSWORD',
  /** The certificate as PEM text (literal `\n` sequences accepted). */
  certificate: 'MPESA_CERTIFICATE',
  /** The path of the certificate file. */
  certificatePath: 'MPESA_CERTIFICATE_PATH',
  /** A precomputed security credential. */
  securityCredential: 'MPESA_SECURITY_CREDENTIAL',
  /** The organisation shortcode of the initiator APIs. */
  initiatorShortcode: 'MPESA_INITIATOR_SHORTCODE',
  /** The default ResultURL of the initiator APIs. */
  resultUrl: 'MPESA_RESULT_URL',
  /** The default QueueTimeOutURL of the initiator APIs. */
  queueTimeoutUrl: 'MPESA_QUEUE_TIMEOUT_URL',
  /** The least severe level logged (`debug`, `info`, `warn`, `error`); to `console` without a logger. */
  logLevel: 'DARAJA_LOG',
} as const);

/** Options that {@link Daraja.fromEnv} requires, from the environment or its `overrides`. */
const REQUIRED_FROM_ENV = ['consumerKey', 'consumerSecret', 'shortcode', 'passkey'] as const;

/**
 * @internal
 * The options `Daraja.fromEnv` builds: the variables of {@link DARAJA_ENV_VARS} that are set (trimmed,
 * empty ones ignored), then `overrides` on top. Checked at once; an issue names the variable its value
 * came from.
 *
 * @throws {@link DarajaConfigError} listing every missing or invalid variable at once.
 */
export function optionsFromEnv(
  env: Record<string, string | undefined>,
  overrides: Partial<DarajaOptions>,
): DarajaOptions {
  const fromEnv: Record<string, unknown> = {};
  for (const [option, variable] of Object.entries(DARAJA_ENV_VARS)) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') fromEnv[option] = value;
  }
  const options = { ...fromEnv, ...overrides } as Record<string, unknown>;
  const issues: DarajaConfigIssue[] = [];
  for (const option of REQUIRED_FROM_ENV) {
    if (options[option] === undefined) {
      issues.push({ field: DARAJA_ENV_VARS[option], message: `is not set (${describeRequired(option)}).` });
    }
  }
  const name = (key: string) =>
    key in fromEnv && !(key in overrides) ? ((DARAJA_ENV_VARS as Record<string, string>)[key] ?? key) : key;
  try {
    validateOptions(options, name);
  } catch (error) {
    if (!(error instanceof DarajaConfigError)) throw error;
    for (const issue of error.issues) {
      // Missing required values were reported above with the variable's name.
      if (!REQUIRED_FROM_ENV.some((o) => o === issue.field && options[o] === undefined)) issues.push(issue);
    }
  }
  if (issues.length > 0) throw new DarajaConfigError(issues);
  return options as unknown as DarajaOptions;
}

function describeRequired(option: (typeof REQUIRED_FROM_ENV)[number]): string {
  switch (option) {
    case 'consumerKey':
      return 'the consumer key of your app on developer.safaricom.co.ke';
    case 'consumerSecret':
      return 'the consumer secret of your app on developer.safaricom.co.ke';
    case 'shortcode':
      return 'your PayBill or store number; 174379 in the sandbox';
    case 'passkey':
      return 'the Lipa na M-Pesa Online passkey; the sandbox one is on the Daraja test credentials page';
  }
}
