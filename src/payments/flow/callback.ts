import { isDarajaConfigError } from '../../core/errors.js';
import { auditedBody, bodyFingerprint } from '../audit.js';
import type { JournalEntry } from '../journal.js';
import { CALLBACK_PROBE_PARAM } from '../probe.js';
import { clientAddress, ipMatches, verifyCallbackToken } from '../security.js';
import type { CallbackEvent } from '../types.js';
import { answer, logCallback, logRecovery } from './answer.js';
import {
  type CallbackInput,
  errorText,
  type FlowContext,
  PAYMENT_ID,
  randomId,
  TIMED_OUT,
  withDeadline,
} from './context.js';
import { probe, unreadableBody } from './probe.js';
import { processCallback } from './record.js';
import { runAfter } from './replay.js';
import { CALLBACK_URL_PARAMS, type CallbackRequest, type CallbackResponse } from './types.js';
import { ADDRESS_FIX, noteAllowList, warnBody, warnOnce, warnSchema } from './warnings.js';

function header(headers: CallbackRequest['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : record[key];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * {@link PaymentFlow.handleCallback}, top to bottom: receive → probe? → authenticate → parse and record
 * with the store (within its deadline) or else keep in the journal → answer → the work after the answer.
 * Never throws.
 */
export async function handleCallback(ctx: FlowContext, request: CallbackRequest): Promise<CallbackResponse> {
  const started = Date.now(); // deadlines run on the real clock, whatever `now` says
  const receivedAt = ctx.now();
  const eventId = randomId('cbe_');
  const req = (typeof request === 'object' && request !== null ? request : {}) as CallbackRequest;
  const url = typeof req.url === 'string' ? req.url : null;
  let paymentHint: string | null = null;
  try {
    const address =
      clientAddress(req.remoteAddress, header(req.headers, 'x-forwarded-for'), ctx.trustedProxies) ?? null;
    const query = new URL(url ?? '/', 'http://callback.invalid').searchParams;
    const probeNonce = query.get(CALLBACK_PROBE_PARAM);
    if (probeNonce !== null) return probe(ctx, req, address, probeNonce);
    if (ctx.allowedIps !== false && !req.remoteAddress?.trim())
      warnOnce(
        ctx,
        'remote_address',
        'callbacks reach handleCallback without remoteAddress, so allowedIps rejects every one (ip_unknown) ' +
          `and payments settle only by status queries, without receipts. Fix: ${ADDRESS_FIX}`,
      );
    // Authentication first: without it, a callback costs a sampled, body-less audit row at most.
    const gate = authenticate(ctx, query, address);
    paymentHint = gate.paymentId;
    noteAllowList(ctx, address, gate.rejected === 'ip_not_allowed');
    if (gate.rejected) {
      const afterAck = recordUnauthenticated(
        ctx,
        { id: eventId, receivedAt, reason: gate.rejected, remoteAddress: address },
        req.body,
      );
      return answer(200, 'rejected', gate.rejected, null, afterAck);
    }
    const unreadable = unreadableBody(req.body);
    if (unreadable) warnBody(ctx, unreadable);
    const input: CallbackInput = { eventId, receivedAt, url, query, address, ...auditedBody(req.body) };
    const processing = processCallback(ctx, input);
    const result = await withDeadline(
      processing.then((done) => ({ done })),
      ctx.t.storeDeadline,
    ).catch((error: unknown) => ({ error }));
    if (result !== TIMED_OUT && 'done' in result) {
      const { done } = result;
      noteAllowList(ctx, address, done.outcome === 'rejected' && done.reason === 'ip_not_allowed');
      logCallback(ctx, done);
      const afterAck = runAfter(ctx, done.after, ctx.replayDue);
      return answer(200, done.outcome, done.reason, done.paymentId, afterAck);
    }
    // The store failed or is too slow: keep the callback in the journal and answer.
    if (result === TIMED_OUT) {
      ctx.log.warn('the store did not record the callback in time; keeping it in the journal', {
        callbackEventId: eventId,
        deadlineMs: Math.round(ctx.t.storeDeadline),
      });
      // If the store finishes after all, its follow-up work still runs (replays are idempotent).
      processing.then((late) => runAfter(ctx, late.after, false)).catch(() => undefined);
    } else {
      ctx.log.warn('the store could not record the callback; keeping it in the journal', {
        callbackEventId: eventId,
        error: result.error,
      });
      if (isDarajaConfigError(result.error)) warnSchema(ctx);
    }
    return await journalCallback(ctx, input, paymentHint, receivedAt, started);
  } catch (error) {
    // A bug: still answer, and say what would let someone recover the callback by hand.
    ctx.log.error('callback handling failed', { callbackEventId: eventId, error });
    logRecovery(ctx, req.body, paymentHint, eventId);
    return answer(503, 'invalid', `internal_error: ${errorText(error)}`, paymentHint, Promise.resolve());
  }
}

/**
 * Who may send this callback. With tokens on, the token authenticates it (an address not on
 * `allowedIps` is checked later, keeping the body: it may be Safaricom on a new address); without
 * tokens, the address does.
 */
function authenticate(
  ctx: FlowContext,
  query: URLSearchParams,
  address: string | null,
): { rejected: string | null; paymentId: string | null } {
  const paymentId = query.get(CALLBACK_URL_PARAMS.payment);
  const validId = paymentId !== null && PAYMENT_ID.test(paymentId) ? paymentId : null;
  if (ctx.verifyToken) {
    const token = query.get(CALLBACK_URL_PARAMS.token);
    if (!paymentId || !token) return { rejected: 'missing_token', paymentId: null };
    if (validId === null || !verifyCallbackToken(ctx.secrets, validId, token))
      return { rejected: 'bad_token', paymentId: null };
    return { rejected: null, paymentId: validId };
  }
  if (ctx.allowedIps !== false && !ipMatches(ctx.allowedIps, address ?? undefined)) {
    return { rejected: address ? 'ip_not_allowed' : 'ip_unknown', paymentId: null };
  }
  return { rejected: null, paymentId: validId };
}

/**
 * A sampled, body-less audit row for a callback rejected before authentication; never throws. The body
 * is only fingerprinted when the row is kept, so a flood costs no hashing either.
 */
function recordUnauthenticated(
  ctx: FlowContext,
  rejection: Pick<CallbackEvent, 'id' | 'receivedAt' | 'reason' | 'remoteAddress'>,
  body: unknown,
): Promise<void> {
  const { record, suppressed } = ctx.sampler.admit(
    `${rejection.remoteAddress ?? '?'}|${rejection.reason}`,
    Date.now(),
  );
  if (suppressed > 0)
    ctx.log.warn('unauthenticated callbacks rejected without an audit row in the last window', {
      count: suppressed,
    });
  if (!record) {
    // Sampled like the audit rows, so a flood cannot fill the logs either.
    ctx.log.debug('callback rejected before authentication', {
      reason: rejection.reason,
      remoteAddress: rejection.remoteAddress,
      recorded: false,
    });
    return Promise.resolve();
  }
  const fingerprint = bodyFingerprint(body);
  const event: CallbackEvent = {
    ...rejection,
    outcome: 'rejected',
    paymentId: null,
    checkoutRequestId: null,
    body: null,
    bodyBytes: fingerprint.bytes,
    bodySha256: fingerprint.sha256,
  };
  ctx.log.warn('callback rejected before authentication', {
    reason: event.reason,
    remoteAddress: event.remoteAddress,
    bodyBytes: event.bodyBytes,
    recorded: true,
  });
  return withDeadline(ctx.store.recordCallback(event), ctx.t.storeDeadline).then(
    () => undefined,
    (error: unknown) => ctx.log.warn('could not record a rejected callback', { error }),
  );
}

/** Keep a callback the store could not take in the journal: answered 200 if the journal is durable, else 503. */
async function journalCallback(
  ctx: FlowContext,
  input: CallbackInput,
  paymentId: string | null,
  receivedAt: Date,
  started: number,
): Promise<CallbackResponse> {
  const entry: JournalEntry = {
    kind: 'callback',
    id: randomId('jrn_'),
    eventId: input.eventId,
    receivedAt: receivedAt.toISOString(),
    body: input.body,
    url: input.url,
    remoteAddress: input.address,
  };
  const remaining = Math.max(50, ctx.t.ack - (Date.now() - started));
  try {
    const appended = await withDeadline(ctx.journal.append(entry), remaining);
    if (appended === TIMED_OUT) throw new Error(`the journal did not answer within ${remaining} ms`);
    ctx.replayDue = true;
    const durable = ctx.journal.durable;
    if (!durable)
      ctx.log.error('callback kept only in memory (the journal is not durable); answering 503', {
        callbackEventId: input.eventId,
        paymentId,
      });
    if (!durable) logRecovery(ctx, input.body, paymentId, input.eventId);
    return answer(
      durable ? 200 : 503,
      'deferred',
      durable ? 'store_unavailable' : 'store_unavailable_memory_journal',
      paymentId,
      Promise.resolve(),
    );
  } catch (error) {
    ctx.log.error('callback could not be recorded in the store or the journal', {
      callbackEventId: input.eventId,
      error,
    });
    logRecovery(ctx, input.body, paymentId, input.eventId);
    return answer(503, 'deferred', 'not_recorded', paymentId, Promise.resolve());
  }
}
