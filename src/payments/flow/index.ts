/**
 * The payment flow, as named steps over one shared {@link FlowContext} (`context.ts`):
 *
 * - `options.ts`: {@link PaymentFlowOptions} and their validation; `types.ts`: the other public types.
 * - `initiate.ts`: check the input, write the `pending` payment, send the STK push, record its answer
 *   (in the journal if the store cannot take it).
 * - `callback.ts`: {@link PaymentFlow.handleCallback}. A callback's data path, top to bottom:
 *   1. receive: the client address (`trustedProxies`, `X-Forwarded-For`) and the URL's query;
 *   2. probe? (`probe.ts`): a `daraja_probe` request is answered with a report and touches nothing;
 *   3. authenticate: the per-payment token (or, without tokens, `allowedIps`); a rejection costs a
 *      sampled, body-less audit row and is answered 200;
 *   4. parse and record (`record.ts`): parse the body, link it to its payment, check it (address,
 *      CheckoutRequestID, amount, phone), settle, enrich or reject it, and write its audit row, all within
 *      two thirds of the ack deadline;
 *   5. or journal: a store that fails or is too slow leaves the callback in the journal (200 if durable,
 *      503 if not, with a line to recover it by hand);
 *   6. answer (`answer.ts`): `{"ResultCode":0,"ResultDesc":"Accepted"}`;
 *   7. after the answer (`afterAck`): fulfilment or `onFailed`, confirming a success by query, and a
 *      journal replay (`replay.ts`).
 *   Misconfigurations that make every callback fail are reported once each (`warnings.ts`).
 * - `settle.ts`: settlement from a callback or a query, late successes, receipt enrichment, and what
 *   follows a settlement (fulfilment, `onFailed`, `onLateSuccess`).
 * - `fulfil.ts`: `onCompleted` under a fenced claim: lease renewal, release with backoff, parking.
 * - `query.ts`: one STK query (a rate-limit answer pauses them); `status.ts`: `checkStatus`.
 * - `reconcile.ts`: journal replay, due pending payments settled by query within the query budget (or
 *   given up), then due fulfilments.
 *
 * @module
 */
import type { RequestOptions } from '../../core/http/transport.js';
import type { Payment } from '../types.js';
import { handleCallback } from './callback.js';
import { createFlowContext, type FlowContext } from './context.js';
import { retryFulfilment } from './fulfil.js';
import { callbackUrlFor, initiate } from './initiate.js';
import { type PaymentFlowOptions, validateFlowOptions } from './options.js';
import { reconcile } from './reconcile.js';
import { checkStatus } from './status.js';
import type {
  CallbackRequest,
  CallbackResponse,
  InitiateParams,
  InitiateResponse,
  PaymentFlow,
  ReconcileSummary,
} from './types.js';

export type { PaymentFlowOptions } from './options.js';
export {
  CALLBACK_ACK,
  CALLBACK_RETRY_LATER,
  CALLBACK_URL_PARAMS,
  type CallbackAck,
  type CallbackProbeAck,
  type CallbackRequest,
  type CallbackResponse,
  type CallbackRetryLater,
  type CallbackUrlParams,
  type InitiateParams,
  type InitiateResponse,
  type InitiateResult,
  type PaymentFlow,
  type ReconcileSummary,
} from './types.js';

/**
 * payments exactly once (and kept in a journal when the store is down), fulfilment run once per payment
 * under a fenced lease, and reconciliation of everything a lost callback left behind.
 *
 * @param options - The client, the store, the public callback URL and secret, your `onCompleted`, and
 * the defences (each with a safe default).
 * @throws {@link DarajaConfigError} for invalid options.
 *
 * @example
 * ```ts
 * const flow = createPaymentFlow({
 *   daraja, store: new MemoryPaymentStore(),
 *   callbackUrl: 'https://example.com/payments/callback',
 *   callbackSecret: process.env.CALLBACK_SECRET!,
 *   onCompleted: async (payment) => activateSubscription(payment.ownerId, payment.metadata.plan),
 * });
 * const { payment } = await flow.initiate({ ownerId: 'user-1', amount: 500, phoneNumber: '0712345678', accountReference: 'PRO' });
 * app.post('/payments/callback', express.json(), async (req, res) => {
 *   const ack = await flow.handleCallback({ body: req.body, url: req.originalUrl, remoteAddress: req.socket.remoteAddress, headers: req.headers });
 *   res.status(ack.status).json(ack.body);
 * });
 * ```
 */
export function createPaymentFlow(options: PaymentFlowOptions): PaymentFlow {
  return new Flow(options);
}

class Flow implements PaymentFlow {
  readonly #ctx: FlowContext;

  constructor(options: PaymentFlowOptions) {
    this.#ctx = createFlowContext(options, validateFlowOptions(options));
  }

  callbackUrlFor(paymentId: string): string {
    return callbackUrlFor(this.#ctx, paymentId);
  }

  initiate(params: InitiateParams, requestOptions?: RequestOptions): Promise<InitiateResponse> {
    return initiate(this.#ctx, params, requestOptions);
  }

  handleCallback(request: CallbackRequest): Promise<CallbackResponse> {
    return handleCallback(this.#ctx, request);
  }

  checkStatus(
    paymentId: string,
    options: { ownerId: string },
    requestOptions?: RequestOptions,
  ): Promise<Payment | undefined> {
    return checkStatus(this.#ctx, paymentId, options, requestOptions);
  }

  reconcile(
    options?: { olderThanMs?: number; limit?: number; maxWaitMs?: number },
    requestOptions?: RequestOptions,
  ): Promise<ReconcileSummary> {
    return reconcile(this.#ctx, options, requestOptions);
  }

  retryFulfilment(paymentId: string): Promise<Payment | undefined> {
    return retryFulfilment(this.#ctx, paymentId);
  }
}
