import { describe, expect, it } from 'vitest';
import {
  darajaTimestamp,
  maskPhoneNumber,
  maskPhoneNumbersInText,
  parseDarajaTimestamp,
  redact,
  stkPassword,
} from '../../../../src/index.js';
import { PASSKEY, SHORTCODE } from '../../../fixtures/constants.js';

describe('stkPassword', () => {
  it("reproduces Safaricom's sample password exactly (the test vector of the M-Pesa Express docs)", () => {
    expect(stkPassword('174379', PASSKEY, '20210628092408')).toBe(
      'MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjEwNjI4MDkyNDA4',
    );
    expect(stkPassword(Number(SHORTCODE), PASSKEY, '20210628092408')).toBe(
      stkPassword(SHORTCODE, PASSKEY, '20210628092408'),
    );
  });
});

describe('darajaTimestamp', () => {
  it('formats in Nairobi time (UTC+3) whatever the server time zone', () => {
    expect(darajaTimestamp(new Date('2021-06-28T06:24:08Z'))).toBe('20210628092408');
    // 22:30 UTC on 31 December is already the next year in Nairobi.
    expect(darajaTimestamp(new Date('2025-12-31T22:30:05Z'))).toBe('20260101013005');
    expect(darajaTimestamp(new Date('2024-02-28T21:00:00Z'))).toBe('20240229000000');
  });
  it('is 14 digits for now', () => {
    expect(darajaTimestamp()).toMatch(/^\d{14}$/);
  });
  it('round-trips through parseDarajaTimestamp', () => {
    const d = new Date('2019-12-19T07:21:15Z');
    expect(parseDarajaTimestamp(darajaTimestamp(d))?.toISOString()).toBe(d.toISOString());
    expect(parseDarajaTimestamp(20191219102115)?.toISOString()).toBe('2019-12-19T07:21:15.000Z');
  });
  it.each(['2019121910211', '20191319102115', '20190231102115', '20191219252115', 'abc', '', 2.5])(
    'parseDarajaTimestamp rejects %j',
    (v) => {
      expect(parseDarajaTimestamp(v as string)).toBeUndefined();
    },
  );
});

describe('masking', () => {
  it('keeps the first and last four digits of a full number', () => {
    expect(maskPhoneNumber('254712345678')).toBe('2547****5678');
    expect(maskPhoneNumber(254712345678)).toBe('2547****5678');
    expect(maskPhoneNumber('0712345678')).toBe('0712**5678');
    expect(maskPhoneNumber('+254 712 345 678')).toBe('+254 7** **5 678');
    expect(maskPhoneNumber('1234')).toBe('**34');
  });
  it('masks numbers inside text', () => {
    expect(maskPhoneNumbersInText('paid by 254712345678 and 0112345678, ref 12345')).toBe(
      'paid by 2547****5678 and 0112**5678, ref 12345',
    );
  });
  it("masks the payer's digits that Daraja's current CheckoutRequestID ends with, and nothing else", () => {
    // ws_CO_ + DDMMYYYYHHmmss + milliseconds + the last nine digits of 254712345678.
    expect(maskPhoneNumbersInText('id ws_CO_180920261803512712345678 done')).toBe(
      'id ws_CO_1809202618035127****5678 done',
    );
    expect(redact({ checkoutRequestId: 'ws_CO_18092026180351271712345678' })).toEqual({
      checkoutRequestId: 'ws_CO_180920261803512717****5678',
    });
    // Older shapes carry no phone number and stay as they are.
    for (const id of ['ws_CO_DMZ_264695293_11032019122104433', 'ws_CO_20022018230142206', 'ws_CO_TEST000001'])
      expect(maskPhoneNumbersInText(id)).toBe(id);
  });
  it('redacts secret keys and phone numbers without mutating the input', () => {
    const input = {
      Password: 'abc',
      passkey: 'p',
      consumerSecret: 's',
      consumerKey: 'k',
      access_token: 't',
      Authorization: 'Bearer x',
      SecurityCredential: 'c',
      nested: { PhoneNumber: 254712345678, note: 'call 0712345678', list: ['254112345678'] },
      amount: 100,
    };
    const copy = structuredClone(input);
    const out = redact(input) as Record<string, unknown>;
    expect(input).toEqual(copy);
    for (const k of [
      'Password',
      'passkey',
      'consumerSecret',
      'consumerKey',
      'access_token',
      'Authorization',
      'SecurityCredential',
    ])
      expect(out[k]).toBe('[redacted]');
    expect(out['nested']).toEqual({
      PhoneNumber: '2547****5678',
      note: 'call 0712**5678',
      list: ['2541****5678'],
    });
    expect(out['amount']).toBe(100);
  });
});
