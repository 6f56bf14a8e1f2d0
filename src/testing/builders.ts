import { randomBytes } from 'node:crypto';
import {
  stkCallbackBody,
  stkPushResponse,
  stkQueryPendingError,
  stkQueryResponse,
  stkSuccessItems,
} from '../wire/stk.js';
import { nairobiTimestamp } from '../wire/time.js';

/** Options of {@link buildStkCallback}. */
export interface StkCallbackFixture {
  /** The `CheckoutRequestID` of the push. */
  checkoutRequestId: string;
  /** @defaultValue a generated id */
  merchantRequestId?: string;
  /** `0` for success; `1032`, `1037`, `1`, `2001`… otherwise. @defaultValue 0 */
  resultCode?: number | string;
  /** @defaultValue Daraja's text for the common codes */
  resultDesc?: string;
  /** Success only. @defaultValue 1 */
  amount?: number | string;
  /** Success only. @defaultValue a random receipt such as `NLJ7RT61SV` */
  mpesaReceiptNumber?: string;
  /** Success only: a `Date` (formatted in Nairobi time) or the raw number. @defaultValue now */
  transactionDate?: Date | number | string;
  /** Success only: a number (as Daraja sends), or a masked / hashed string. @defaultValue 254708374149 */
  phoneNumber?: number | string;
  /** Success only: add the `{"Name":"Balance"}` item without a `Value`, as some real callbacks do. */
  withBalanceItem?: boolean;
}

const DESCRIPTIONS: Record<string, string> = {
  '0': 'The service request is processed successfully.',
  '1': 'The balance is insufficient for the transaction.',
  '1032': 'Request cancelled by user',
  '1037': 'DS timeout user cannot be reached',
  '2001': 'The initiator information is invalid.',
};

/** A random M-Pesa-like receipt number: 10 upper-case letters and digits. */
export function fakeReceiptNumber(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(10), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Build an STK callback body exactly as Daraja sends it (the shape of `src/wire/stk.ts`), for tests.
 *
 * @example
 * ```ts
 * const body = buildStkCallback({ checkoutRequestId: 'ws_CO_1', amount: 500, phoneNumber: 254712345678 });
 * await flow.handleCallback({ body, url, remoteAddress: '196.201.214.200' });
 * ```
 */
export function buildStkCallback(o: StkCallbackFixture): Record<string, unknown> {
  const code = o.resultCode ?? 0;
  const success = String(code) === '0';
  const date =
    o.transactionDate instanceof Date || o.transactionDate === undefined
      ? Number(nairobiTimestamp(o.transactionDate ?? new Date()))
      : o.transactionDate;
  return stkCallbackBody({
    merchantRequestId:
      o.merchantRequestId ?? `${randomBytes(2).readUInt16BE()}-${randomBytes(4).readUInt32BE()}-1`,
    checkoutRequestId: o.checkoutRequestId,
    resultCode: code,
    resultDesc: o.resultDesc ?? DESCRIPTIONS[String(code)] ?? 'The transaction failed.',
    ...(success && {
      items: stkSuccessItems({
        amount: o.amount ?? 1,
        receipt: o.mpesaReceiptNumber ?? fakeReceiptNumber(),
        balanceItem: o.withBalanceItem === true,
        transactionDate: date,
        phone: { Name: 'PhoneNumber', Value: o.phoneNumber ?? 254708374149 },
      }),
    }),
  });
}

/** Daraja's answer to an accepted STK push, for tests. */
export function buildStkPushResponse(
  checkoutRequestId: string,
  merchantRequestId = `${Date.now()}-1`,
): Record<string, string> {
  return stkPushResponse(merchantRequestId, checkoutRequestId);
}

/** Daraja's answer to an STK query with a final result (HTTP 200), for tests. */
export function buildStkQueryResponse(
  checkoutRequestId: string,
  resultCode: number | string,
): Record<string, string> {
  return stkQueryResponse({
    merchantRequestId: `${Date.now()}-1`,
    checkoutRequestId,
    resultCode: String(resultCode),
    resultDesc: DESCRIPTIONS[String(resultCode)] ?? 'The transaction failed.',
  });
}

/** Daraja's HTTP 500 answer to an STK query while the prompt is still open, for tests. */
export function buildStkQueryPendingError(checkoutRequestId: string): Record<string, string> {
  return stkQueryPendingError(checkoutRequestId);
}
