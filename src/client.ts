import * as z from 'zod/mini';
import { MemoryTokenCache, type TokenCache } from './core/auth/token-cache.js';
import { TokenManager } from './core/auth/token-manager.js';
import { DarajaConfigError, type DarajaConfigIssue } from './core/errors.js';
import type { RequestOptions } from './core/http/transport.js';
import { Transport } from './core/http/transport.js';
import type { StkTransactionType } from './core/limits.js';
import { createLog, type DarajaLogger } from './core/logger.js';
import type { ResourceContext } from './core/resource.js';
import { isDarajaHost, validateCallbackUrl } from './core/utils/url.js';
import { C2b } from './resources/c2b/c2b.js';
import { Pull } from './resources/c2b/pull.js';
import { Account, Reversal, Transactions } from './resources/initiator/account.js';
import { B2b, Tax } from './resources/initiator/b2b.js';
import { B2c } from './resources/initiator/b2c.js';
import {
  INITIATOR_OPTION_FIELDS,
  type InitiatorOptions,
  resolveInitiatorOptions,
} from './resources/initiator/config.js';
import { Qr } from './resources/qr/qr.js';
import { Stk } from './resources/stk/stk.js';

/** Which Daraja to talk to. */
export type DarajaEnvironment = 'sandbox' | 'production';

/** Base URL of each Daraja environment. */
export const DARAJA_BASE_URLS: Readonly<Record<DarajaEnvironment, string>> = Object.freeze({
  sandbox: 'https://sandbox.safaricom.co.ke',
  production: 'https://api.safaricom.co.ke',
});
/** Default timeout of each attempt, in ms. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default number of retries for operations that are safe to repeat (OAuth, STK query). */
export const DEFAULT_MAX_RETRIES = 2;
/** Default delay before the first retry, in ms. */
export const DEFAULT_RETRY_BASE_DELAY_MS = 500;
/** Default cap of a single retry delay, in ms. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 8_000;

/**
 * Options of {@link Daraja}. Only `consumerKey` and `consumerSecret` are required; the initiator options
 * ({@link InitiatorOptions}) are needed only for B2C, B2B, tax, transaction status, balance and reversal.
 */
export interface DarajaOptions extends InitiatorOptions {
  /** Consumer key of your Daraja app. Env: `MPESA_CONSUMER_KEY`. */
  consumerKey: string;
  /** Consumer secret of your Daraja app. Never logged. Env: `MPESA_CONSUMER_SECRET`. */
  consumerSecret: string;
  /** `sandbox` or `production`. Env: `MPESA_ENVIRONMENT`. @defaultValue `'sandbox'` */
  environment?: DarajaEnvironment;
  /** Overrides the environment's base URL, e.g. the local simulator. Env: `MPESA_BASE_URL`. */
  baseUrl?: string;
  /** Business shortcode for STK push (PayBill number, or store number for Buy Goods). Env: `MPESA_SHORTCODE`. */
  shortcode?: string | number;
  /** Lipa na M-Pesa Online passkey. Never logged. Env: `MPESA_PASSKEY`. */
  passkey?: string;
  /**
   * Default callback URL for STK push. HTTPS in production. When the client talks to Daraja (no `baseUrl`,
   * or a safaricom.co.ke one) it must be a URL Safaricom can reach: not `localhost`, `*.local` or a
   * loopback, private or link-local address (with `baseUrl` pointing at the simulator, those are fine).
   * Env: `MPESA_CALLBACK_URL`.
   */
  callbackUrl?: string;
  /** Default STK transaction type. @defaultValue `'CustomerBuyGoodsOnline'` when `tillNumber` is set, else `'CustomerPayBillOnline'` */
  transactionType?: StkTransactionType;
  /** Till number for Buy Goods (sent as PartyB). Env: `MPESA_TILL_NUMBER`. */
  tillNumber?: string | number;
  /** Timeout of each attempt, in ms. @defaultValue {@link DEFAULT_TIMEOUT_MS} */
  timeoutMs?: number;
  /**
   * Retries for calls that are safe to repeat: OAuth, STK query, transaction status, balance, QR, and B2C
   * (idempotent by its `OriginatorConversationID`). STK push, B2B, tax, reversal and C2B calls are never
   * resent once they may have reached Daraja. @defaultValue {@link DEFAULT_MAX_RETRIES}
   */
  maxRetries?: number;
  /** Delay before the first retry, in ms; doubles each time, with jitter. @defaultValue {@link DEFAULT_RETRY_BASE_DELAY_MS} */
  retryBaseDelayMs?: number;
  /** Cap of a single retry delay, in ms. @defaultValue {@link DEFAULT_RETRY_MAX_DELAY_MS} */
  retryMaxDelayMs?: number;
  /** The `fetch` to use (for proxies, tests or instrumentation). @defaultValue `globalThis.fetch` */
  fetch?: typeof globalThis.fetch;
  /** Where access tokens are kept; share one across processes with your own. @defaultValue a {@link MemoryTokenCache} */
  tokenCache?: TokenCache;
  /** Receives redacted logs (`console`, pino, …). @defaultValue silent */
  logger?: DarajaLogger;
}

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
} as const);

/** Safaricom's public sandbox shortcode and passkey (daraja-api.md §17): never valid in production. */
const SANDBOX_SHORTCODE = '174379';
const SANDBOX_PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';

/** Options that {@link Daraja.fromEnv} requires, from the environment or its `overrides`. */
const REQUIRED_FROM_ENV = ['consumerKey', 'consumerSecret', 'shortcode', 'passkey'] as const;

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
  ...INITIATOR_OPTION_FIELDS,
});

function validateOptions(
  options: unknown,
  fieldName: (key: string) => string,
): { options: DarajaOptions; securityCredential: string | undefined } {
  const issues: DarajaConfigIssue[] = [];
  const result = OptionsSchema.safeParse(options);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys)
          issues.push({ field: key, message: 'unknown option; check its spelling.' });
      } else {
        const key = issue.path.length > 0 ? String(issue.path[0]) : 'options';
        issues.push({ field: fieldName(key), message: issue.message });
      }
    }
  }
  const o = (typeof options === 'object' && options !== null ? options : {}) as Partial<DarajaOptions>;
  const production = o.environment === 'production' && o.baseUrl === undefined;
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

/**
 * The Daraja client. Construct it once and share it: it caches the access token and shares one OAuth
 * request between concurrent calls.
 *
 * @example
 * ```ts
 * import { Daraja } from 'daraja-sdk';
 *
 * const daraja = new Daraja({
 *   consumerKey: process.env.MPESA_CONSUMER_KEY!,
 *   consumerSecret: process.env.MPESA_CONSUMER_SECRET!,
 *   environment: 'sandbox',
 *   shortcode: '174379',
 *   passkey: process.env.MPESA_PASSKEY!,
 *   callbackUrl: 'https://example.com/payments/callback',
 * });
 * const { checkoutRequestId } = await daraja.stk.push({
 *   phoneNumber: '0712345678', amount: 100, accountReference: 'PRO-42',
 * });
 * ```
 */
export class Daraja {
  /** M-Pesa Express: `stk.push()` and `stk.query()`. */
  readonly stk: Stk;
  /** C2B: `c2b.registerUrls()` and `c2b.simulate()` (sandbox). */
  readonly c2b: C2b;
  /** B2C payments: `b2c.pay()`, idempotent by `OriginatorConversationID`. */
  readonly b2c: B2c;
  /** B2B payments: `b2b.payBill()` and `b2b.buyGoods()`. */
  readonly b2b: B2b;
  /** Tax remittance to KRA: `tax.remit()`. */
  readonly tax: Tax;
  /** Transaction status: `transactions.status()`. */
  readonly transactions: Transactions;
  /** Account balance: `account.balance()`. */
  readonly account: Account;
  /** Reversals: `reversal.reverse()`. */
  readonly reversal: Reversal;
  /** Dynamic QR codes: `qr.generate()`. */
  readonly qr: Qr;
  /** Pull transactions (production): `pull.register()` and `pull.query()`. */
  readonly pull: Pull;
  /** The environment in use. */
  readonly environment: DarajaEnvironment;
  /** The base URL requests go to. */
  readonly baseUrl: string;
  readonly #tokens: TokenManager;

  /**
   * @param options - Credentials, STK defaults and injectable dependencies.
   * @throws {@link DarajaConfigError} listing every invalid option.
   */
  constructor(options: DarajaOptions) {
    const { options: o, securityCredential } = validateOptions(options, (k) => k);
    this.environment = o.environment ?? 'sandbox';
    this.baseUrl = (o.baseUrl ?? DARAJA_BASE_URLS[this.environment]).replace(/\/+$/, '');
    const log = createLog(o.logger);
    const transport = new Transport({
      baseUrl: this.baseUrl,
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: {
        maxRetries: o.maxRetries ?? DEFAULT_MAX_RETRIES,
        baseDelayMs: o.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS,
        maxDelayMs: o.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS,
      },
      fetch: o.fetch,
      log,
    });
    this.#tokens = new TokenManager({
      transport,
      cache: o.tokenCache ?? new MemoryTokenCache(),
      scope: o.baseUrl === undefined ? this.environment : this.baseUrl,
      consumerKey: o.consumerKey,
      consumerSecret: o.consumerSecret,
      log,
    });
    transport.setTokenSource(this.#tokens);
    const tillNumber = o.tillNumber === undefined ? undefined : String(o.tillNumber).trim();
    const resources: ResourceContext = {
      transport,
      log,
      production: this.environment === 'production',
      darajaHost: isDarajaHost(this.baseUrl),
      shortcode: o.shortcode === undefined ? undefined : String(o.shortcode).trim(),
      passkey: o.passkey,
      callbackUrl: o.callbackUrl,
      transactionType: o.transactionType ?? (tillNumber ? 'CustomerBuyGoodsOnline' : 'CustomerPayBillOnline'),
      tillNumber,
      initiatorShortcode:
        o.initiatorShortcode === undefined ? undefined : String(o.initiatorShortcode).trim(),
      initiatorName: o.initiatorName?.trim(),
      securityCredential,
      resultUrl: o.resultUrl,
      queueTimeoutUrl: o.queueTimeoutUrl,
    };
    this.stk = new Stk(resources);
    this.c2b = new C2b(resources);
    this.b2c = new B2c(resources);
    this.b2b = new B2b(resources);
    this.tax = new Tax(resources);
    this.transactions = new Transactions(resources);
    this.account = new Account(resources);
    this.reversal = new Reversal(resources);
    this.qr = new Qr(resources);
    this.pull = new Pull(resources);
  }

  /**
   * Build a client from environment variables: `MPESA_CONSUMER_KEY`, `MPESA_CONSUMER_SECRET`,
   * `MPESA_SHORTCODE` and `MPESA_PASSKEY` (required), `MPESA_ENVIRONMENT` (`sandbox` by default),
   * `MPESA_CALLBACK_URL`, `MPESA_BASE_URL` and `MPESA_TILL_NUMBER` (optional), and for the initiator APIs
   * `MPESA_INITIATOR_NAME`, `MPESA_INITIATOR_PASSWORD`, `MPESA_CERTIFICATE` or `MPESA_CERTIFICATE_PATH`
   * (or `MPESA_SECURITY_CREDENTIAL`), `MPESA_INITIATOR_SHORTCODE`, `MPESA_RESULT_URL` and
   * `MPESA_QUEUE_TIMEOUT_URL` (all optional). See {@link DARAJA_ENV_VARS}.
   *
   * @param env - Where to read the variables. @defaultValue `process.env`
   * @param overrides - Options that take precedence over the environment (e.g. `logger`, `fetch`).
   * @throws {@link DarajaConfigError} listing every missing or invalid variable at once.
   *
   * @example
   * ```ts
   * const daraja = Daraja.fromEnv(process.env, { logger: console });
   * ```
   */
  static fromEnv(
    env: Record<string, string | undefined> = typeof process === 'undefined' ? {} : process.env,
    overrides: Partial<DarajaOptions> = {},
  ): Daraja {
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
    return new Daraja(options as unknown as DarajaOptions);
  }

  /**
   * Fetch an access token now (or return the cached one). Calls made through the client do this for
   * you; use it to check credentials at start-up.
   *
   * @returns Resolves when a valid token is available. The token itself is not returned, to keep it out
   * of application code and logs.
   */
  async verifyCredentials(options: RequestOptions = {}): Promise<void> {
    await this.#tokens.get(options);
  }

  /** Keeps secrets out of `console.log(daraja)` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Daraja { environment: '${this.environment}', baseUrl: '${this.baseUrl}' }`;
  }
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
