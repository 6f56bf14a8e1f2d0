import { describe, expect, it, vi } from 'vitest';
import { createResultHandler, parseB2bExpressResult } from '../../../src/inbound/index.js';
import { DarajaCallbackError, describeB2bExpressCode } from '../../../src/index.js';
import {
  DOC_B2B_EXPRESS_CANCELLED,
  DOC_B2B_EXPRESS_SUCCESS,
  PESAFY_B2B_EXPRESS_KYC_FAILURE,
} from '../../fixtures/b2b-express.js';

describe('parseB2bExpressResult', () => {
  it('reads the documented success sample: completed, amount "71.0" as 71, receipt and conversation id', () => {
    expect(parseB2bExpressResult(DOC_B2B_EXPRESS_SUCCESS)).toEqual({
      status: 'completed',
      resultCode: '0',
      resultDesc: 'The service request is processed successfully.',
      meaning: describeB2bExpressCode('0').meaning,
      requestId: '404e1aec-19e0-4ce3-973d-bd92e94c8021',
      amount: 71,
      paymentReference: undefined,
      resultType: '0',
      conversationId: 'AG_20230426_2010434680d9f5a73766',
      transactionId: 'RDQ01NFT1Q',
      statusText: 'SUCCESS',
      raw: DOC_B2B_EXPRESS_SUCCESS,
    });
  });

  it('reads the documented cancel sample: cancelled, with its payment reference, from text too', () => {
    for (const body of [DOC_B2B_EXPRESS_CANCELLED, JSON.stringify(DOC_B2B_EXPRESS_CANCELLED)]) {
      const result = parseB2bExpressResult(body);
      expect(result).toMatchObject({
        status: 'cancelled',
        resultCode: '4001',
        resultDesc: 'User cancelled transaction',
        requestId: 'c2a9ba32-9e11-4b90-892c-7bc54944609a',
        amount: 71,
        paymentReference: 'MAndbubry3hi',
        transactionId: undefined,
        conversationId: undefined,
      });
    }
  });

  it('reads the 4102 failure sample as failed, with its meaning', () => {
    const result = parseB2bExpressResult(PESAFY_B2B_EXPRESS_KYC_FAILURE);
    expect(result).toMatchObject({ status: 'failed', resultCode: '4102', amount: undefined });
    expect(result.meaning).toMatch(/KYC/);
  });

  it.each([
    ['4104', 'failed'],
    ['4201', 'failed'],
    ['4203', 'failed'],
    [4001, 'cancelled'],
    [0, 'completed'],
    ['1032', 'unknown'],
    ['9999', 'unknown'],
    ['SFC_X1', 'unknown'],
  ])('maps resultCode %s to %s (an unknown code is never failed)', (resultCode, status) => {
    const result = parseB2bExpressResult({ resultCode, requestId: 'r-1' });
    expect(result.status).toBe(status);
    expect(result.resultCode).toBe(String(resultCode));
  });

  it('reads conversationId spelled with a lowercase d too', () => {
    const { conversationID: _, ...rest } = DOC_B2B_EXPRESS_SUCCESS;
    const result = parseB2bExpressResult({ ...rest, conversationId: 'AG_1' });
    expect(result.conversationId).toBe('AG_1');
  });

  it.each([
    [{ requestId: 'r-1' }, 'missing_field', 'resultCode'],
    [{ resultCode: '0' }, 'missing_field', 'requestId'],
    [{ resultCode: 'not a code', requestId: 'r-1' }, 'invalid_field', 'resultCode'],
    [{ resultCode: '0', requestId: 'r-1', amount: 'seventy' }, 'invalid_field', 'amount'],
    [{ resultCode: '0', requestId: 'r-1', transactionId: {} }, 'invalid_field', 'transactionId'],
  ])('refuses a malformed body %o with a DarajaCallbackError naming the field', (body, reason, path) => {
    const error = (() => {
      try {
        parseB2bExpressResult(body);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DarajaCallbackError);
    expect(error).toMatchObject({ reason, path });
  });

  it('ignores inherited keys: a __proto__ resultCode is not read', () => {
    const body = JSON.parse('{"__proto__":{"resultCode":"0"},"requestId":"r-1"}');
    expect(() => parseB2bExpressResult(body)).toThrow(DarajaCallbackError);
  });
});

describe("createResultHandler({ kind: 'b2bExpress' })", () => {
  const ACK = { status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } };

  it('parses a callback, passes it to onResult and acknowledges; a malformed one goes to onError', async () => {
    const onResult = vi.fn();
    const onError = vi.fn();
    const handler = createResultHandler({ kind: 'b2bExpress', onResult, onError });
    expect(await handler.handle({ body: DOC_B2B_EXPRESS_SUCCESS })).toEqual(ACK);
    expect(onResult.mock.calls[0]?.[0]).toMatchObject({ status: 'completed', transactionId: 'RDQ01NFT1Q' });
    expect(await handler.handle({ body: { resultDesc: 'no code' } })).toEqual(ACK);
    expect(onResult).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[0]).toBeInstanceOf(DarajaCallbackError);
  });
});
