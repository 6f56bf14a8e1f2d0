// The `ResultDesc` texts the simulator sends, for the codes it emits. Its own table, written from what
// Daraja was seen to send, not the SDK's catalogues (an oracle must not share what it checks). A code
// with no text here gets a plain "failed" text; a test that cares passes its own `resultDesc`.

/** STK result codes and the `ResultDesc` Daraja sends with them. */
const STK_TEXTS: Readonly<Record<string, string>> = {
  '0': 'The service request is processed successfully.',
  '1': 'The balance is insufficient for the transaction.',
  '17': 'Rule limited.',
  '26': 'System busy. Try again later.',
  '1001': 'Unable to lock subscriber, a transaction is already in process for the current subscriber',
  '1019': 'Transaction has expired',
  '1025': 'An error occurred while sending a push request',
  '1032': 'Request cancelled by user',
  '1036': 'SMSC ACK timeout.',
  '1037': 'DS timeout user cannot be reached',
  '2001': 'The initiator information is invalid.',
  '2028': 'The request is not permitted according to product assignment',
  '4999': 'The transaction is still under processing',
  '8006': 'The security credential is locked',
  '9999': 'An error occurred while sending a push request',
};

/** Initiator result codes (B2C, B2B, tax, status, balance, reversal) and their `ResultDesc`. */
const RESULT_TEXTS: Readonly<Record<string, string>> = {
  '0': 'The service request is processed successfully.',
  '1': 'The balance is insufficient for the transaction.',
  '2': 'Declined due to limit rule: less than the minimum transaction amount.',
  '3': 'Declined due to limit rule: greater than the maximum transaction amount.',
  '4': 'Declined due to limit rule: would exceed daily transfer limit.',
  '8': 'Declined due to limit rule: would exceed the maximum balance.',
  '11': 'The DebitParty is in an invalid state.',
  '15': 'Duplicate detected.',
  '17': 'Internal failure.',
  '21': 'The initiator is not allowed to initiate this request.',
  '26': 'System is busy. Please try again later.',
  '2001': 'The initiator information is invalid.',
  '2006': 'Declined due to account rule: the account status does not allow this transaction.',
  '2028': 'Not permitted by product assignment.',
  '2040':
    "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
  '8006': 'The security credential is locked.',
  R000001: 'The transaction has already been reversed.',
  R000002: 'The OriginalTransactionID is invalid.',
  SFC_IC0003: 'Operator does not exist.',
};

/** @internal The `ResultDesc` of an STK result code. */
export function stkResultText(code: number | string): string {
  return textOf(STK_TEXTS, code) ?? 'The transaction failed.';
}

/** @internal The `ResultDesc` of an initiator result code. */
export function resultText(code: number | string): string {
  return textOf(RESULT_TEXTS, code) ?? 'The service request failed.';
}

function textOf(table: Readonly<Record<string, string>>, code: number | string): string | undefined {
  const key = String(code).trim();
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
