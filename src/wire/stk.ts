// Daraja's M-Pesa Express (STK) wire bodies: the push answer, the query answers and the callback. The
// simulator answers with them and daraja-sdk/testing builds test payloads with them, so both write the
// same shapes. Texts keep Daraja's own spelling ("successsfully"), as real answers show it.

/** @internal `ResponseDescription` and `CustomerMessage` of an accepted STK push. */
export const STK_PUSH_ACCEPTED = 'Success. Request accepted for processing';
/** @internal `ResponseDescription` of an STK query answer (Daraja's spelling, kept on purpose). */
export const STK_QUERY_ACCEPTED = 'The service request has been accepted successsfully';
/** @internal The error message of an STK query while the prompt is open. */
export const STK_QUERY_PENDING = 'The transaction is being processed';

/** @internal One `CallbackMetadata.Item`: `Name` and, except for the value-less `Balance`, `Value`. */
export interface StkCallbackItem {
  Name: string;
  Value?: string | number | undefined;
}

/** @internal What an STK callback carries. `items` only on success (result code 0). */
export interface StkCallbackFields {
  merchantRequestId: string;
  checkoutRequestId: string;
  resultCode: number | string;
  resultDesc: string | undefined;
  items?: readonly StkCallbackItem[];
}

/** @internal What a success callback's metadata holds, in Daraja's order of items. */
export interface StkSuccessFields {
  amount: number | string;
  receipt: string | undefined;
  /** The value-less `{"Name":"Balance"}` third item that real success callbacks carry. */
  balanceItem: boolean;
  transactionDate: number | string | undefined;
  /** The `PhoneNumber` item, or `undefined` to leave it out. */
  phone: StkCallbackItem | undefined;
}

/** @internal The success items: Amount, MpesaReceiptNumber, [Balance], TransactionDate, [PhoneNumber]. */
export function stkSuccessItems(f: StkSuccessFields): StkCallbackItem[] {
  const items: StkCallbackItem[] = [
    { Name: 'Amount', Value: f.amount },
    { Name: 'MpesaReceiptNumber', Value: f.receipt },
  ];
  if (f.balanceItem) items.push({ Name: 'Balance' });
  items.push({ Name: 'TransactionDate', Value: f.transactionDate });
  if (f.phone) items.push(f.phone);
  return items;
}

/** @internal `{ Body: { stkCallback } }`, with `CallbackMetadata` only when items are given. */
export function stkCallbackBody(f: StkCallbackFields): { Body: { stkCallback: Record<string, unknown> } } {
  const stkCallback: Record<string, unknown> = {
    MerchantRequestID: f.merchantRequestId,
    CheckoutRequestID: f.checkoutRequestId,
    ResultCode: f.resultCode,
    ResultDesc: f.resultDesc,
  };
  if (f.items) stkCallback['CallbackMetadata'] = { Item: f.items };
  return { Body: { stkCallback } };
}

/** @internal Daraja's answer to an accepted STK push. */
export function stkPushResponse(
  merchantRequestId: string,
  checkoutRequestId: string,
): Record<string, string> {
  return {
    MerchantRequestID: merchantRequestId,
    CheckoutRequestID: checkoutRequestId,
    ResponseCode: '0',
    ResponseDescription: STK_PUSH_ACCEPTED,
    CustomerMessage: STK_PUSH_ACCEPTED,
  };
}

/** @internal Daraja's HTTP 200 answer to an STK query that has a result (or the in-flight `4999`). */
export function stkQueryResponse(f: {
  merchantRequestId: string;
  checkoutRequestId: string;
  resultCode: string;
  resultDesc: string;
}): Record<string, string> {
  return {
    ResponseCode: '0',
    ResponseDescription: STK_QUERY_ACCEPTED,
    MerchantRequestID: f.merchantRequestId,
    CheckoutRequestID: f.checkoutRequestId,
    ResultCode: f.resultCode,
    ResultDesc: f.resultDesc,
  };
}

/** @internal Daraja's error envelope `{ requestId, errorCode, errorMessage }`. */
export function errorBody(
  requestId: string,
  errorCode: string,
  errorMessage: string,
): Record<string, string> {
  return { requestId, errorCode, errorMessage };
}

/** @internal Daraja's HTTP 500 answer to an STK query while the prompt is open. */
export function stkQueryPendingError(requestId: string): Record<string, string> {
  return errorBody(requestId, '500.001.1001', STK_QUERY_PENDING);
}
