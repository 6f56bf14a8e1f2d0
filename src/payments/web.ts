// The payment flow as web-standard handlers, `(Request, context?) => Promise<Response>`, for runtimes and
// frameworks built on the Fetch API: Next.js route handlers, Hono, Bun.serve, Deno.serve, Cloudflare
// Workers. The callback handler adapts a `Request` to `handleCallback` (`flow/callback.ts`); the reconcile
// handler is a route for platform cron (Vercel Cron). The shared parts (body reading, the client address)
// are in `inbound/web-request.ts` and `inbound/web-address.ts`.
import { DarajaConfigError } from '../core/errors.js';
import { createLog, type DarajaLogger, type Log } from '../core/logger.js';
import { clientAddressProblem, findClientAddress, type WebHandlerContext } from '../inbound/web-address.js';
import {
  jsonResponse,
  readBodyText,
  tooLarge,
  type WebHandler,
  type WebHandlerOptions,
} from '../inbound/web-request.js';
import type { PaymentFlow } from './flow/types.js';

/** Options of {@link createWebCallbackHandler}. */
export interface WebCallbackHandlerOptions extends WebHandlerOptions {
  /**
   * Without a {@link WebHandlerContext.waitUntil}, wait for the work after the answer (fulfilment,
   * `onFailed`, confirming a success by query) before returning the `Response`. Turn it on for a
   * serverless platform that stops the function after the response and offers no `waitUntil`: Daraja then
   * waits longer for its answer (the callback is durable before, so a slow `onCompleted` cannot lose it).
   * @defaultValue false: the work runs on after the answer, which Node, Bun and Deno servers allow
   */
  awaitAfterAck?: boolean;
}

function configProblems(options: WebHandlerOptions | undefined, extra: { field: string; message: string }[]) {
  const problem = clientAddressProblem(options?.clientAddress);
  if (problem) extra.push({ field: 'clientAddress', message: problem });
  if (extra.length > 0) throw new DarajaConfigError(extra);
}

function checkFlow(flow: unknown, method: 'handleCallback' | 'reconcile') {
  return typeof (flow as Partial<PaymentFlow> | null)?.[method] === 'function'
    ? []
    : [{ field: 'flow', message: 'must be the payment flow from createPaymentFlow().' }];
}

/** Hand the work after the answer to the platform, or wait for it, or let it run on; it never rejects. */
async function afterAnswer(
  afterAck: Promise<void>,
  context: WebHandlerContext,
  awaitAfterAck: boolean,
  log: Log,
): Promise<void> {
  const after = Promise.resolve(afterAck).catch((error: unknown) =>
    log.error('the work after the callback answer failed; reconcile retries it', { error }),
  );
  if (typeof context.waitUntil === 'function') {
    try {
      context.waitUntil(after);
      return;
    } catch (error) {
      log.warn('waitUntil threw; the work after the answer runs on without it', { error });
    }
  }
  if (awaitAfterAck) await after;
}

/**
 * The payment flow's callback route as a web-standard handler: `(request, context?) => Promise<Response>`.
 * It reads the body once (at most 64 KiB: a larger body is answered 413 and changes nothing), passes the
 * URL and the client address ({@link WebCallbackHandlerOptions.clientAddress}) to
 * {@link PaymentFlow.handleCallback}, and answers with its status, headers and body. A body that is not
 * JSON is acknowledged and changes nothing, as `handleCallback` does.
 *
 * **The work after the answer** (`afterAck`: fulfilment, `onFailed`, confirming a success) goes to
 * `context.waitUntil` when given: pass Next.js `after`, `waitUntil` from `@vercel/functions`, or a
 * Worker's `ctx.waitUntil`. Without it the Response is returned at once and the work runs on, which is
 * right for Node, Bun and Deno servers; on a serverless platform without `waitUntil` set `awaitAfterAck`.
 * Nothing is lost if the platform stops it anyway: the callback is durable before the 200, and
 * `flow.reconcile()` finishes the fulfilment later. A failure there is logged, never an unhandled rejection.
 *
 * @param flow - The payment flow from {@link createPaymentFlow}.
 * @param options - `clientAddress`, `awaitAfterAck` and `logger`.
 * @returns The handler.
 * @throws {@link DarajaConfigError} when `flow` is not a payment flow or an option is invalid.
 *
 * @example
 * ```ts
 * // app/payments/callback/route.ts (Next.js on Vercel)
 * import { after } from 'next/server';
 * const handle = createWebCallbackHandler(flow, { clientAddress: 'x-real-ip' });
 * export const POST = (request: Request) => handle(request, { waitUntil: after });
 * ```
 */
export function createWebCallbackHandler(
  flow: PaymentFlow,
  options: WebCallbackHandlerOptions = {},
): WebHandler {
  const problems = checkFlow(flow, 'handleCallback');
  if (options?.awaitAfterAck !== undefined && typeof options.awaitAfterAck !== 'boolean')
    problems.push({ field: 'awaitAfterAck', message: 'must be true or false.' });
  configProblems(options, problems);
  const log = createLog(options?.logger, { handler: 'webCallback' });
  const awaitAfterAck = options?.awaitAfterAck === true;
  return async (request, context = {}) => {
    const ctx = typeof context === 'object' && context !== null ? context : {};
    const body = await readBodyText(request);
    if (body === undefined) {
      log.warn('callback body over the limit; answered 413 without reading it all', {});
      return tooLarge();
    }
    const found = findClientAddress(options?.clientAddress, request, ctx);
    const ack = await flow.handleCallback({
      body,
      url: request.url,
      remoteAddress: found.remoteAddress,
      headers: found.forwardedFor === undefined ? {} : { 'x-forwarded-for': found.forwardedFor },
    });
    await afterAnswer(ack.afterAck, ctx, awaitAfterAck, log);
    return jsonResponse(ack.status, ack.body, ack.headers);
  };
}

/** Options of {@link createWebReconcileHandler}: the secret, and `flow.reconcile`'s own options. */
export interface WebReconcileHandlerOptions {
  /**
   * The bearer secret the caller must send (`Authorization: Bearer <secret>`), at least 16 characters:
   * on Vercel, the `CRON_SECRET` environment variable, which Vercel Cron sends that way.
   */
  secret: string;
  /** Passed to {@link PaymentFlow.reconcile}. @defaultValue 1 minute */
  olderThanMs?: number;
  /** Passed to {@link PaymentFlow.reconcile}. @defaultValue 100 */
  limit?: number;
  /** Passed to {@link PaymentFlow.reconcile}. @defaultValue 15 s */
  maxWaitMs?: number;
  /** Receives redacted logs (refused calls, a failed run). @defaultValue silent */
  logger?: DarajaLogger;
}

const ENCODER = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', ENCODER.encode(text)));
}

/**
 * The digest of `text`, computed on the first call and kept: nothing is hashed when the handler is built
 * (a Worker's global scope allows no async work). A failed digest is not kept: the next call tries again.
 */
function digestOnce(text: string): () => Promise<Uint8Array> {
  let kept: Promise<Uint8Array> | undefined;
  return () => {
    if (kept) return kept;
    const attempt = digest(text);
    kept = attempt;
    attempt.catch(() => {
      if (kept === attempt) kept = undefined;
    });
    return attempt;
  };
}

/** Constant-time: both sides are hashed first, so the time depends on neither the secret nor its length. */
async function sameSecret(given: string, expected: () => Promise<Uint8Array>): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), expected()]);
  let diff = 0;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * A route for platform cron that runs {@link PaymentFlow.reconcile} and answers its
 * {@link ReconcileSummary} as JSON (counts only: no secrets, no phone numbers). It answers 405 to
 * methods other than GET and POST, and 401 unless the request carries `Authorization: Bearer <secret>`
 * (compared in constant time). A run that throws is answered 500 `{ "error": "reconcile_failed" }` and
 * logged. Runs on several instances at once are safe. Building the handler does no async work and no
 * crypto (the secret is hashed on the first request), so a Worker may build it in its global scope.
 *
 * Vercel Cron calls the route with GET and `Authorization: Bearer $CRON_SECRET`. Cloudflare Cron Triggers
 * call a Worker's `scheduled(event, env, ctx)` export instead: there, call
 * `ctx.waitUntil(flow.reconcile())` (see docs/deploying/cloudflare-workers.md).
 *
 * @param flow - The payment flow from {@link createPaymentFlow}.
 * @param options - The `secret`, `reconcile`'s options, and `logger`.
 * @returns The handler.
 * @throws {@link DarajaConfigError} when `flow` is not a payment flow or `secret` is missing or short.
 *
 * @example
 * ```ts
 * // app/api/reconcile/route.ts, with vercel.json: { "crons": [{ "path": "/api/reconcile", "schedule": "* * * * *" }] }
 * export const GET = createWebReconcileHandler(flow, { secret: process.env.CRON_SECRET ?? '' });
 * ```
 */
export function createWebReconcileHandler(
  flow: PaymentFlow,
  options: WebReconcileHandlerOptions,
): WebHandler {
  const problems = checkFlow(flow, 'reconcile');
  const secret = options?.secret;
  if (typeof secret !== 'string' || secret.length < 16)
    problems.push({
      field: 'secret',
      message:
        'must be a random string of at least 16 characters (e.g. `openssl rand -hex 32`), as CRON_SECRET.',
    });
  if (problems.length > 0) throw new DarajaConfigError(problems);
  const { olderThanMs, limit, maxWaitMs } = options;
  const runOptions = Object.fromEntries(
    Object.entries({ olderThanMs, limit, maxWaitMs }).filter(([, v]) => v !== undefined),
  );
  const log = createLog(options.logger, { handler: 'webReconcile' });
  const expected = digestOnce(`Bearer ${secret}`);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'POST')
      return jsonResponse(405, { error: 'method_not_allowed' }, { allow: 'GET, POST' });
    if (!(await sameSecret(request.headers.get('authorization') ?? '', expected))) {
      log.warn('reconcile route called without the right secret; refused', {});
      return jsonResponse(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
    }
    try {
      return jsonResponse(200, await flow.reconcile(runOptions));
    } catch (error) {
      log.error('reconcile failed', { error });
      return jsonResponse(500, { error: 'reconcile_failed' });
    }
  };
}
