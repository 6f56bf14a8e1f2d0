import { STK_ACCOUNT_REFERENCE_MAX, STK_TRANSACTION_DESC_MAX } from '../../core/limits.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import { validateAmount, validateText } from '../../core/utils/validate.js';

// Kept apart from stk.ts, whose exports are all public (src/index.ts re-exports the whole file).

/** @internal The customer-facing fields of an STK push, typed as `StkPushParams` has them. */
export interface StkCustomerFields {
  phoneNumber: string | number;
  amount: number;
  accountReference: string;
  transactionDesc?: string | undefined;
}

/**
 * @internal
 * Validate and normalise the customer-facing fields of an STK push (phone number, amount, account
 * reference, description). Shared by `stk.push` and the payment flow, which checks them before it writes
 * the payment record.
 */
export function normalizeStkFields(params: StkCustomerFields) {
  return {
    phoneNumber: normalizePhoneNumber(params.phoneNumber, 'phoneNumber'),
    amount: validateAmount(params.amount),
    accountReference: validateText(
      'accountReference',
      params.accountReference,
      STK_ACCOUNT_REFERENCE_MAX,
      true,
    ),
    transactionDesc:
      validateText('transactionDesc', params.transactionDesc ?? 'Payment', STK_TRANSACTION_DESC_MAX, false) ||
      'Payment',
  };
}
