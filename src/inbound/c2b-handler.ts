// The C2B validation and confirmation routes as one framework-agnostic handler: parse the payload
// (`c2b-payload.ts`), ask your hooks, answer with the acknowledgements of `ack.ts`. The web-standard
// wrapper is `createWebC2bHandler` in `web.ts`.
import { DarajaConfigError } from '../core/errors.js';
import { createLog, type DarajaLogger } from '../core/logger.js';
import { maskPhoneNumber } from '../core/utils/mask.js';
import {
  C2B_REJECT_CODES,
  type C2bConfirmationAck,
  type C2bRejectCode,
  type C2bValidationResponse,
  c2bAccept,
  c2bConfirmationAck,
  c2bReject,
} from './ack.js';
import { type C2bPayload, parseC2bPayload } from './c2b-payload.js';

/**
 * What `onValidation` decides: `true` to accept, `false` to reject (`C2B00016`, other error), a
 * {@link C2bRejectCode} to reject with that code, or a ready answer from {@link c2bAccept} /
 * {@link c2bReject} (to return a `ThirdPartyTransID`).
 */
export type C2bValidationDecision = boolean | C2bRejectCode | C2bValidationResponse;

/** An incoming C2B request, as your framework gives it: `body` plus anything you want passed to the hooks. */
export interface C2bRequest {
  /** The request body: parsed JSON, or its text or bytes. */
  body: unknown;
  /** Anything else (url, headers, remoteAddress…), passed through to the hooks. */
  [key: string]: unknown;
}

/** The answer to a C2B request: always HTTP 200, with the JSON body M-Pesa expects. */
export interface C2bAck<Body> {
  /** Always 200. */
  status: 200;
  /** {@link C2bValidationResponse} for a validation, {@link C2bConfirmationAck} for a confirmation. */
  body: Body;
}

/** Options of {@link createC2bHandler}. */
export interface C2bHandlerOptions {
  /**
   * Decide whether to take a payment, within about 8 seconds (else M-Pesa applies the `ResponseType` you
   * registered). Without it every payment is accepted. A thrown error, or a value that is not a
   * {@link C2bValidationDecision}, rejects it with {@link C2B_VALIDATION_ERROR_CODE}.
   */
  onValidation?: (
    payload: C2bPayload,
    request: C2bRequest,
  ) => C2bValidationDecision | Promise<C2bValidationDecision>;
  /**
   * Store the payment, durably and idempotently by `transactionId`. Awaited before the answer (so a
   * serverless platform keeps running it), but the confirmation is acknowledged whatever it does: M-Pesa
   * does not resend missed confirmations, so an error goes to `onError` (keep the body, then reconcile with
   * the Pull Transactions API or the portal).
   */
  onConfirmation: (payload: C2bPayload, request: C2bRequest) => unknown;
  /**
   * Called with a malformed body ({@link daraja-sdk!DarajaCallbackError}) or an error thrown by a hook,
   * which stage it was, and the request, so you can keep the body. Errors thrown here are logged and ignored.
   */
  onError?: (error: unknown, stage: 'validation' | 'confirmation', request: C2bRequest) => unknown;
  /** Receives redacted logs. @defaultValue silent */
  logger?: DarajaLogger;
}

/** A framework-agnostic handler for the C2B validation and confirmation URLs. */
export interface C2bHandler {
  /** Answer a validation request: accept or reject. Never throws. */
  validation(request: C2bRequest): Promise<C2bAck<C2bValidationResponse>>;
  /** Run `onConfirmation`, then acknowledge. Never throws; always acknowledges. */
  confirmation(request: C2bRequest): Promise<C2bAck<C2bConfirmationAck>>;
}

/**
 * The reject code a validation gets when its body is malformed or `onValidation` throws: `C2B00016`
 * (other error). Rejecting takes no money from the customer; they can pay again once you fixed the cause.
 */
export const C2B_VALIDATION_ERROR_CODE: C2bRejectCode = 'C2B00016';

function decide(decision: unknown): C2bValidationResponse | undefined {
  if (decision === true) return c2bAccept();
  if (decision === false) return c2bReject(C2B_VALIDATION_ERROR_CODE);
  if (typeof decision === 'string' && Object.hasOwn(C2B_REJECT_CODES, decision))
    return c2bReject(decision as C2bRejectCode);
  if (typeof decision === 'object' && decision !== null) {
    const code = (decision as { ResultCode?: unknown }).ResultCode;
    if (code === '0' || (typeof code === 'string' && Object.hasOwn(C2B_REJECT_CODES, code)))
      return decision as C2bValidationResponse;
  }
  return undefined;
}

/**
 * Create a handler for the C2B validation and confirmation URLs you register with
 * `daraja.c2b.registerUrls()`. Both methods always answer HTTP 200 and never throw.
 *
 * - **Validation** (only if Safaricom enabled external validation for your shortcode): `onValidation`
 *   decides; without it every payment is accepted. A malformed body or a thrown error rejects with
 *   {@link C2B_VALIDATION_ERROR_CODE} and goes to `onError`.
 * - **Confirmation**: `onConfirmation` is awaited, then the confirmation is acknowledged
 *   (`{"ResultCode":"0","ResultDesc":"Success"}`) whether it succeeded or not. M-Pesa does not resend
 *   missed confirmations (docs: "Safaricom does not resend missed confirmations"), so answering an error
 *   would recover nothing: a failure (or a malformed body) goes to `onError` instead, to keep the body and
 *   reconcile it later.
 *
 * C2B requests carry no signature: register URLs with a secret path segment, and check amounts and
 * account numbers against your records.
 *
 * @param options - `onValidation`, `onConfirmation`, `onError` and `logger`.
 * @returns The handler.
 * @throws {@link daraja-sdk!DarajaConfigError} when `onConfirmation` is not a function (or another hook
 * is given and is not one).
 *
 * @example
 * ```ts
 * const c2b = createC2bHandler({
 *   onValidation: (payment) => (accounts.has(payment.billRefNumber) ? true : 'C2B00012'),
 *   onConfirmation: (payment) => payments.insertOnce(payment.transactionId, payment),
 *   onError: (error, stage, request) => audit.keep(stage, request.body, error),
 * });
 * app.post('/c2b/validation', async (req, res) => res.json((await c2b.validation({ body: req.body })).body));
 * ```
 */
export function createC2bHandler(options: C2bHandlerOptions): C2bHandler {
  const issues = [];
  if (typeof options?.onConfirmation !== 'function')
    issues.push({ field: 'onConfirmation', message: 'must be a function that stores the payment.' });
  for (const hook of ['onValidation', 'onError'] as const)
    if (options?.[hook] !== undefined && typeof options[hook] !== 'function')
      issues.push({ field: hook, message: 'must be a function.' });
  if (issues.length > 0) throw new DarajaConfigError(issues);
  const log = createLog(options.logger, { kind: 'c2b' });
  const report = async (error: unknown, stage: 'validation' | 'confirmation', request: C2bRequest) => {
    log.error(`C2B ${stage} failed`, { error });
    await Promise.resolve()
      .then(() => options.onError?.(error, stage, request))
      .catch((hookError: unknown) => log.error('onError threw; ignored', { error: hookError }));
  };
  const asRequest = (request: C2bRequest): C2bRequest =>
    typeof request === 'object' && request !== null ? request : { body: undefined };
  const fields = (p: C2bPayload) => ({
    transactionId: p.transactionId,
    amount: p.amount,
    msisdn: p.phoneNumber === undefined ? undefined : maskPhoneNumber(p.phoneNumber),
  });

  return {
    async validation(request) {
      const req = asRequest(request);
      try {
        const payload = parseC2bPayload(req.body);
        if (!options.onValidation) return { status: 200, body: c2bAccept() };
        const decision = await options.onValidation(payload, req);
        const answer = decide(decision);
        if (!answer)
          throw new TypeError(
            'onValidation returned no decision: true, false, a reject code or c2bAccept()/c2bReject().',
          );
        log.info('C2B validation answered', { ...fields(payload), resultCode: answer.ResultCode });
        return { status: 200, body: answer };
      } catch (error) {
        await report(error, 'validation', req);
        return { status: 200, body: c2bReject(C2B_VALIDATION_ERROR_CODE) };
      }
    },
    async confirmation(request) {
      const req = asRequest(request);
      try {
        const payload = parseC2bPayload(req.body);
        await options.onConfirmation(payload, req);
        log.info('C2B confirmation stored', fields(payload));
      } catch (error) {
        await report(error, 'confirmation', req);
      }
      return { status: 200, body: c2bConfirmationAck() };
    },
  };
}
