// The request bodies of Bill Manager, built from checked parameters with the wire names of the portal's
// samples (lowercase `shortcode` and `callbackurl`, amounts as strings of whole shillings, dates as
// `YYYY-MM-DD`, phone numbers in the `07…` form). Reference: the Bill Manager section of
// docs/bill-manager.md. Every checker throws a DarajaValidationError naming the field before anything is sent.
import { BILL_MANAGER_BULK_MAX } from '../../core/limits.js';
import { tryNormalizePhoneNumber } from '../../core/utils/phone.js';
import {
  digitsField,
  invalid,
  matching,
  requireParams,
  text,
  urlField,
  wholeShillings,
} from '../../core/utils/validate.js';
import type {
  BillManagerInvoice,
  BillManagerOptInParams,
  BillManagerPaymentAck,
  BillManagerUpdateOptInParams,
} from './types.js';

/** Longest free text the SDK sends in a Bill Manager field; Daraja documents no maximum. */
const TEXT_MAX = 100;
const NAIROBI_OFFSET_MS = 3 * 60 * 60 * 1000;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** @internal Where a body is checked against: the client's defaults. */
export interface FieldContext {
  /** The client's shortcode, the default of `shortcode`. */
  shortcode: string | undefined;
  production: boolean;
  darajaHost: boolean;
}

const plain = (field: string, value: unknown, purpose: string, max = TEXT_MAX) =>
  text(field, value, { min: 1, max, plain: { purpose } });

/** A Kenyan mobile number in the samples' `07…` / `01…` form. */
function localPhone(field: string, value: unknown): string {
  const normalized = tryNormalizePhoneNumber(value);
  if (normalized === undefined)
    invalid(
      field,
      'must be a Kenyan mobile number, e.g. 07XXXXXXXX or 2547XXXXXXXX; it is sent as 07XXXXXXXX.',
    );
  return `0${normalized.slice(3)}`;
}

/** @internal A `Date` (its Nairobi day) or a `YYYY-MM-DD` string, as `YYYY-MM-DD`. */
export function dayField(field: string, value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) invalid(field, 'is an invalid Date.');
    return new Date(value.getTime() + NAIROBI_OFFSET_MS).toISOString().slice(0, 10);
  }
  const day = matching(
    field,
    value,
    /^\d{4}-\d{2}-\d{2}$/,
    'must be a Date or a "YYYY-MM-DD" string, e.g. "2021-10-12".',
  );
  const parsed = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day)
    invalid(field, `"${day}" is not a calendar date; use "YYYY-MM-DD", e.g. "2021-10-12".`);
  return day;
}

/** The billed period: a `Date` as `Month YYYY` (`August 2021`), or the text given. */
function periodField(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) invalid('billedPeriod', 'is an invalid Date.');
    const d = new Date(value.getTime() + NAIROBI_OFFSET_MS);
    return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  }
  return plain('billedPeriod', value, 'the period billed, e.g. "August 2021"', 50);
}

const shillings = (field: string, value: unknown, min = 1) =>
  String(wholeShillings(field, value, Number.MAX_SAFE_INTEGER, min));

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The fields opt-in and its update share, in the samples' order. */
function billerFields(p: BillManagerOptInParams | BillManagerUpdateOptInParams, ctx: FieldContext) {
  const shortcode = p.shortcode ?? ctx.shortcode;
  if (shortcode === undefined)
    invalid('shortcode', 'is required: pass `shortcode`, or set it on new Daraja() (MPESA_SHORTCODE).');
  const contact = tryNormalizePhoneNumber(p.officialContact);
  return {
    shortcode: digitsField('shortcode', shortcode, 5, 7, 'your PayBill or till number'),
    email: matching(
      'email',
      typeof p.email === 'string' ? p.email.trim() : p.email,
      EMAIL,
      'must be an email address, shown on invoices and receipts.',
    ),
    officialContact:
      contact === undefined
        ? digitsField('officialContact', p.officialContact, 9, 12, 'the phone number shown on invoices')
        : `0${contact.slice(3)}`,
  };
}

function reminders(value: unknown): boolean {
  if (typeof value !== 'boolean')
    invalid(
      'sendReminders',
      'must be true or false (SMS reminders 7 and 3 days before, and on, the due date).',
    );
  return value;
}

const logoField = (value: unknown) =>
  value === undefined ? {} : { logo: text('logo', value, { min: 1, max: Number.MAX_SAFE_INTEGER }) };

/** @internal The `optin` body: `sendReminders` as `"1"`/`"0"`, as the portal's sample sends it. */
export function optInBody(params: BillManagerOptInParams, ctx: FieldContext) {
  const p = requireParams(params, '{ email, officialContact, sendReminders, callbackUrl }');
  const biller = billerFields(p, ctx);
  return {
    ...biller,
    sendReminders: reminders(p.sendReminders) ? '1' : '0',
    ...logoField(p.logo),
    callbackurl: urlField('callbackUrl', p.callbackUrl, ctx.production, ctx.darajaHost),
  };
}

/** @internal The `change-optin-details` body: `sendReminders` as the number `1`/`0`, as its sample sends it. */
export function updateOptInBody(params: BillManagerUpdateOptInParams, ctx: FieldContext) {
  const p = requireParams(params, '{ email, officialContact, sendReminders, logo?, callbackUrl? }');
  const biller = billerFields(p, ctx);
  return {
    ...biller,
    sendReminders: reminders(p.sendReminders) ? 1 : 0,
    ...logoField(p.logo),
    ...(p.callbackUrl === undefined
      ? {}
      : { callbackurl: urlField('callbackUrl', p.callbackUrl, ctx.production, ctx.darajaHost) }),
  };
}

/** @internal An invoice's body, fields named `<prefix>field` in errors (`invoices[3].amount`). */
export function invoiceBody(invoice: BillManagerInvoice, prefix = '') {
  const p = requireParams(
    invoice,
    '{ externalReference, billedFullName, billedPhoneNumber, billedPeriod, invoiceName, dueDate, accountReference, amount }',
  );
  const items = p.invoiceItems;
  if (items !== undefined && !Array.isArray(items))
    invalid(`${prefix}invoiceItems`, 'must be an array of { itemName, amount }.');
  return {
    externalReference: reference(`${prefix}externalReference`, p.externalReference),
    billedFullName: plain(`${prefix}billedFullName`, p.billedFullName, 'shown in the SMS'),
    billedPhoneNumber: localPhone(`${prefix}billedPhoneNumber`, p.billedPhoneNumber),
    billedPeriod: periodField(p.billedPeriod),
    invoiceName: plain(`${prefix}invoiceName`, p.invoiceName, 'shown in the SMS'),
    dueDate: dayField(`${prefix}dueDate`, p.dueDate),
    accountReference: plain(
      `${prefix}accountReference`,
      p.accountReference,
      'the account number the customer pays to',
    ),
    amount: shillings(`${prefix}amount`, p.amount),
    ...(items === undefined
      ? {}
      : {
          invoiceItems: items.map((item, i) => ({
            itemName: plain(`${prefix}invoiceItems[${i}].itemName`, item?.itemName, 'shown on the e-invoice'),
            amount: shillings(`${prefix}invoiceItems[${i}].amount`, item?.amount, 0),
          })),
        }),
  };
}

/** @internal An `externalReference`: your invoice id, text or a number. */
export function reference(field: string, value: unknown): string {
  return plain(field, typeof value === 'number' ? String(value) : value, 'your unique invoice id');
}

/** @internal A list for a bulk call: an array of 1 to {@link BILL_MANAGER_BULK_MAX}, with unique references. */
export function bulkList<T>(
  field: string,
  list: unknown,
  toBody: (item: T, i: number) => { externalReference: string },
) {
  if (!Array.isArray(list) || list.length === 0 || list.length > BILL_MANAGER_BULK_MAX)
    invalid(
      field,
      `must be an array of 1 to ${BILL_MANAGER_BULK_MAX} items, got ${Array.isArray(list) ? list.length : typeof list}. Split larger batches into several calls.`,
    );
  const seen = new Set<string>();
  return (list as T[]).map((item, i) => {
    const body = toBody(item, i);
    if (seen.has(body.externalReference))
      invalid(
        `${field}[${i}].externalReference`,
        `"${body.externalReference}" appears twice in this batch; each invoice needs its own.`,
      );
    seen.add(body.externalReference);
    return body;
  });
}

/** @internal The `reconciliation` body: the 8 fields of the portal's sample, in its order. */
export function paymentAckBody(params: BillManagerPaymentAck) {
  const p = requireParams(
    params,
    '{ paymentDate, paidAmount, accountReference, transactionId, phoneNumber, fullName, invoiceName, externalReference }',
  );
  return {
    paymentDate: dayField('paymentDate', p.paymentDate),
    paidAmount: shillings('paidAmount', p.paidAmount),
    accountReference: plain('accountReference', p.accountReference, 'the account number paid to'),
    transactionId: matching(
      'transactionId',
      typeof p.transactionId === 'string' ? p.transactionId.trim() : '',
      /^[A-Za-z0-9]{6,20}$/,
      'must be the M-Pesa receipt of the payment (the push\'s transactionId), e.g. "PJB53MYR1N".',
    ),
    phoneNumber: localPhone('phoneNumber', p.phoneNumber),
    fullName: plain('fullName', p.fullName, "the payer's name on the e-receipt"),
    invoiceName: plain('invoiceName', p.invoiceName, 'shown on the e-receipt'),
    externalReference: reference('externalReference', p.externalReference),
  };
}
