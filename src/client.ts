/**
 * The client: `class Daraja`, which wires the transport, the token manager and one resource per Daraja
 * product from validated options. The options and their defaults are in `client-options.ts` (re-exported
 * here), their checks in `client-checks.ts`, the environment variables in `client-env.ts`
 * ({@link DARAJA_ENV_VARS} is re-exported here).
 *
 * @module
 */

import { validateOptions } from './client-checks.js';
import { DARAJA_ENV_VARS, optionsFromEnv } from './client-env.js';
import {
  DARAJA_BASE_URLS,
  type DarajaEnvironment,
  type DarajaOptions,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
} from './client-options.js';
import { MemoryTokenCache } from './core/auth/token-cache.js';
import { TokenManager } from './core/auth/token-manager.js';
import { createEmitter } from './core/http/hooks.js';
import type { RequestOptions } from './core/http/transport.js';
import { Transport } from './core/http/transport.js';
import { createLog } from './core/logger.js';
import type { ResourceContext } from './core/resource.js';
import { isDarajaHost } from './core/utils/url.js';
import { B2bExpress } from './resources/b2b-express/b2b-express.js';
import { BillManager } from './resources/bill-manager/bill-manager.js';
import { C2b } from './resources/c2b/c2b.js';
import { Pull } from './resources/c2b/pull.js';
import { Account, Reversal, Transactions } from './resources/initiator/account.js';
import { B2b, Tax } from './resources/initiator/b2b.js';
import { B2c } from './resources/initiator/b2c.js';
import { Qr } from './resources/qr/qr.js';
import { Ratiba } from './resources/ratiba/ratiba.js';
import { Stk } from './resources/stk/stk.js';

export * from './client-options.js';
export { DARAJA_ENV_VARS };

/**
 * The options to check and how to name their fields: with neither `logger` nor `logLevel`, `DARAJA_LOG`
 * from `process.env` (where it exists) becomes the `logLevel`, and an issue with it names the variable.
 */
function withEnvLogLevel(options: DarajaOptions): [unknown, (key: string) => string] {
  const plain = typeof options === 'object' && options !== null;
  const fromEnv =
    plain && options.logger === undefined && options.logLevel === undefined
      ? globalThis.process?.env?.[DARAJA_ENV_VARS.logLevel]?.trim()
      : undefined;
  if (fromEnv === undefined || fromEnv === '') return [options, (k) => k];
  return [{ ...options, logLevel: fromEnv }, (k) => (k === 'logLevel' ? DARAJA_ENV_VARS.logLevel : k)];
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
  /** B2B Express Checkout (a USSD prompt to a merchant's till): `b2bExpress.push()`. */
  readonly b2bExpress: B2bExpress;
  /** M-Pesa Ratiba standing orders: `ratiba.createStandingOrder()`. */
  readonly ratiba: Ratiba;
  /** Bill Manager: `billManager.optIn()`, invoices, cancellations and `acknowledgePayment()`. */
  readonly billManager: BillManager;
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
    const { options: o, securityCredential } = validateOptions(...withEnvLogLevel(options));
    this.environment = o.environment ?? 'sandbox';
    this.baseUrl = (o.baseUrl ?? DARAJA_BASE_URLS[this.environment]).replace(/\/+$/, '');
    const logger = o.logger ?? (o.logLevel === undefined ? undefined : console);
    const log = createLog(logger, {}, o.logLevel);
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
      emit: createEmitter(o.hooks, log),
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
    this.b2bExpress = new B2bExpress(resources);
    this.ratiba = new Ratiba(resources);
    this.billManager = new BillManager(resources, o.billManager);
  }

  /**
   * Build a client from environment variables: `MPESA_CONSUMER_KEY`, `MPESA_CONSUMER_SECRET`,
   * `MPESA_SHORTCODE` and `MPESA_PASSKEY` (required), `MPESA_ENVIRONMENT` (`sandbox` by default),
   * `MPESA_CALLBACK_URL`, `MPESA_BASE_URL` and `MPESA_TILL_NUMBER` (optional), and for the initiator APIs
   * `MPESA_INITIATOR_NAME`, `MPESA_INITIATOR_PASSWORD`, `MPESA_CERTIFICATE` or `MPESA_CERTIFICATE_PATH`
   * (or `MPESA_SECURITY_CREDENTIAL`), `MPESA_INITIATOR_SHORTCODE`, `MPESA_RESULT_URL` and
   * `MPESA_QUEUE_TIMEOUT_URL` (all optional), and `DARAJA_LOG` (the `logLevel`). See {@link DARAJA_ENV_VARS}.
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
    return new Daraja(optionsFromEnv(env, overrides));
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
