import { isDarajaApiError } from '../../core/errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import type { StkQueryResponse } from '../../resources/stk/stk.js';
import { type FlowContext, MINUTE } from './context.js';

/** Is this error Daraja's gateway rate-limiting us (429, spike arrest, quota)? */
function isRateLimited(error: unknown): boolean {
  if (!isDarajaApiError(error)) return false;
  const code = error.errorCode ?? '';
  return (
    error.status === 429 ||
    code === '500.003.02' ||
    code === '500.003.03' ||
    /spike ?arrest|quota violation|ratelimit/i.test(`${code} ${error.errorMessage ?? ''}`)
  );
}

/**
 * An STK query (with `requestOptions`), or `undefined` when it failed (logged). A rate-limit answer
 * pauses queries.
 */
export async function queryStatus(
  ctx: FlowContext,
  checkoutRequestId: string,
  quiet = false,
  requestOptions?: RequestOptions,
): Promise<StkQueryResponse | undefined> {
  try {
    return await ctx.o.daraja.stk.query({ checkoutRequestId: checkoutRequestId }, requestOptions);
  } catch (error) {
    if (isRateLimited(error)) {
      ctx.limiter?.block(MINUTE);
      ctx.log.warn('Daraja is rate-limiting STK queries; pausing them for a minute', {
        checkoutRequestId,
      });
    } else {
      ctx.log[quiet ? 'debug' : 'warn']('status query failed; will retry later', {
        checkoutRequestId,
        error,
      });
    }
    return undefined;
  }
}
