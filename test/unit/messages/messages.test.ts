import { describe, expect, it } from 'vitest';
import type { PaymentStatus } from '../../../src/core/payment-status.js';
import {
  isPayerLocale,
  PAYER_LOCALES,
  PAYER_MESSAGES,
  type PayerLocale,
  type PayerMessage,
  pageMessage,
  payerMessage,
  payerMessageKey,
} from '../../../src/messages/index.js';
import { STK_RESULT_CODES } from '../../../src/resources/stk/result-codes.js';

const STATUSES: PaymentStatus[] = ['pending', 'completed', 'cancelled', 'failed', 'timeout'];
// What the payer must never read: Daraja's own descriptions (the catalogue's meanings, and the texts the
// simulator and Daraja send), and field names.
const RAW_TEXTS = [
  ...Object.values(STK_RESULT_CODES).map((e) => e.meaning),
  'Request cancelled by user',
  'DS timeout user cannot be reached',
  'The balance is insufficient for the transaction.',
  'The initiator information is invalid.',
  'The service request is processed successfully.',
  'Success. Request accepted for processing',
  'The transaction is still under processing',
  'The transaction is being processed',
];
const FIELD_NAMES =
  /ResultDesc|ResultCode|resultCode|resultDesc|phoneNumber|PhoneNumber|MpesaReceiptNumber|mpesaReceiptNumber|CheckoutRequestID|accountReference|undefined|null|\{\w+\}/;

function expectReadable(message: PayerMessage) {
  expect(message.title.trim()).not.toBe('');
  expect(message.text.trim()).not.toBe('');
  const whole = `${message.title} ${message.text}`;
  for (const raw of RAW_TEXTS) expect(whole).not.toContain(raw);
  expect(whole).not.toMatch(FIELD_NAMES);
  // No result code leaks either (the only digits are the example number, a receipt or a time).
  expect(whole.replace('0712 345 678', '')).not.toMatch(/\b(1032|1037|2001|4999|9999)\b/);
}

describe('payer messages', () => {
  it('holds the same keys, with placeholders, in every locale', () => {
    expect(PAYER_LOCALES).toEqual(['en', 'sw']);
    const keys = Object.keys(PAYER_MESSAGES.en).sort();
    expect(Object.keys(PAYER_MESSAGES.sw).sort()).toEqual(keys);
    for (const key of keys) {
      const k = key as keyof typeof PAYER_MESSAGES.en;
      const placeholders = (m: PayerMessage) => (m.text.match(/\{\w+\}/g) ?? []).sort();
      expect(placeholders(PAYER_MESSAGES.sw[k]), key).toEqual(placeholders(PAYER_MESSAGES.en[k]));
      expect(PAYER_MESSAGES.en[k], key).not.toEqual(PAYER_MESSAGES.sw[k]);
    }
  });

  describe.each(PAYER_LOCALES)('in %s', (locale: PayerLocale) => {
    it.each(STATUSES)('has a message for status %s with no result code', (status) => {
      expectReadable(payerMessage({ status }, locale));
    });

    it.each(Object.entries(STK_RESULT_CODES))('has a message for result code %s', (code, entry) => {
      const message = payerMessage({ status: entry.status, resultCode: code }, locale);
      expectReadable(message);
      // Numeric codes arrive as numbers too.
      if (/^\d+$/.test(code))
        expect(payerMessage({ status: entry.status, resultCode: Number(code) }, locale)).toEqual(message);
    });

    it.each(Object.keys(PAYER_MESSAGES.en))('page situation or payment message %s is readable', (key) => {
      const message = PAYER_MESSAGES[locale][key as keyof typeof PAYER_MESSAGES.en];
      expect(message.title.trim()).not.toBe('');
      expect(message.text.trim()).not.toBe('');
      for (const raw of RAW_TEXTS) expect(`${message.title} ${message.text}`).not.toContain(raw);
    });
  });

  it('picks the message by code: cancel, timeout, wrong PIN, funds, limits, not final', () => {
    expect(payerMessageKey({ status: 'cancelled', resultCode: 1032 })).toBe('cancelled');
    expect(payerMessageKey({ status: 'timeout', resultCode: '1037' })).toBe('unreachable');
    expect(payerMessageKey({ status: 'timeout', resultCode: 1036 })).toBe('unreachable');
    expect(payerMessageKey({ status: 'failed', resultCode: 1025 })).toBe('unreachable');
    expect(payerMessageKey({ status: 'failed', resultCode: 9999 })).toBe('unreachable');
    expect(payerMessageKey({ status: 'failed', resultCode: 2001 })).toBe('wrong-pin');
    expect(payerMessageKey({ status: 'failed', resultCode: 1 })).toBe('insufficient-funds');
    expect(payerMessageKey({ status: 'failed', resultCode: 4 })).toBe('limit');
    expect(payerMessageKey({ status: 'failed', resultCode: 1001 })).toBe('phone-busy');
    expect(payerMessageKey({ status: 'failed', resultCode: 2028 })).toBe('failed');
    expect(payerMessageKey({ status: 'failed', resultCode: 'SOMETHING_NEW' })).toBe('failed');
    // Not final: still being confirmed, never a failure.
    expect(payerMessageKey({ status: 'pending', resultCode: 4999 })).toBe('confirming');
    expect(payerMessageKey({ status: 'pending', resultCode: '4242' })).toBe('confirming');
    expect(payerMessageKey({ status: 'pending', resultCode: null })).toBe('pending');
    expect(payerMessage({ status: 'pending', resultCode: 4999 }).title).toBe(
      'We are still confirming your payment',
    );
  });

  it('shows the receipt only when it is known', () => {
    expect(payerMessage({ status: 'completed', mpesaReceiptNumber: 'QK12ABC3DE' }).text).toBe(
      'Thank you. Your M-Pesa receipt is QK12ABC3DE.',
    );
    expect(payerMessage({ status: 'completed', mpesaReceiptNumber: 'QK12ABC3DE' }, 'sw').text).toContain(
      'QK12ABC3DE',
    );
    for (const receipt of [null, undefined, '']) {
      const en = payerMessage({ status: 'completed', mpesaReceiptNumber: receipt });
      expect(en.text).toBe('Thank you. Your M-Pesa receipt will arrive by SMS.');
      expect(en.text).not.toMatch(/null|undefined/);
    }
    expect(payerMessage({ status: 'completed' }, 'sw').title).toBe('Malipo yamekamilika');
  });

  it('fills the countdown, and falls back to English for an unknown locale', () => {
    expect(pageMessage('prompt-countdown', 'en', { time: '1:25' }).text).toBe(
      'Enter your M-Pesa PIN. The prompt stays open for about 1:25 more.',
    );
    expect(pageMessage('prompt-countdown', 'sw', { time: '0:40' }).text).toContain('0:40');
    expect(pageMessage('offline', 'fr' as PayerLocale)).toEqual(PAYER_MESSAGES.en.offline);
    expect(payerMessage({ status: 'cancelled' }, 'de' as PayerLocale)).toEqual(PAYER_MESSAGES.en.cancelled);
    expect(isPayerLocale('sw')).toBe(true);
    expect(isPayerLocale('SW')).toBe(false);
    expect(pageMessage('invalid-phone').text).toBe('Enter a Kenyan M-Pesa number such as 0712 345 678.');
    expect(pageMessage('invalid-phone', 'sw').text).toBe(
      'Weka nambari ya M-Pesa ya Kenya, kwa mfano 0712 345 678.',
    );
  });
});
