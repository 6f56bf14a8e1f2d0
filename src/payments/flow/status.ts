import type { RequestOptions } from '../../core/http/transport.js';
import { hasControlCharacter } from '../../core/utils/validate.js';
import type { Payment } from '../types.js';
import { type FlowContext, PAYMENT_ID } from './context.js';
import { fulfil } from './fulfil.js';
import { queryStatus } from './query.js';
import { settleFromQuery } from './settle.js';

/**
 * {@link PaymentFlow.checkStatus}: the owner's payment; while open, a throttled STK query (within the
 * budget, with `requestOptions`) settles a missed callback; a completed payment whose fulfilment failed
 * is fulfilled again.
 */
export async function checkStatus(
  ctx: FlowContext,
  paymentId: string,
  options: { ownerId: string },
  requestOptions?: RequestOptions,
): Promise<Payment | undefined> {
  if (typeof paymentId !== 'string' || !PAYMENT_ID.test(paymentId)) return undefined;
  const ownerId = options?.ownerId;
  if (typeof ownerId !== 'string' || hasControlCharacter(ownerId)) return undefined;
  const payment = await ctx.store.get(paymentId);
  if (!payment || payment.ownerId !== ownerId) return undefined;
  const open = payment.status === 'pending' || (!payment.final && payment.settledBy === 'give-up');
  if (open && payment.checkoutRequestId !== null) {
    const last = ctx.lastQuery.get(payment.id) ?? 0;
    const now = ctx.now().getTime();
    if (now - last >= ctx.t.statusQuery && (!ctx.limiter || ctx.limiter.tryTake())) {
      ctx.lastQuery.set(payment.id, now);
      trimQueryMemory(ctx);
      const result = await queryStatus(ctx, payment.checkoutRequestId, false, requestOptions);
      if (!result?.final) return payment; // nothing changed here: no second read
      await settleFromQuery(ctx, payment.id, result, 'query');
    } else return payment;
  } else if (payment.status === 'completed' && payment.fulfilledAt === null) {
    await fulfil(ctx, payment.id); // repair a fulfilment that failed earlier
  } else return payment;
  return (await ctx.store.get(paymentId)) ?? payment;
}

function trimQueryMemory(ctx: FlowContext): void {
  if (ctx.lastQuery.size <= 10_000) return;
  const oldest = ctx.lastQuery.keys().next().value;
  if (oldest !== undefined) ctx.lastQuery.delete(oldest);
}
