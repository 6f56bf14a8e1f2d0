import type { ResultCodeMeaning } from '../resources/stk/result-codes.js';

/**
 * Which result-code catalogue to read a code with: `b2c` (B2C payments), `reversal`, or `generic` (the
 * ApiResult codes shared by B2B, tax, transaction status and account balance).
 */
export type ResultCatalogue = 'b2c' | 'reversal' | 'generic';

/** What an asynchronous result code means, as returned by {@link "daraja-sdk"!describeResultCode | describeResultCode}. */
export interface ApiResultCodeInfo extends ResultCodeMeaning {
  /** True only for `0`: the operation succeeded. */
  readonly success: boolean;
}

const PORTAL = ' on the M-Pesa org portal.';
const G: Record<string, string> = {
  '0': 'Processed successfully.',
  '1': 'Insufficient funds in the debit account.',
  '2': 'Declined: below the minimum transaction amount.',
  '3': 'Declined: above the maximum transaction amount.',
  '4': 'Declined: would exceed the daily transfer limit.',
  '5': 'Declined: would go below the minimum balance.',
  '6': 'Unresolved primary party.',
  '7': 'Unresolved receiver party.',
  '8': 'Declined: would exceed the maximum balance.',
  '11': 'The debit party is in an invalid state.',
  '12': 'The credit account is invalid.',
  '13': 'Unresolved debit account.',
  '14': 'Unresolved credit account.',
  '15': 'Duplicate detected.',
  '17': 'Internal failure.',
  '18': 'Initiator credential check failed: check the initiator password and certificate.',
  '19': 'Message sequencing failure.',
  '20': 'Unresolved initiator: check the initiator name.',
  '21': `The initiator lacks the permission for this party: give the API user the role${PORTAL}`,
  '22': 'The initiator may not pay the receiver party.',
  '24': 'Missing mandatory fields.',
  '25': 'Invalid request parameters.',
  '26': 'Traffic blocking: the system is busy. Try again later.',
  '29': 'Invalid command.',
  '2001':
    'The initiator information is invalid: wrong initiator name or password, or a credential made with the wrong certificate (sandbox and production differ).',
  '2006': 'Declined by an account rule or status.',
  '2028': 'Not permitted by product assignment: the shortcode is not enabled for this command.',
  '8006': `The security credential is locked: reset the initiator password${PORTAL}`,
  '100000000': 'Cached, waiting to be resent.',
  '100000001': 'The system is overloaded. Try again later.',
  '100000002': 'Throttled: slow down.',
  '100000003': 'Licence limit exceeded.',
  '100000004': 'Internal server error.',
  '100000005': 'Invalid input value.',
  '100000006': 'Service provider status abnormal.',
  '100000007': 'Authentication failed.',
  '100000008': 'Service status abnormal.',
  '100000009': 'API status abnormal.',
  '100000010': 'Insufficient permissions.',
  '100000011': 'Request rate exceeded: slow down.',
};
const pick = (...codes: string[]) => Object.fromEntries(codes.map((c) => [c, G[c]!]));

/**
 * The generic ApiResult codes of Daraja's asynchronous results (documented on the Account Balance page),
 * shared by B2B, tax remittance, transaction status and account balance. Codes 5–14 come from peer SDKs'
 * catalogues; `100000000`–`100000011` are the gateway's throttling and system codes.
 */
export const API_RESULT_CODES: Readonly<Record<string, string>> = Object.freeze(G);

/** The B2C result codes (BusinessToCustomer page); codes not listed here fall back to {@link "daraja-sdk"!API_RESULT_CODES | API_RESULT_CODES}. */
export const B2C_RESULT_CODES: Readonly<Record<string, string>> = Object.freeze({
  ...pick('0', '2', '3', '4', '8', '11', '2001', '2006', '2028', '8006'),
  '1': 'Insufficient funds in the Utility account (B2C pays from it): top it up from the Working account.',
  '21': `The initiator may not make this payment: give the API user the B2C role${PORTAL}`,
  '2040': 'The customer is not registered on M-Pesa, and this payment type needs a registered customer.',
  SFC_IC0003: 'The operator does not exist: the phone number is not an M-Pesa number.',
});

/** The reversal result codes (Reversal page); codes not listed here fall back to {@link "daraja-sdk"!API_RESULT_CODES | API_RESULT_CODES}. */
export const REVERSAL_RESULT_CODES: Readonly<Record<string, string>> = Object.freeze({
  ...pick('0', '1', '11', '2001', '2006', '2028', '8006'),
  R000001: 'The transaction was already reversed.',
  R000002: 'The OriginalTransactionID is invalid: check the transaction id (receipt).',
  '21': `The initiator may not reverse: give the API user the reversal role${PORTAL}`,
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
