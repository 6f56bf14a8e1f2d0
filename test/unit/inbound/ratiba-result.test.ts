import { describe, expect, it } from 'vitest';
import { createResultHandler, parseRatibaResult, RATIBA_RESULT_CODES } from '../../../src/inbound/index.js';
import { DarajaCallbackError } from '../../../src/index.js';
import { RATIBA_FAILURE, RATIBA_SUCCESS_A, RATIBA_SUCCESS_B } from '../../fixtures/ratiba-callbacks.js';

describe('parseRatibaResult', () => {
  it('reads the version B success: the standing-order id is TransactionID (= reminderScheduleId)', () => {
    const r = parseRatibaResult(RATIBA_SUCCESS_B);
    expect(r).toMatchObject({
      resultCode: '0',
      resultDesc: 'Standing order created successfully',
      success: true,
      status: 'created',
      standingOrderId: '2571168',
      transactionId: '2571168',
      reminderScheduleId: '2571168',
      requestRefId: '06aae68f-7d5a-4b44-a22d-8aa77126689b',
      responseRefId: '06aae68f-7d5a-4b44-a22d-8aa77126689b',
      standingOrderName: 'mpesa_Ratiba_test_Name',
      amount: 500,
      firstPaymentReminderDate: '20260807',
      issuePaymentReminderUntil: '20280407',
      orderStatus: 'ACTIVE',
      resultStatus: 'OKAY',
      msisdn: '*********867',
      raw: RATIBA_SUCCESS_B,
    });
    expect(r.data).toHaveLength(10);
  });

  it('reads the version A success (TransactionID receipt-like, no version-B items)', () => {
    const r = parseRatibaResult(RATIBA_SUCCESS_A);
    expect(r).toMatchObject({
      resultCode: '0',
      status: 'created',
      success: true,
      standingOrderId: 'SC8F2IQMH5',
      resultStatus: 'OKAY',
      orderStatus: undefined,
      standingOrderName: undefined,
      amount: undefined,
      msisdn: '254******867',
    });
  });

  it('reads the PascalCase failure: 1037 is timeout, the placeholder TransactionID is no order id', () => {
    const r = parseRatibaResult(RATIBA_FAILURE);
    expect(r).toMatchObject({
      resultCode: '1037',
      resultDesc: 'Error',
      success: false,
      status: 'timeout',
      standingOrderId: undefined,
      transactionId: '0000000000',
      requestRefId: 'c8c2bb31-3b3a-402e-84fc-21ef35161e48',
      resultStatus: 'ERROR',
      orderStatus: undefined,
      msisdn: '*********149',
    });
  });

  it('reads JSON text and bytes as well as objects', () => {
    expect(parseRatibaResult(JSON.stringify(RATIBA_FAILURE)).resultCode).toBe('1037');
    expect(parseRatibaResult(new TextEncoder().encode(JSON.stringify(RATIBA_SUCCESS_B))).status).toBe(
      'created',
    );
  });

  it.each([
    ['0', 'created'],
    ['1001', 'failed'],
    ['1025', 'failed'],
    ['1032', 'cancelled'],
    ['1037', 'timeout'],
    ['1050', 'failed'],
    ['1051', 'failed'],
    ['2001', 'failed'],
  ] as const)('maps code %s to %s', (code, status) => {
    const body = structuredClone(RATIBA_FAILURE);
    body.ResponseHeader.responseCode = code;
    expect(parseRatibaResult(body).status).toBe(status);
    expect(RATIBA_RESULT_CODES[code]?.status).toBe(status);
  });

  it('maps an unknown code to unknown, never failed', () => {
    const body = structuredClone(RATIBA_FAILURE);
    body.ResponseHeader.responseCode = '4242';
    const r = parseRatibaResult(body);
    expect(r.status).toBe('unknown');
    expect(r.success).toBe(false);
    expect(r.meaning).toMatch(/not treated as failed/);
  });

  it('takes the data responseCode when the header has none', () => {
    const { responseHeader, ...rest } = RATIBA_SUCCESS_A;
    expect(parseRatibaResult(rest).resultCode).toBe('0');
  });

  it('refuses a body without any result code, and a non-object body', () => {
    expect(() => parseRatibaResult({ responseHeader: {} })).toThrow(DarajaCallbackError);
    expect(() => parseRatibaResult('not json')).toThrow(DarajaCallbackError);
    expect(() => parseRatibaResult({ responseBody: { responseData: 'x' } })).toThrow(
      /responseData must be an array/,
    );
  });

  it('is the ratiba kind of createResultHandler', async () => {
    const seen: unknown[] = [];
    const handler = createResultHandler({ kind: 'ratiba', onResult: (r) => void seen.push(r.status) });
    const ack = await handler.handle({ body: RATIBA_FAILURE });
    expect(ack.status).toBe(200);
    expect(seen).toEqual(['timeout']);
  });
});
