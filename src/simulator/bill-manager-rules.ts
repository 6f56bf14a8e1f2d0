// The simulator's Bill Manager records, field rules and refusals (`bill-manager.ts` serves them).
import type { RouteResponse } from './routes.js';
import { checks, type FieldRule, type JsonBody, textOf } from './validation.js';

/** One payment against an invoice, pushed to the biller's `callbackurl`. */
export interface SimulatedBillPayment {
  transactionId: string;
  paidAmount: number;
  msisdn: string;
  dateCreated: string;
  /** Push attempts so far (at most 5). */
  pushAttempts: number;
  /** The biller answered a push with HTTP 200 and `rescode` "200". */
  pushAcknowledged: boolean;
  /** The biller sent the reconciliation acknowledgement for it. */
  reconciled: boolean;
}

/** An invoice as the simulator keeps it. */
export interface SimulatedInvoice {
  shortcode: string;
  externalReference: string;
  billedFullName: string;
  billedPhoneNumber: string;
  billedPeriod: string;
  invoiceName: string;
  dueDate: string;
  accountReference: string;
  amount: number;
  invoiceItems: unknown[];
  status: 'unpaid' | 'partially paid' | 'paid' | 'cancelled';
  payments: SimulatedBillPayment[];
}

export const PHONE = /^(?:0|254)[17]\d{8}$/;
export const DAY = /^\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}(?:\.\d+)?)?$/;
export const text = checks.nonEmpty;

export const BILLER_RULES: FieldRule[] = [
  { field: 'shortcode', check: checks.digits(5, 7) },
  { field: 'email', check: (v) => typeof v === 'string' && /^[^\s@]+@[^\s@]+$/.test(v) },
  { field: 'officialContact', check: checks.digits(9, 12) },
  { field: 'sendReminders', check: checks.oneOfText(['0', '1']) },
  { field: 'logo', check: text, optional: true },
];
export const OPT_IN_RULES = [...BILLER_RULES, { field: 'callbackurl', check: checks.url }];
export const UPDATE_RULES = [...BILLER_RULES, { field: 'callbackurl', check: checks.url, optional: true }];
export const INVOICE_RULES: FieldRule[] = [
  { field: 'externalReference', check: checks.length(1, 100) },
  { field: 'billedFullName', check: text },
  { field: 'billedPhoneNumber', check: (v) => textOf(v) !== undefined },
  { field: 'billedPeriod', check: text },
  { field: 'invoiceName', check: text },
  { field: 'dueDate', check: (v) => typeof v === 'string' },
  { field: 'accountReference', check: text },
  { field: 'amount', check: checks.wholeAmount(1) },
  { field: 'invoiceItems', check: (v) => Array.isArray(v) && v.every(isItem), optional: true },
];
export const RECONCILIATION_RULES: FieldRule[] = [
  { field: 'paymentDate', check: (v) => typeof v === 'string' && DAY.test(v) },
  { field: 'paidAmount', check: checks.wholeAmount(1) },
  { field: 'accountReference', check: text },
  { field: 'transactionId', check: checks.length(6, 20) },
  { field: 'phoneNumber', check: (v) => PHONE.test(textOf(v) ?? '') },
  { field: 'fullName', check: text },
  { field: 'invoiceName', check: text },
  { field: 'externalReference', check: checks.length(1, 100) },
];

export function isItem(v: unknown): boolean {
  const item = v as JsonBody | null;
  return (
    typeof item === 'object' &&
    item !== null &&
    text(item['itemName']) &&
    checks.wholeAmount(0)(item['amount'])
  );
}

/** @internal A refusal: `rescode` "409" with HTTP 409, the portal's cancel sample's shape. */
export function conflict(message: string, errors = false): RouteResponse {
  return {
    status: 409,
    body: { Status_Message: message, resmsg: 'Conflict', rescode: '409', ...(errors ? { errors: [] } : {}) },
  };
}

export const UNAUTHORIZED: RouteResponse = {
  status: 401,
  body: { errorCode: '401', errorMessage: 'Unauthorized - Invalid Access Token' },
};
export const DUPLICATE = 'Action forbidden: Another entry exist with the same externalReference number';
