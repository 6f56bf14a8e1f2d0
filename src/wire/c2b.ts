// Daraja's C2B validation and confirmation payload: every value a string.

/** @internal What a C2B validation or confirmation carries. */
export interface C2bPayloadFields {
  /** `Pay Bill` or `Buy Goods`. */
  transactionType: string;
  transId: string;
  /** `YYYYMMDDHHmmss`, Nairobi time. */
  transTime: string;
  amount: number;
  shortcode: string;
  billRefNumber: string;
  /** The organisation's balance after the payment; blank in validation requests. */
  orgAccountBalance: number | undefined;
  thirdPartyTransId: string | undefined;
  /** The payer's number as the payload carries it (masked or hashed). */
  msisdn: string;
  firstName: string;
  middleName: string;
  lastName: string;
}

/** @internal Amounts as Daraja writes them in C2B payloads and balance strings: two decimals. */
export const money = (n: number): string => n.toFixed(2);

/** @internal The C2B validation or confirmation payload. */
export function c2bPayload(f: C2bPayloadFields): Record<string, string> {
  return {
    TransactionType: f.transactionType,
    TransID: f.transId,
    TransTime: f.transTime,
    TransAmount: money(f.amount),
    BusinessShortCode: f.shortcode,
    BillRefNumber: f.billRefNumber,
    InvoiceNumber: '',
    OrgAccountBalance: f.orgAccountBalance === undefined ? '' : money(f.orgAccountBalance),
    ThirdPartyTransID: f.thirdPartyTransId ?? '',
    MSISDN: f.msisdn,
    FirstName: f.firstName,
    MiddleName: f.middleName,
    LastName: f.lastName,
  };
}
