// Daraja's limits and fixed values in one place: amount limits, field maxima, command ids, identifier
// types, and the SDK's own bound on a callback body. The resources check parameters against them (through
// `utils/validate.ts`); the public entry re-exports them under their names.

/** Smallest STK push amount Daraja accepts, in shillings. */
export const STK_MIN_AMOUNT = 1;
/** Largest amount of a single M-Pesa transaction, in shillings. */
export const STK_MAX_AMOUNT = 250_000;
/** Longest `AccountReference` Daraja accepts. */
export const STK_ACCOUNT_REFERENCE_MAX = 12;
/** Longest `TransactionDesc` Daraja accepts. */
export const STK_TRANSACTION_DESC_MAX = 13;
/** Largest single B2C payment, in shillings (M-Pesa's per-transaction limit). */
export const B2C_MAX_AMOUNT = 250_000;
/**
 * Smallest Business to Pochi payment, in shillings. Safaricom's Business to Pochi FAQ (10) states a KES 10
 * minimum and a KES 250,000 maximum ({@link B2C_MAX_AMOUNT}) per transaction; both are from the portal's
 * text, not seen enforced by Daraja.
 */
export const POCHI_MIN_AMOUNT = 10;
/** Longest C2B `BillRefNumber` (the account number a customer types). */
export const C2B_BILL_REF_MAX = 20;
/** Longest B2B `AccountReference` Daraja accepts. */
export const B2B_ACCOUNT_REFERENCE_MAX = 13;
/** Longest `Remarks` and `Occasion` Daraja accepts. */
export const REMARKS_MAX = 100;
/** KRA's shortcode, the `PartyB` of a tax remittance. */
export const KRA_SHORTCODE = '572572';
/**
 * The largest callback body the SDK reads: 64 KiB (65,536). Daraja's bodies are a few kilobytes. The
 * web-standard handlers answer a body of more bytes 413 without reading the rest; `parseStkCallback` and
 * `parseB2bExpressResult` refuse body text of more characters with a `DarajaCallbackError` (`too_large`);
 * the payment flow keeps a longer body for audit as its text, truncated to this many characters.
 */
export const CALLBACK_BODY_MAX_BYTES = 64 * 1024;

/** Lipa na M-Pesa transaction types: PayBill or Buy Goods (till). */
export type StkTransactionType = 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
/** Every {@link StkTransactionType}. */
export const STK_TRANSACTION_TYPES: readonly StkTransactionType[] = [
  'CustomerPayBillOnline',
  'CustomerBuyGoodsOnline',
];

/** C2B transaction types: a PayBill or a till (Buy Goods) payment. */
export type C2bCommandId = 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
/** What M-Pesa does when your validation URL does not answer in time (about 8 s). */
export type C2bResponseType = 'Completed' | 'Cancelled';
/** The C2B API version: v1 callbacks carry a hashed MSISDN, v2 a masked one. */
export type C2bApiVersion = 'v1' | 'v2';

/** B2C command ids: what kind of payment to send. */
export type B2cCommandId = 'BusinessPayment' | 'SalaryPayment' | 'PromotionPayment';
/** Every {@link B2cCommandId}. */
export const B2C_COMMAND_IDS: readonly B2cCommandId[] = [
  'BusinessPayment',
  'SalaryPayment',
  'PromotionPayment',
];

/**
 * Daraja identifier types: what kind of party a shortcode or number is. `'1'` MSISDN (phone number),
 * `'2'` till number, `'4'` organisation shortcode (PayBill), `'11'` the reversal receiver type.
 */
export type IdentifierType = '1' | '2' | '4' | '11';
/** The {@link IdentifierType}s by name. */
export const IDENTIFIER_TYPES = Object.freeze({
  /** A phone number. */
  msisdn: '1',
  /** A till number. */
  till: '2',
  /** An organisation shortcode (PayBill). */
  shortcode: '4',
  /** The receiver type Daraja documents for reversals. */
  reversal: '11',
} as const);
/** Every {@link IdentifierType}, the reversal's `'11'` included. */
export const ALL_IDENTIFIER_TYPES: readonly IdentifierType[] = ['1', '2', '4', '11'];

/**
 * Dynamic QR transaction codes: `BG` buy goods (till), `WA` agent withdrawal, `PB` PayBill, `SM` send
 * money to a phone number, `SB` send to a business.
 */
export type QrTransactionCode = 'BG' | 'WA' | 'PB' | 'SM' | 'SB';
/** Every {@link QrTransactionCode}. */
export const QR_TRANSACTION_CODES: readonly QrTransactionCode[] = ['BG', 'WA', 'PB', 'SM', 'SB'];

/**
 * Most invoices in one Bill Manager `bulk-invoicing` call (its body is a top-level array). The portal's
 * Bill Manager page states it; the SDK applies the same cap to `cancel-bulk-invoices`, for which no limit
 * is documented.
 */
export const BILL_MANAGER_BULK_MAX = 1000;
/**
 * The header Bill Manager's app key is sent in by default. The portal says only "in the Header"; this is
 * the opt-in answer's field name and what the KEPAS TypeScript SDK sends. Other SDKs send `appKey`: set
 * `billManager.appKeyHeader` to switch. Unverified: no source has a successful live call.
 */
export const BILL_MANAGER_APP_KEY_HEADER = 'app_key';
/**
 * The path prefix of every Bill Manager endpoint, as the Daraja portal prints it. Safaricom's go-live email
 * of 2026-09-16 lists production paths with the prefix doubled (`/v1/billmanager-invoice/v1/billmanager-invoice/`):
 * set `billManager.pathPrefix` to that if production answers 404 on the documented path.
 */
export const BILL_MANAGER_PATH_PREFIX = '/v1/billmanager-invoice/';
