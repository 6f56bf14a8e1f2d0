/**
 * `daraja-sdk/messages`: what to tell the person paying, in English (`en`) and Kiswahili (`sw`). One
 * message per payment status and STK result code ({@link payerMessage}), and messages for a payment
 * page's own situations: the prompt countdown, a lost connection, "we could not confirm yet"
 * ({@link pageMessage}). Written for payers, never developers: no Daraja `ResultDesc`, result code or
 * field name ever appears in them. Plain data and small functions, no dependency on the rest of the SDK.
 *
 * @example
 * ```ts
 * import { payerMessage } from 'daraja-sdk/messages';
 *
 * const payment = await flow.checkStatus(id, { ownerId });
 * payerMessage(payment, 'sw'); // { title: 'Malipo yameghairiwa', text: 'Umeghairi ombi la M-Pesa, …' } for 1032
 * ```
 *
 * @packageDocumentation
 * @module daraja-sdk/messages
 */
import type { PaymentStatus } from '../core/payment-status.js';
import {
  PAYER_MESSAGES,
  type PageMessageKey,
  type PayerLocale,
  type PayerMessage,
  type PaymentMessageKey,
} from './catalogue.js';

export type {
  PageMessageKey,
  PayerLocale,
  PayerMessage,
  PayerMessageCatalogue,
  PayerMessageKey,
  PaymentMessageKey,
} from './catalogue.js';
export { PAYER_LOCALES, PAYER_MESSAGES } from './catalogue.js';

/** What {@link payerMessage} reads of a payment: a `Payment` record or an STK query/callback result fits. */
export interface PayerMessageInput {
  /** The payment's status. */
  readonly status: PaymentStatus;
  /** Daraja's `ResultCode`, when one is known (number or string). */
  readonly resultCode?: string | number | null | undefined;
  /** The M-Pesa receipt number, when known (an STK query answer carries none). */
  readonly mpesaReceiptNumber?: string | null | undefined;
}

// Result codes whose payer message is not the one of their status.
const BY_CODE: Readonly<Record<string, PaymentMessageKey>> = {
  '1': 'insufficient-funds',
  '2': 'limit',
  '3': 'limit',
  '4': 'limit',
  '8': 'limit',
  '17': 'too-soon',
  '26': 'mpesa-busy',
  '1001': 'phone-busy',
  '1019': 'expired',
  '1025': 'unreachable',
  '1032': 'cancelled',
  '1036': 'unreachable',
  '1037': 'unreachable',
  '2001': 'wrong-pin',
  '9999': 'unreachable',
};

/**
 * Which payer message fits a payment: by its status first (a `pending` payment is never told it
 * failed), then by its result code.
 *
 * - `completed` → `completed-receipt` when the receipt is known, else `completed` ("by SMS").
 * - `pending` → `pending` with no result code yet, `confirming` with one (`4999`, an unknown code: not
 *   final, still being confirmed).
 * - `cancelled` → `cancelled`; `timeout` → `unreachable` (or the code's own message).
 * - `failed` → the code's message (`wrong-pin` for 2001, `insufficient-funds` for 1, …), else `failed`.
 *
 * @param input - The payment's status, and its result code and receipt when known.
 * @returns A key of {@link PAYER_MESSAGES}.
 */
export function payerMessageKey(input: PayerMessageInput): PaymentMessageKey {
  const code =
    input.resultCode === undefined || input.resultCode === null ? '' : String(input.resultCode).trim();
  switch (input.status) {
    case 'completed':
      return input.mpesaReceiptNumber ? 'completed-receipt' : 'completed';
    case 'pending':
      return code === '' ? 'pending' : 'confirming';
    case 'cancelled':
      return 'cancelled';
    case 'timeout':
      return (Object.hasOwn(BY_CODE, code) && BY_CODE[code]) || 'unreachable';
    default:
      return (Object.hasOwn(BY_CODE, code) && BY_CODE[code]) || 'failed';
  }
}

/** Whether `value` is a locale the messages are written in (`en` or `sw`). */
export function isPayerLocale(value: unknown): value is PayerLocale {
  return value === 'en' || value === 'sw';
}

const fill = (message: PayerMessage, values: Readonly<Record<string, string | undefined>>): PayerMessage => ({
  title: message.title,
  text: message.text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    return typeof value === 'string' ? value : whole;
  }),
});

/**
 * The message to show the person paying, for a payment's status and result code.
 *
 * @param input - A payment (or anything with its `status`, and `resultCode` and `mpesaReceiptNumber` when
 * known).
 * @param locale - `en` (the default) or `sw`; anything else falls back to English.
 * @returns A title and text for the payer, e.g. `{ title: 'Wrong M-Pesa PIN', text: 'The PIN entered …' }`.
 *
 * @example
 * ```ts
 * payerMessage({ status: 'failed', resultCode: 2001 }, 'sw').title; // 'PIN ya M-Pesa si sahihi'
 * payerMessage({ status: 'completed', mpesaReceiptNumber: null }).text;
 * // 'Thank you. Your M-Pesa receipt will arrive by SMS.'
 * ```
 */
export function payerMessage(input: PayerMessageInput, locale: PayerLocale = 'en'): PayerMessage {
  const messages = PAYER_MESSAGES[isPayerLocale(locale) ? locale : 'en'];
  return fill(messages[payerMessageKey(input)], { receipt: input.mpesaReceiptNumber ?? '' });
}

/**
 * The message for one of a payment page's own situations: the prompt countdown, a lost connection, a
 * check that stopped without a final answer, an invalid phone number…
 *
 * @param key - The situation, e.g. `offline` or `stopped-checking`.
 * @param locale - `en` (the default) or `sw`; anything else falls back to English.
 * @param values - Placeholder values: `time` for `prompt-countdown` (e.g. `1:25`).
 * @returns A title and text for the payer.
 *
 * @example
 * ```ts
 * pageMessage('prompt-countdown', 'en', { time: '1:25' }).text;
 * // 'Enter your M-Pesa PIN. The prompt stays open for about 1:25 more.'
 * ```
 */
export function pageMessage(
  key: PageMessageKey,
  locale: PayerLocale = 'en',
  values: Readonly<{ time?: string }> = {},
): PayerMessage {
  const messages = PAYER_MESSAGES[isPayerLocale(locale) ? locale : 'en'];
  return fill(messages[key], values);
}
