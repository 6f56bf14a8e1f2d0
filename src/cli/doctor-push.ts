import type { Daraja } from '../client.js';
import {
  isDarajaApiError,
  isDarajaNetworkError,
  isDarajaNotFoundError,
  isDarajaUnknownOutcomeError,
} from '../core/errors.js';
import { sleep } from '../core/http/retry.js';
import { maskPhoneNumber, maskPhoneNumbersInText } from '../core/utils/mask.js';
import { describeError } from './context.js';
import { errorLine, fixFor } from './doctor-checks.js';
import type { ConfigInspection } from './doctor-config.js';
import { type CheckReport, DOCTOR_DEFAULTS, type PushReport } from './doctor-report.js';

/** @internal What `--push` sends, and how long it waits. */
export interface PushArgs {
  /** The normalised phone number to push to. */
  phone: string;
  /** The CallBackURL to send. */
  callbackUrl: string;
  /** Shillings to request. */
  amount: number;
  /** How long to wait for the final status, in ms. */
  timeoutMs: number;
  /** Delay between two status queries, in ms. */
  intervalMs: number;
}

type Say = (line?: string) => void;

/** What to do after each final STK result code; the rest get the catalogue's meaning. */
const RESULT_FIXES: Readonly<Record<string, string>> = {
  '1': 'The customer has too little on M-Pesa (including Fuliza). Top up, or use a smaller --amount.',
  '17': 'The same amount went to the same customer within 2 minutes. Wait 2 minutes, or change --amount.',
  '1019': 'The transaction expired before it was processed. Try again.',
  '1025': 'The prompt text was too long. Shorten the account reference.',
  '1032': 'The prompt was cancelled on the phone. Try again and enter the PIN.',
  '1037':
    'No answer from the phone: it was off, unreachable, or nobody entered the PIN in time (about a minute). In the sandbox nobody answers the prompt, so 1037 is the usual result there.',
  '2001': 'The wrong M-Pesa PIN was entered. Try again.',
  '2028':
    'Check the transaction type and PartyB: a PayBill shortcode with CustomerPayBillOnline, or a till (MPESA_TILL_NUMBER) with CustomerBuyGoodsOnline.',
  SFC_IC0003:
    'Check the transaction type and PartyB: a PayBill shortcode with CustomerPayBillOnline, or a till (MPESA_TILL_NUMBER) with CustomerBuyGoodsOnline.',
};

/** @internal A duration as doctor prints it: `800 ms`, `3 s`, `1.5 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/**
 * What to do after a failed status query: ask again (with the delay to wait, and the line to print), or
 * stop (undefined).
 */
function afterQueryError(error: unknown, interval: number): { interval: number; note: string } | undefined {
  const api = isDarajaApiError(error) ? error : undefined;
  if (isDarajaNotFoundError(error)) {
    return { interval, note: 'Daraja does not know the CheckoutRequestID yet; asking again' };
  }
  if (api && /^500\.003\.0[23]$/.test(api.errorCode ?? '')) {
    const slower = Math.min(interval * 2, 30_000);
    return { interval: slower, note: `rate-limited (${api.errorCode}); slowing down to ${formatMs(slower)}` };
  }
  if (
    isDarajaNetworkError(error) ||
    (api && api.name !== 'DarajaAuthError' && api.status >= 500 && api.errorCode === undefined)
  ) {
    return { interval, note: `no answer (${describeError(error).class}); asking again` };
  }
  return undefined;
}

/**
 * Query the push until its status is final, `args.timeoutMs` has passed since `acceptedAt`, or a query
 * fails in a way that asking again will not fix. Fills in `push`.
 */
async function waitForFinalStatus(
  daraja: Daraja,
  checkoutRequestId: string,
  args: PushArgs,
  push: PushReport,
  say: Say,
  acceptedAt: number,
): Promise<{ stopError?: unknown; lastError?: unknown }> {
  const deadline = acceptedAt + args.timeoutMs;
  let interval = args.intervalMs;
  let lastError: unknown;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { lastError };
    await sleep(Math.min(interval, remaining));
    push.queries += 1;
    const elapsed = () => formatMs(Date.now() - acceptedAt);
    try {
      const result = await daraja.stk.query(
        { checkoutRequestId: checkoutRequestId },
        {
          timeoutMs: Math.max(1_000, Math.min(DOCTOR_DEFAULTS.requestTimeoutMs, deadline - Date.now())),
        },
      );
      lastError = undefined;
      if (result.status !== 'pending') {
        push.status = result.status;
        if (result.resultCode !== undefined) push.resultCode = result.resultCode;
        push.resultDesc = result.resultDesc;
        push.meaning = result.meaning;
        return {};
      }
      say(`           ${elapsed()}: ${result.resultDesc}`);
    } catch (error) {
      lastError = error;
      const next = afterQueryError(error, interval);
      if (next === undefined) return { stopError: error };
      interval = next.interval;
      say(`           ${elapsed()}: ${next.note}`);
    }
  }
}

/** The check once the wait is over: the final status, the give-up, or the query that failed. */
function finalCheck(
  push: PushReport,
  args: PushArgs,
  target: Pick<ConfigInspection, 'baseUrl' | 'local'>,
  waited: { stopError?: unknown; lastError?: unknown },
  id: string,
): CheckReport {
  if (waited.stopError !== undefined) {
    return {
      name: 'stk-push',
      status: 'failed',
      message: `the status query failed: ${errorLine(waited.stopError)} (${id})`,
      fix: fixFor(waited.stopError, target),
      error: describeError(waited.stopError),
      durationMs: push.waitedMs,
    };
  }
  if (push.status === 'pending') {
    return {
      name: 'stk-push',
      status: 'failed',
      message: `no final status within ${formatMs(args.timeoutMs)} (${push.queries} queries; ${id})${waited.lastError ? `; last error: ${describeError(waited.lastError).class}` : ''}`,
      fix: 'The prompt may still be answered. Query it later (daraja.stk.query) or wait for the callback, and raise --timeout-ms.',
      durationMs: push.waitedMs,
    };
  }
  const outcome = `${push.status}: ResultCode ${push.resultCode ?? '?'}, ${push.resultDesc} (${id}, after ${formatMs(push.waitedMs)})`;
  if (push.status === 'completed')
    return { name: 'stk-push', status: 'ok', message: outcome, durationMs: push.waitedMs };
  return {
    name: 'stk-push',
    status: 'failed',
    message: outcome,
    fix: RESULT_FIXES[push.resultCode ?? ''] ?? push.meaning ?? 'The payment did not complete.',
    durationMs: push.waitedMs,
  };
}

/**
 * @internal
 * The test push: send an STK push, then query it until its status is final. Fills in `push` and prints
 * its progress with `say`; never sends a second push.
 */
export async function pushCheck(
  daraja: Daraja,
  args: PushArgs,
  target: Pick<ConfigInspection, 'baseUrl' | 'local'>,
  push: PushReport,
  say: Say,
): Promise<CheckReport> {
  let accepted: Awaited<ReturnType<Daraja['stk']['push']>>;
  const started = Date.now();
  try {
    accepted = await daraja.stk.push({
      phoneNumber: args.phone,
      amount: args.amount,
      accountReference: DOCTOR_DEFAULTS.accountReference,
      transactionDesc: DOCTOR_DEFAULTS.transactionDesc,
      callbackUrl: args.callbackUrl,
    });
  } catch (error) {
    const unknown = isDarajaUnknownOutcomeError(error);
    if (unknown) push.status = 'unknown';
    return {
      name: 'stk-push',
      status: 'failed',
      message: `${unknown ? 'outcome unknown' : 'rejected'}: ${errorLine(error)}`,
      fix: fixFor(error, target),
      error: describeError(error),
      durationMs: Date.now() - started,
    };
  }
  push.checkoutRequestId = accepted.checkoutRequestId;
  push.merchantRequestId = accepted.merchantRequestId;
  push.status = 'pending';
  const id = `CheckoutRequestID ${maskPhoneNumbersInText(accepted.checkoutRequestId)}`;
  say(
    `  ...      stk-push: accepted, ${args.amount} KES requested from ${maskPhoneNumber(accepted.phoneNumber)} (${id})`,
  );
  say(
    `           waiting for the final status: a query every ${formatMs(args.intervalMs)}, for up to ${formatMs(args.timeoutMs)}`,
  );
  const acceptedAt = Date.now();
  const waited = await waitForFinalStatus(daraja, accepted.checkoutRequestId, args, push, say, acceptedAt);
  push.waitedMs = Date.now() - acceptedAt;
  return finalCheck(push, args, target, waited, id);
}
