/**
 * Which result-code catalogue to read a code with: `b2c` (B2C payments), `reversal`, or `generic` (the
 * ApiResult codes shared by B2B, tax, transaction status and account balance).
 */
export type ResultCatalogue = 'b2c' | 'reversal' | 'generic';

/** What an asynchronous result code means, as returned by {@link describeResultCode}. */
export interface ApiResultCodeInfo {
  /** The code as a string (Daraja sends numbers, strings and codes such as `R000002`). */
  readonly code: string;
  /** True only for `0`: the operation succeeded. */
  readonly success: boolean;
  /** False when the code is in no catalogue: `meaning` then says so and `code` keeps the raw value. */
  readonly known: boolean;
  /** What the code means, in plain words, with what to do where that is known. */
  readonly meaning: string;
}

const INITIATOR_INVALID =
  'The initiator information is invalid: a wrong initiator name or password, or a security credential encrypted with the wrong certificate (sandbox and production certificates differ).';

/**
 * The generic ApiResult codes of Daraja's asynchronous results (documented on the Account Balance page),
 * shared by B2B, tax remittance, transaction status and account balance. Codes 5–14 come from peer SDKs'
 * catalogues; `100000000`–`100000011` are the gateway's throttling and system codes.
 */
export const API_RESULT_CODES: Readonly<Record<string, string>> = Object.freeze({
  '0': 'The service request was processed successfully.',
  '1': 'Insufficient funds in the debit account.',
  '2': 'Declined: the amount is below the minimum transaction value.',
  '3': 'Declined: the amount is above the maximum transaction value.',
  '4': 'Declined: it would exceed the daily transfer limit.',
  '5': 'Declined: it would take the account below its minimum balance.',
  '6': 'Unresolved primary party.',
  '7': 'Unresolved receiver party.',
  '8': 'Declined: it would exceed the maximum account balance.',
  '11': 'The debit party is in an invalid state.',
  '12': 'The credit account is invalid.',
  '13': 'Unresolved debit account.',
  '14': 'Unresolved credit account.',
  '15': 'Duplicate detected.',
  '17': 'Internal failure.',
  '18': 'Initiator credential check failure: check the initiator password and certificate.',
  '19': 'Message sequencing failure.',
  '20': 'Unresolved initiator: check the initiator name.',
  '21': 'The initiator is not allowed to act for the primary party: give the API user the role on the M-Pesa org portal.',
  '22': 'The initiator is not allowed to pay the receiver party.',
  '24': 'Missing mandatory fields.',
  '25': 'Invalid request parameters.',
  '26': 'Traffic blocking: the system is busy. Try again later.',
  '29': 'Invalid command.',
  '2001': INITIATOR_INVALID,
  '8006': 'The security credential is locked: reset the initiator password on the M-Pesa org portal.',
  '100000000': 'The request was cached and is waiting to be resent.',
  '100000001': 'The system is overloaded. Try again later.',
  '100000002': 'Throttling error: slow down.',
  '100000003': 'The limit of the licence was exceeded.',
  '100000004': 'Internal server error.',
  '100000005': 'Invalid input value.',
  '100000006': "The service provider's status is abnormal.",
  '100000007': 'Authentication failed.',
  '100000008': "The service's status is abnormal.",
  '100000009': "The API's status is abnormal.",
  '100000010': 'Insufficient permissions.',
  '100000011': 'The request rate limit was exceeded: slow down.',
});

/** The B2C result codes (BusinessToCustomer page); codes not listed here fall back to {@link API_RESULT_CODES}. */
export const B2C_RESULT_CODES: Readonly<Record<string, string>> = Object.freeze({
  '0': 'The payment was processed successfully.',
  '1': 'Insufficient funds in the Utility account (B2C pays from it). Top it up from the Working account.',
  '2': 'Declined: the amount is below the minimum B2C amount.',
  '3': 'Declined: the amount is above the maximum B2C amount.',
  '4': 'Declined: it would exceed the daily transfer limit.',
  '8': "Declined: it would exceed the customer's maximum balance.",
  '11': 'The debit party (your shortcode) is in an invalid state.',
  '21': 'The initiator is not allowed to make this payment: give the API user the B2C role on the M-Pesa org portal.',
  '2001': INITIATOR_INVALID,
  '2006': 'Declined by an account rule or the account status.',
  '2028': 'Not permitted by product assignment: the shortcode is not enabled for this command id.',
  '2040':
    'The customer is not registered on M-Pesa, and this payment type does not support unregistered customers.',
  '8006': 'The security credential is locked: reset the initiator password on the M-Pesa org portal.',
  SFC_IC0003: 'The operator does not exist: the phone number is not an M-Pesa number.',
});

/** The reversal result codes (Reversal page); codes not listed here fall back to {@link API_RESULT_CODES}. */
export const REVERSAL_RESULT_CODES: Readonly<Record<string, string>> = Object.freeze({
  '0': 'The reversal was processed successfully.',
  R000001: 'The transaction was already reversed.',
  R000002: 'The OriginalTransactionID is invalid: check the transaction id (receipt).',
  '1': 'Insufficient funds to reverse the transaction.',
  '11': 'The debit party is in an invalid state.',
  '21': 'The initiator is not allowed to reverse: give the API user the reversal role on the M-Pesa org portal.',
  '2001': INITIATOR_INVALID,
  '2006': 'Declined by an account rule or the account status.',
  '2028': 'Not permitted by product assignment.',
  '8006': 'The security credential is locked: reset the initiator password on the M-Pesa org portal.',
});

const CATALOGUES = { b2c: B2C_RESULT_CODES, reversal: REVERSAL_RESULT_CODES, generic: API_RESULT_CODES };

/**
 * Look up an asynchronous result code (B2C, B2B, tax, transaction status, balance, reversal). The
 * operation's own catalogue is read first, then the generic one. Unknown codes keep their raw value.
 *
 * @param code - `ResultCode` as sent: `0`, `"2001"`, `"R000002"`…
 * @param catalogue - Which operation the result came from. @defaultValue `'generic'`
 * @returns The code's meaning and whether it is a success.
 *
 * @example
 * ```ts
 * describeResultCode('R000001', 'reversal').meaning; // 'The transaction was already reversed.'
 * describeResultCode(2001, 'b2c').meaning; // 'The initiator information is invalid: …'
 * describeResultCode('X42'); // { code: 'X42', known: false, success: false, … }
 * ```
 */
export function describeResultCode(
  code: string | number,
  catalogue: ResultCatalogue = 'generic',
): ApiResultCodeInfo {
  const key = String(code).trim();
  const own = CATALOGUES[catalogue] ?? API_RESULT_CODES;
  const meaning = Object.hasOwn(own, key)
    ? own[key]
    : Object.hasOwn(API_RESULT_CODES, key)
      ? API_RESULT_CODES[key]
      : undefined;
  return {
    code: key,
    success: key === '0',
    known: meaning !== undefined,
    meaning: meaning ?? `Unknown result code ${key}; see ResultDesc.`,
  };
}
