import { DarajaConfigError } from '../core/errors.js';
import { createLog, type DarajaLogger } from '../core/logger.js';
import { type ResultAck, resultAck } from './ack.js';
import { type B2bExpressResult, parseB2bExpressResult } from './b2b-express.js';
import { parseRatibaResult, type RatibaResult } from './ratiba-result.js';
import { type DarajaResult, parseQueueTimeout, parseResult, type QueueTimeoutNotice } from './result.js';
import {
  type AccountBalanceResult,
  type B2bResult,
  type B2cResult,
  parseAccountBalanceResult,
  parseB2bResult,
  parseB2cResult,
  parseReversalResult,
  parseTransactionStatusResult,
  type ReversalResult,
  type TransactionStatusResult,
} from './result-kinds.js';

/** What each {@link ResultKind} of {@link createResultHandler} passes to `onResult`. */
export interface ResultKinds {
  /** Any initiator result, untyped parameters ({@link parseResult}). */
  result: DarajaResult;
  /** A B2C or Business to Pochi payment ({@link parseB2cResult}). */
  b2c: B2cResult;
  /** A B2B payment, a B2C account top-up or a tax remittance ({@link parseB2bResult}). */
  b2b: B2bResult;
  /** A transaction status ({@link parseTransactionStatusResult}). */
  transactionStatus: TransactionStatusResult;
  /** An account balance ({@link parseAccountBalanceResult}). */
  accountBalance: AccountBalanceResult;
  /** A reversal ({@link parseReversalResult}). */
  reversal: ReversalResult;
  /** A queue timeout, for a QueueTimeOutURL ({@link parseQueueTimeout}). */
  queueTimeout: QueueTimeoutNotice;
  /**
   * A B2B Express Checkout callback, for a push's `callbackUrl` ({@link parseB2bExpressResult}). Daraja
   * does not document the reply it expects; this answers as for the others, as peer SDKs do.
   */
  b2bExpress: B2bExpressResult;
  /**
   * An M-Pesa Ratiba standing order callback, for its CallBackURL ({@link parseRatibaResult}). Daraja
   * documents no reply to it; the handler's usual acknowledgement is sent.
   */
  ratiba: RatibaResult;
}

/** Which parser a result handler uses: one per ResultURL (give each operation its own URL). */
export type ResultKind = keyof ResultKinds;

const PARSERS: { readonly [K in ResultKind]: (body: unknown) => ResultKinds[K] } = {
  result: parseResult,
  b2c: parseB2cResult,
  b2b: parseB2bResult,
  transactionStatus: parseTransactionStatusResult,
  accountBalance: parseAccountBalanceResult,
  reversal: parseReversalResult,
  queueTimeout: parseQueueTimeout,
  b2bExpress: parseB2bExpressResult,
  ratiba: parseRatibaResult,
};

/** An incoming request, as your framework gives it: `body` plus anything you want passed to the hooks. */
export interface ResultRequest {
  /** The request body: parsed JSON, or its text or bytes. */
  body: unknown;
  /** Anything else (url, headers, remoteAddress…), passed through to the hooks. */
  [key: string]: unknown;
}

/** Options of {@link createResultHandler}. */
export interface ResultHandlerOptions<K extends ResultKind = 'result'> {
  /** Which parser to use. @defaultValue `'result'` (the generic envelope) */
  kind?: K;
  /**
   * Called with each parsed result. Persist it before returning: Daraja gets its acknowledgement
   * whatever happens, and is not known to resend. An error thrown here goes to `onError`.
   */
  onResult: (result: ResultKinds[K], request: ResultRequest) => unknown;
  /**
   * Called with a malformed body ({@link daraja-sdk!DarajaCallbackError}) or an error thrown by `onResult`, and the
   * request, so you can keep the body for audit. Errors thrown here are swallowed (and logged).
   */
  onError?: (error: unknown, request: ResultRequest) => unknown;
  /** Receives redacted logs. @defaultValue silent */
  logger?: DarajaLogger;
}

/** A framework-agnostic handler for a ResultURL or QueueTimeOutURL. */
export interface ResultHandler {
  /**
   * Parse the request, call the hooks, and return the acknowledgement. Never throws; always resolves to
   * HTTP 200 `{"ResultCode":0,"ResultDesc":"Accepted"}`.
   */
  handle(request: ResultRequest): Promise<ResultAck>;
}

/**
 * Create a handler for the URL Daraja POSTs asynchronous results to (B2C, B2B, tax, transaction status,
 * account balance, reversal), B2B Express Checkout callbacks (`kind: 'b2bExpress'`) or queue timeouts
 * to. `handle()` never throws and always answers HTTP 200 with
 * `{"ResultCode":0,"ResultDesc":"Accepted"}`; a malformed body is acknowledged and reported to `onError`.
 *
 * Results carry no signature: match each one to a request you made (by `originatorConversationId`), and
 * consider a secret token in the URL and an IP allow-list.
 *
 * @param options - The parser `kind`, and the `onResult` / `onError` hooks.
 * @returns The handler.
 * @throws {@link daraja-sdk!DarajaConfigError} when `onResult` is not a function or `kind` is unknown.
 *
 * @example
 * ```ts
 * const b2cResults = createResultHandler({
 *   kind: 'b2c',
 *   onResult: async (result) => {
 *     await payouts.settle(result.originatorConversationId, result.success, result.receiptNumber);
 *   },
 *   onError: (error, request) => audit.keep(request.body, error),
 * });
 * app.post('/mpesa/b2c/result', async (req, res) => {
 *   const ack = await b2cResults.handle({ body: req.body });
 *   res.status(ack.status).json(ack.body);
 * });
 * ```
 */
export function createResultHandler<K extends ResultKind = 'result'>(
  options: ResultHandlerOptions<K>,
): ResultHandler {
  const kind = (options?.kind ?? 'result') as K;
  const issues = [];
  if (typeof options?.onResult !== 'function')
    issues.push({ field: 'onResult', message: 'must be a function receiving the parsed result.' });
  if (!Object.hasOwn(PARSERS, kind))
    issues.push({ field: 'kind', message: `must be one of ${Object.keys(PARSERS).join(', ')}.` });
  if (options?.onError !== undefined && typeof options.onError !== 'function')
    issues.push({ field: 'onError', message: 'must be a function.' });
  if (issues.length > 0) throw new DarajaConfigError(issues);
  const parse = PARSERS[kind] as (body: unknown) => ResultKinds[K];
  const log = createLog(options.logger, { kind });

  const report = async (error: unknown, request: ResultRequest, stage: string) => {
    log.error(`result ${stage} failed; acknowledged anyway`, { error });
    try {
      await options.onError?.(error, request);
    } catch (hookError) {
      log.error('onError threw; ignored', { error: hookError });
    }
  };

  return {
    async handle(request) {
      const req: ResultRequest =
        typeof request === 'object' && request !== null ? request : { body: undefined };
      let result: ResultKinds[K] | undefined;
      try {
        result = parse(req.body);
      } catch (error) {
        await report(error, req, 'parsing');
      }
      if (result !== undefined) {
        const r = result as Partial<DarajaResult> & { requestId?: string };
        log.info('result received', {
          originatorConversationId: r.originatorConversationId ?? r.requestId,
          resultCode: r.resultCode,
        });
        try {
          await options.onResult(result, req);
        } catch (error) {
          await report(error, req, 'handling');
        }
      }
      return resultAck();
    },
  };
}
