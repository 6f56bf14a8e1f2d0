// The `daraja-sdk/results` handlers as web-standard handlers, `(Request, context?) => Promise<Response>`:
// each reads the body once (bounded), finds the client address (`web-address.ts`), and passes
// `{ body, url, headers, remoteAddress }` to the framework-agnostic handler it wraps.
import { DarajaConfigError } from '../core/errors.js';
import { createLog } from '../core/logger.js';
import type { BillPaymentHandler } from './bill-payment.js';
import type { C2bHandler } from './c2b-handler.js';
import type { ResultHandler } from './result-handler.js';
import { clientAddressProblem, findClientAddress } from './web-address.js';
import {
  headerRecord,
  jsonResponse,
  readBodyText,
  tooLarge,
  type WebHandler,
  type WebHandlerOptions,
} from './web-request.js';

/**
 * What a web handler passes to the handler it wraps: the body as text (at most 64 KiB), the URL, the
 * headers as a record with lower-case names, and the client address (by the `clientAddress` option; the
 * `'x-forwarded-for'` source gives the rightmost hop here, as no `trustedProxies` apply).
 */
export interface WebInboundRequest {
  /** The body as text. */
  body: string;
  /** The full request URL. */
  url: string;
  /** The request headers, lower-case names. */
  headers: Record<string, string>;
  /** The client address, when the source had one. */
  remoteAddress: string | undefined;
  /** Anything else, for the hooks' index signature. */
  [key: string]: unknown;
}

function checked(
  handler: unknown,
  methods: readonly string[],
  from: string,
  options: WebHandlerOptions | undefined,
) {
  const issues = [];
  if (
    typeof handler !== 'object' ||
    handler === null ||
    methods.some((m) => typeof (handler as Record<string, unknown>)[m] !== 'function')
  )
    issues.push({ field: 'handler', message: `must be the handler from ${from}.` });
  const problem = clientAddressProblem(options?.clientAddress);
  if (problem) issues.push({ field: 'clientAddress', message: problem });
  if (issues.length > 0) throw new DarajaConfigError(issues);
}

/** Adapt one `(request) => { status, body }` method to a web handler. */
function adapt(
  run: (request: WebInboundRequest) => Promise<{ status: number; body: unknown }>,
  options: WebHandlerOptions,
  kind: string,
): WebHandler {
  const log = createLog(options?.logger, { handler: kind });
  return async (request, context = {}) => {
    const body = await readBodyText(request);
    if (body === undefined) {
      log.warn('body over the limit; answered 413 without reading it all', {});
      return tooLarge();
    }
    const ctx = typeof context === 'object' && context !== null ? context : {};
    const { remoteAddress } = findClientAddress(options?.clientAddress, request, ctx);
    const answer = await run({ body, url: request.url, headers: headerRecord(request), remoteAddress });
    return jsonResponse(answer.status, answer.body);
  };
}

/**
 * A {@link createResultHandler} handler (B2C, B2B, tax, transaction status, account balance, reversal,
 * B2B Express, Ratiba or queue-timeout results) as a web-standard handler. It always answers 200 with
 * `{"ResultCode":0,"ResultDesc":"Accepted"}` (a body over 64 KiB: 413, hooks not called).
 *
 * @param handler - The handler from {@link createResultHandler}.
 * @param options - `clientAddress` (what the hooks see as `request.remoteAddress`) and `logger`.
 * @returns The web handler.
 * @throws {@link daraja-sdk!DarajaConfigError} when `handler` is not a result handler or an option is invalid.
 *
 * @example
 * ```ts
 * // app/mpesa/b2c/result/route.ts (Next.js)
 * export const POST = createWebResultHandler(createResultHandler({ kind: 'b2c', onResult: saveResult }));
 * ```
 */
export function createWebResultHandler(handler: ResultHandler, options: WebHandlerOptions = {}): WebHandler {
  checked(handler, ['handle'], 'createResultHandler()', options);
  return adapt((request) => handler.handle(request), options, 'webResult');
}

/**
 * A {@link createBillPaymentHandler} handler as a web-standard handler: 200 once `onPayment` stored the
 * payment, 500 when it failed (Bill Manager pushes it again), 200 for a malformed body; 413 for a body
 * over 64 KiB (hooks not called).
 *
 * @param handler - The handler from {@link createBillPaymentHandler}.
 * @param options - `clientAddress` (what the hooks see as `request.remoteAddress`) and `logger`.
 * @returns The web handler.
 * @throws {@link daraja-sdk!DarajaConfigError} when `handler` is not a Bill Manager handler or an option is invalid.
 */
export function createWebBillPaymentHandler(
  handler: BillPaymentHandler,
  options: WebHandlerOptions = {},
): WebHandler {
  checked(handler, ['handle'], 'createBillPaymentHandler()', options);
  return adapt((request) => handler.handle(request), options, 'webBillPayment');
}

/** The two routes of a {@link createWebC2bHandler}. */
export interface WebC2bHandlers {
  /** The validation URL's handler. */
  validation: WebHandler;
  /** The confirmation URL's handler. */
  confirmation: WebHandler;
}

/**
 * A {@link createC2bHandler} handler as two web-standard handlers, one per URL you register. Both answer
 * 200 with M-Pesa's JSON (a body over 64 KiB: 413, hooks not called).
 *
 * @param c2b - The handler from {@link createC2bHandler}.
 * @param options - `clientAddress` (what the hooks see as `request.remoteAddress`) and `logger`.
 * @returns `{ validation, confirmation }`.
 * @throws {@link daraja-sdk!DarajaConfigError} when `c2b` is not a C2B handler or an option is invalid.
 *
 * @example
 * ```ts
 * const c2b = createWebC2bHandler(createC2bHandler({ onConfirmation: savePayment }));
 * // Hono: app.post('/c2b/confirmation', (c) => c2b.confirmation(c.req.raw));
 * export const POST = c2b.confirmation;
 * ```
 */
export function createWebC2bHandler(c2b: C2bHandler, options: WebHandlerOptions = {}): WebC2bHandlers {
  checked(c2b, ['validation', 'confirmation'], 'createC2bHandler()', options);
  return {
    validation: adapt((request) => c2b.validation(request), options, 'webC2bValidation'),
    confirmation: adapt((request) => c2b.confirmation(request), options, 'webC2bConfirmation'),
  };
}
