import { describe, expect, it } from 'vitest';
import { DarajaCallbackError, parseStkCallback, type StkCallbackCompleted } from '../../../src/index.js';
import { buildStkCallback } from '../../../src/testing/index.js';
import { CANCELLED_1032, SUCCESS, SUCCESS_WITH_BALANCE, TIMEOUT_1037 } from '../../fixtures/stk-callbacks.js';

const clone = <T>(v: T): T => structuredClone(v);
const items = (body: typeof SUCCESS) =>
  body.Body.stkCallback.CallbackMetadata.Item as Array<Record<string, unknown>>;

function expectDocumentedSuccess(r: ReturnType<typeof parseStkCallback>) {
  expect(r.status).toBe('completed');
  const c = r as StkCallbackCompleted;
  expect(c).toMatchObject({
    merchantRequestId: '29115-34620561-1',
    checkoutRequestId: 'ws_CO_191220191020363925',
    resultCode: '0',
    resultDesc: 'The service request is processed successfully.',
    amount: 1,
    mpesaReceiptNumber: 'NLJ7RT61SV',
    phoneNumber: '254708374149',
    phoneNumberRaw: '254708374149',
  });
  // 20191219102115 is Nairobi time (UTC+3).
  expect(c.transactionDate.toISOString()).toBe('2019-12-19T07:21:15.000Z');
}

describe('parseStkCallback: the documented samples', () => {
  it('parses the documented success', () => expectDocumentedSuccess(parseStkCallback(SUCCESS)));
  it('parses the success with a Balance item that has no Value', () =>
    expectDocumentedSuccess(parseStkCallback(SUCCESS_WITH_BALANCE)));
  it('parses the documented cancellation (1032)', () => {
    expect(parseStkCallback(CANCELLED_1032)).toEqual({
      status: 'cancelled',
      merchantRequestId: 'f1e2-4b95-a71d-b30d3cdbb7a7942864',
      checkoutRequestId: 'ws_CO_21072024125243250722943992',
      resultCode: '1032',
      resultDesc: 'Request cancelled by user',
      meaning: 'The customer cancelled the request.',
      raw: CANCELLED_1032,
    });
  });
  it('parses the sandbox timeout (1037) whatever its wording', () => {
    expect(parseStkCallback(TIMEOUT_1037)).toMatchObject({
      status: 'timeout',
      resultCode: '1037',
      resultDesc: 'No response from user.',
    });
  });
  it('parses the raw JSON text too', () =>
    expectDocumentedSuccess(parseStkCallback(JSON.stringify(SUCCESS))));
  it('parses bytes too', () =>
    expectDocumentedSuccess(parseStkCallback(Buffer.from(JSON.stringify(SUCCESS)))));
});

describe('parseStkCallback: variants', () => {
  it('accepts metadata items in any order', () => {
    const body = clone(SUCCESS);
    items(body).reverse();
    expectDocumentedSuccess(parseStkCallback(body));
  });
  it.each([
    ['1', 1],
    ['1.00 as a number', 1.0],
    ['"1.00" as a string', '1.00'],
    ['"1" as a string', '1'],
  ])('accepts the amount as %s', (_n, value) => {
    const body = clone(SUCCESS);
    items(body)[0]!['Value'] = value;
    expect((parseStkCallback(body) as StkCallbackCompleted).amount).toBe(1);
  });
  it.each([
    ['0 as a number', 0, 'completed'],
    ['"0" as a string', '0', 'completed'],
    ['"1032" as a string', '1032', 'cancelled'],
    ['1037', 1037, 'timeout'],
    ['1 (insufficient funds)', 1, 'failed'],
    ['2001 (wrong PIN)', '2001', 'failed'],
    ['SFC_IC0003', 'SFC_IC0003', 'failed'],
    ['1036 (SMSC ACK timeout)', 1036, 'timeout'],
    ['"4999" (still under processing)', '4999', 'pending'],
    ['an unknown code', 31337, 'pending'],
  ])('accepts ResultCode %s', (_n, code, status) => {
    const body = clone(SUCCESS);
    body.Body.stkCallback.ResultCode = code as number;
    const r = parseStkCallback(body);
    expect(r.status).toBe(status);
    expect(r.resultCode).toBe(String(code));
  });
  it('keeps an unknown code with its raw value and a meaning', () => {
    const r = parseStkCallback(
      buildStkCallback({
        checkoutRequestId: 'ws_CO_1',
        resultCode: 1031,
        resultDesc: 'Request cancelled by user',
      }),
    );
    expect(r).toMatchObject({
      status: 'pending',
      resultCode: '1031',
      meaning: expect.stringContaining('1031'),
    });
  });
  it.each([
    ['a word', 'abc'],
    ['a decimal', '1.5'],
    ['a negative number', -1],
    ['a hex string', '0x10'],
    ['a fraction', 0.5],
  ])('rejects a ResultCode that is not an integer: %s', (_n, code) => {
    const body = clone(SUCCESS);
    body.Body.stkCallback.ResultCode = code as number;
    expect(() => parseStkCallback(body)).toThrow(/ResultCode must be an integer/);
  });
  it.each([
    ['masked', '2547****149', undefined],
    ['masked with spaces', '2547 ***** 149', undefined],
    ['hashed', '94c2c311d522da950619227b3361752a42042db7e1e699b26e628305c68a8811', undefined],
    ['a string number', '254708374149', '254708374149'],
    ['a 07 string', '0708374149', '254708374149'],
  ])('accepts a %s phone number', (_n, value, normalised) => {
    const body = clone(SUCCESS);
    items(body)[3]!['Value'] = value;
    const r = parseStkCallback(body) as StkCallbackCompleted;
    expect(r.phoneNumberRaw).toBe(value);
    expect(r.phoneNumber).toBe(normalised);
  });
  it('accepts a success without a PhoneNumber item', () => {
    const body = clone(SUCCESS);
    body.Body.stkCallback.CallbackMetadata.Item = items(body).filter(
      (i) => i['Name'] !== 'PhoneNumber',
    ) as never;
    expect(parseStkCallback(body)).toMatchObject({
      status: 'completed',
      phoneNumber: undefined,
      phoneNumberRaw: undefined,
    });
  });
  it('accepts a single Item given as an object, a string date, and unknown extra fields', () => {
    const body = clone(SUCCESS) as Record<string, unknown> & typeof SUCCESS;
    items(body)[2]!['Value'] = '20191219102115';
    (body as Record<string, unknown>)['Extra'] = { anything: true };
    (body.Body.stkCallback as Record<string, unknown>)['NewField'] = [1, 2, 3];
    items(body).push({ Name: 'FutureItem', Value: 'x' });
    expectDocumentedSuccess(parseStkCallback(body));
    const single = buildStkCallback({ checkoutRequestId: 'ws_CO_2', resultCode: 1032 });
    expect(parseStkCallback(single).status).toBe('cancelled');
  });
  it('does not take prototype keys for fields', () => {
    const body = JSON.parse(
      '{"__proto__":{"polluted":1},"Body":{"__proto__":{"x":1},"stkCallback":{"__proto__":{"ResultCode":0},"CheckoutRequestID":"ws_CO_P","ResultCode":1032,"constructor":{"prototype":{"polluted":2}}}}}',
    );
    expect(parseStkCallback(body).status).toBe('cancelled');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const noCode = JSON.parse(
      '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_P","__proto__":{"ResultCode":0}}}}',
    );
    expect(() => parseStkCallback(noCode)).toThrow(/ResultCode is missing/);
  });
});

describe('parseStkCallback: malformed bodies', () => {
  const cases: Array<[string, unknown, string, string | undefined]> = [
    ['not JSON', '{"Body":', 'invalid_json', undefined],
    ['an array', [SUCCESS], 'invalid_body', undefined],
    ['null', null, 'invalid_body', undefined],
    ['a number', 42, 'invalid_body', undefined],
    ['no Body', { body: SUCCESS.Body }, 'missing_field', 'Body'],
    ['no stkCallback', { Body: { StkCallback: {} } }, 'missing_field', 'Body.stkCallback'],
    [
      'no CheckoutRequestID',
      { Body: { stkCallback: { ResultCode: 0 } } },
      'missing_field',
      'Body.stkCallback.CheckoutRequestID',
    ],
    [
      'a numeric CheckoutRequestID',
      { Body: { stkCallback: { CheckoutRequestID: 5, ResultCode: 1 } } },
      'missing_field',
      'Body.stkCallback.CheckoutRequestID',
    ],
    [
      'no ResultCode',
      { Body: { stkCallback: { CheckoutRequestID: 'ws' } } },
      'missing_field',
      'Body.stkCallback.ResultCode',
    ],
    [
      'a boolean ResultCode',
      { Body: { stkCallback: { CheckoutRequestID: 'ws', ResultCode: true } } },
      'invalid_field',
      'Body.stkCallback.ResultCode',
    ],
    [
      'a negative ResultCode',
      { Body: { stkCallback: { CheckoutRequestID: 'ws', ResultCode: -1 } } },
      'invalid_field',
      'Body.stkCallback.ResultCode',
    ],
    [
      'a ResultCode with spaces inside',
      { Body: { stkCallback: { CheckoutRequestID: 'ws', ResultCode: '10 32' } } },
      'invalid_field',
      'Body.stkCallback.ResultCode',
    ],
    [
      'a numeric ResultDesc',
      { Body: { stkCallback: { CheckoutRequestID: 'ws', ResultCode: 1, ResultDesc: 5 } } },
      'invalid_field',
      'Body.stkCallback.ResultDesc',
    ],
    [
      'a success without metadata',
      { Body: { stkCallback: { CheckoutRequestID: 'ws', ResultCode: 0 } } },
      'missing_field',
      'Body.stkCallback.CallbackMetadata',
    ],
  ];
  it.each(cases)('rejects %s with a DarajaCallbackError naming the problem', (_n, body, reason, path) => {
    let error: unknown;
    try {
      parseStkCallback(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DarajaCallbackError);
    expect(error).toMatchObject({ reason, path });
    expect((error as Error).message).toMatch(/^\[daraja\] Invalid callback: /);
  });

  const successWith = (mutate: (list: Array<Record<string, unknown>>) => void) => {
    const body = clone(SUCCESS);
    mutate(items(body));
    return body;
  };
  it.each([
    ['no Amount', (l: Array<Record<string, unknown>>) => l.splice(0, 1), /Amount/],
    ['a zero Amount', (l: Array<Record<string, unknown>>) => (l[0]!['Value'] = 0), /Amount/],
    ['a text Amount', (l: Array<Record<string, unknown>>) => (l[0]!['Value'] = 'ten'), /Amount/],
    ['no receipt', (l: Array<Record<string, unknown>>) => l.splice(1, 1), /MpesaReceiptNumber/],
    [
      'a receipt with spaces',
      (l: Array<Record<string, unknown>>) => (l[1]!['Value'] = 'NLJ 7RT'),
      /MpesaReceiptNumber/,
    ],
    [
      'an impossible date',
      (l: Array<Record<string, unknown>>) => (l[2]!['Value'] = 20191319102115),
      /TransactionDate/,
    ],
    ['no date', (l: Array<Record<string, unknown>>) => l.splice(2, 1), /TransactionDate/],
    [
      'conflicting duplicate items',
      (l: Array<Record<string, unknown>>) => l.push({ Name: 'Amount', Value: 1000 }),
      /twice/,
    ],
    [
      'an item without a Name',
      (l: Array<Record<string, unknown>>) => l.push({ Value: 1 }),
      /Name must be a string/,
    ],
  ])('rejects a success with %s', (_n, mutate, message) => {
    expect(() => parseStkCallback(successWith(mutate))).toThrow(message);
  });
  it('accepts a repeated item with the same value', () => {
    expectDocumentedSuccess(parseStkCallback(successWith((l) => l.push({ Name: 'Amount', Value: 1 }))));
  });
  it('rejects a text body over 64 kB without parsing it', () => {
    expect(() => parseStkCallback(`{"x":"${'a'.repeat(70_000)}"}`)).toThrow(
      expect.objectContaining({ reason: 'too_large' }),
    );
  });
});
