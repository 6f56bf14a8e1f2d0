import { stkCallbackBody, stkQueryResponse, stkSuccessItems } from '../wire/stk.js';
import type { SimulatedStkTransaction } from './outcomes.js';
import { callbackPhoneNumberItem } from './quirk-answers.js';
import type { CallbackPhoneNumberForm, StkQueryQuirkName } from './quirks.js';
import { errorEnvelope, ok, type RouteResponse } from './routes.js';

// The bodies of STK push and query: the query answers (documented and quirky) and the callback.

/** @internal The HTTP 200 answer of a query, with this result. */
export function queryAnswer(state: SimulatedStkTransaction, resultCode: string, resultDesc: string) {
  return stkQueryResponse({
    merchantRequestId: state.merchantRequestId,
    checkoutRequestId: state.checkoutRequestId,
    resultCode,
    resultDesc,
  });
}

/** @internal The answer of an STK query quirk (Daraja's undocumented in-flight answers): none of them is final. */
export function quirkAnswer(quirk: StkQueryQuirkName, state: SimulatedStkTransaction): RouteResponse {
  switch (quirk) {
    case 'stillProcessing':
      return ok(queryAnswer(state, '4999', 'The transaction is still under processing'));
    case 'emptyErrorMessage':
      return { ...errorEnvelope(500, '500.001.1001', ''), status: 200 };
    case 'invalidCheckoutRequestId':
      return errorEnvelope(400, '400.002.02', 'Bad Request - Invalid CheckoutRequestID');
    default:
      return errorEnvelope(500, '500.001.1001', '');
  }
}

/**
 * @internal
 * Daraja's STK callback body; `CallbackMetadata` only on success, values typed as Daraja sends them,
 * with the value-less `Balance` item third when `balanceItem` is on, and the payer's number in `phoneForm`.
 */
export function callbackBody(
  state: SimulatedStkTransaction,
  balanceItem: boolean,
  phoneForm: CallbackPhoneNumberForm,
): unknown {
  return stkCallbackBody({
    merchantRequestId: state.merchantRequestId,
    checkoutRequestId: state.checkoutRequestId,
    resultCode: state.resultCode!,
    resultDesc: state.resultDesc,
    ...(state.resultCode === 0 && {
      items: stkSuccessItems({
        amount: state.amount,
        receipt: state.receiptNumber,
        balanceItem,
        transactionDate: state.transactionDate,
        phone: callbackPhoneNumberItem(phoneForm, state.phoneNumber),
      }),
    }),
  });
}
