/**
 * The checks of the client's options: the zod schema of each option, then the checks across options
 * (callback URL, the sandbox's credentials in production, Buy Goods, the initiator options), reported
 * together in one {@link DarajaConfigError}.
 *
 * @module
 */

import * as z from 'zod/mini';
import { DARAJA_BASE_URLS, type DarajaOptions } from './client-options.js';
import type { TokenCache } from './core/auth/token-cache.js';
import { DarajaConfigError, type DarajaConfigIssue } from './core/errors.js';
import type { DarajaHooks } from './core/http/hooks.js';
import type { DarajaLogger } from './core/logger.js';
import { isDarajaHost, validateCallbackUrl } from './core/utils/url.js';
import { BILL_MANAGER_OPTION_FIELDS } from './resources/bill-manager/config.js';
import { INITIATOR_OPTION_FIELDS, resolveInitiatorOptions } from './resources/initiator/config.js';

/**
 * @internal
 * Safaricom's public sandbox shortcode and passkey, published on the Daraja portal's test credentials
 * page: never valid in production (docs/going-to-production.md).
 */
export const SANDBOX_SHORTCODE = '174379';
/** @internal The public sandbox passkey that goes with {@link SANDBOX_SHORTCODE}. */
export const SANDBOX_PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';

const required = (what: string) =>
  z
    .string({ error: `required: ${what}.` })
    .check(z.refine((s) => s.trim() !== '', { error: `required: ${what}; it is empty.` }));

const isHttpUrl = (s: string) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !/\s/.test(s);
  } catch {
    return false;
  }
};
const wholeNumber = (min: number, max: number, what: string) =>
  z.number({ error: `must be a number (${what}).` }).check(
    z.refine((n) => Number.isInteger(n) && n >= min && n <= max, {
      error: `must be a whole number from ${min} to ${max} (${what}).`,
    }),
  );
const hasMethods =
  (...names: string[]) =>
  (v: unknown) =>
    typeof v === 'object' &&
    v !== null &&
    names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

const OptionsSchema = z.strictObject({
  consumerKey: required('the consumer key of your Daraja app'),
  consumerSecret: required('the consumer secret of your Daraja app'),
  environment: z.optional(z.enum(['sandbox', 'production'], { error: 'must be "sandbox" or "production".' })),
  baseUrl: z.optional(
    z.string({ error: 'must be a URL string.' }).check(
      z.refine(isHttpUrl, {
        error:
          'must be an absolute http(s) URL without a trailing path, e.g. http://127.0.0.1:4010 for the simulator.',
      }),
    ),
  ),
  shortcode: z.optional(
    z.union([z.string(), z.number()], { error: 'must be the shortcode digits, e.g. "174379".' }).check(
      z.refine((v) => /^\d{5,7}$/.test(String(v).trim()), {
        error: 'must be 5 to 7 digits, e.g. "174379" (the sandbox shortcode).',
      }),
    ),
  ),
  passkey: z.optional(required('the Lipa na M-Pesa Online passkey from the Daraja portal')),
  callbackUrl: z.optional(z.string({ error: 'must be a URL string.' })),
  transactionType: z.optional(
    z.enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'], {
      error: 'must be "CustomerPayBillOnline" (PayBill) or "CustomerBuyGoodsOnline" (till).',
    }),
  ),
  tillNumber: z.optional(
    z
      .union([z.string(), z.number()], { error: 'must be the till number digits.' })
      .check(z.refine((v) => /^\d{5,8}$/.test(String(v).trim()), { error: 'must be 5 to 8 digits.' })),
  ),
  timeoutMs: z.optional(wholeNumber(1, 600_000, 'milliseconds per attempt')),
  maxRetries: z.optional(wholeNumber(0, 10, 'retries for OAuth and STK query')),
  retryBaseDelayMs: z.optional(wholeNumber(0, 60_000, 'milliseconds')),
  retryMaxDelayMs: z.optional(wholeNumber(0, 300_000, 'milliseconds')),
  fetch: z.optional(
    z.custom<typeof globalThis.fetch>((v) => typeof v === 'function', { error: 'must be a fetch function.' }),
  ),
  tokenCache: z.optional(
    z.custom<TokenCache>(hasMethods('get', 'set', 'delete'), {
      error: 'must be an object with get, set and delete methods (see TokenCache).',
    }),
  ),
  logger: z.optional(
    z.custom<DarajaLogger>((v) => typeof v === 'object' && v !== null, {
      error: 'must be a logger object such as console or a pino logger.',
    }),
  ),
  hooks: z.optional(
    z.custom<DarajaHooks>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        Object.entries(v).every(
          ([k, f]) =>
            ['onRequest', 'onResponse', 'onRetry'].includes(k) &&
            (f === undefined || typeof f === 'function'),
        ),
      { error: 'must be an object of functions: { onRequest?, onResponse?, onRetry? }.' },
    ),
  ),
  logLevel: z.optional(
    z.enum(['debug', 'info', 'warn', 'error'], {
      error: 'must be one of "debug", "info", "warn", "error" (the least severe level logged).',
    }),
  ),
  ...INITIATOR_OPTION_FIELDS,
  ...BILL_MANAGER_OPTION_FIELDS,
});

/**
 * @internal
 * Check the client's options, all at once: the schema, then the checks across options. `fieldName` names
 * an option in the issues (`fromEnv` names the variable it came from).
 *
 * @throws {@link DarajaConfigError} listing every problem.
 */
export function validateOptions(
  options: unknown,
  fieldName: (key: string) => string,
): { options: DarajaOptions; securityCredential: string | undefined } {
  const result = OptionsSchema.safeParse(options);
  const issues = result.success ? [] : schemaIssues(result.error.issues, fieldName);
  const o = (typeof options === 'object' && options !== null ? options : {}) as Partial<DarajaOptions>;
  const production = o.environment === 'production' && o.baseUrl === undefined;
  issues.push(...crossChecks(o, production, fieldName));
  // Cross-checks of the initiator options, reported with the rest (one issue per field at most).
  const flagged = new Set(issues.map((i) => i.field));
  const initiator = resolveInitiatorOptions(o, production);
  for (const issue of initiator.issues) {
    const field = fieldName(issue.field);
    if (!flagged.has(field)) issues.push({ field, message: issue.message });
  }
  if (issues.length > 0) throw new DarajaConfigError(issues);
  return { options: result.data as DarajaOptions, securityCredential: initiator.securityCredential };
}

function schemaIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  fieldName: (key: string) => string,
): DarajaConfigIssue[] {
  const issues: DarajaConfigIssue[] = [];
  for (const issue of zodIssues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ field: key, message: 'unknown option; check its spelling.' });
    } else {
      const key = issue.path.length > 0 ? String(issue.path[0]) : 'options';
      issues.push({ field: fieldName(key), message: issue.message });
    }
  }
  return issues;
}

/** The checks across options: the callback URL, the sandbox's credentials in production, Buy Goods. */
function crossChecks(
  o: Partial<DarajaOptions>,
  production: boolean,
  fieldName: (key: string) => string,
): DarajaConfigIssue[] {
  const issues: DarajaConfigIssue[] = [];
  // Talking to Safaricom itself (no baseUrl, or a safaricom.co.ke one), not to a simulator or a mock.
  const daraja = typeof o.baseUrl !== 'string' || isDarajaHost(o.baseUrl);
  if (typeof o.callbackUrl === 'string') {
    const problem = validateCallbackUrl(o.callbackUrl, production, daraja);
    if (problem) issues.push({ field: fieldName('callbackUrl'), message: problem });
  }
  // Requests go to Daraja's production host: the sandbox's public credentials cannot work there.
  const liveProduction =
    o.environment === 'production' &&
    (typeof o.baseUrl !== 'string' || o.baseUrl.replace(/\/+$/, '') === DARAJA_BASE_URLS.production);
  if (liveProduction && String(o.shortcode ?? '').trim() === SANDBOX_SHORTCODE) {
    issues.push({
      field: fieldName('shortcode'),
      message:
        `${SANDBOX_SHORTCODE} is the sandbox test shortcode; production needs your own PayBill or store ` +
        'number from the go-live. Set it, or use environment: "sandbox" to keep testing.',
    });
  }
  if (liveProduction && typeof o.passkey === 'string' && o.passkey.trim() === SANDBOX_PASSKEY) {
    issues.push({
      field: fieldName('passkey'),
      message:
        'is the public sandbox passkey; production needs the passkey Safaricom sends at go-live. Set it, ' +
        'or use environment: "sandbox" to keep testing.',
    });
  }
  if (o.transactionType === 'CustomerBuyGoodsOnline' && o.tillNumber === undefined) {
    issues.push({
      field: fieldName('tillNumber'),
      message: 'required for Buy Goods: the till number (PartyB). The shortcode is the store number.',
    });
  }
  return issues;
}
