import { describe, expect, it, vi } from 'vitest';
import { DarajaCallbackError, DarajaConfigError } from '../../../src/core/errors.js';
import { createBillPaymentHandler, parseBillPayment } from '../../../src/inbound/index.js';
import { captured, testLogger } from '../../helpers/logger.js';

// Bill Manager's payment push (the portal's sample and the parameter table's cleaner values, as
// docs/bill-manager.md shows them) and the handler that acknowledges it only once it is stored.

/** The parameter table's values, as mpesa-api's fixture has them. */
const PUSH = {
  transactionId: 'RJB53MYR1N',
  paidAmount: '5000',
  msisdn: '254722000000',
  dateCreated: '2021-10-01',
  accountReference: 'BC001',
  shortCode: '456545',
};

describe('parseBillPayment', () => {
  it('reads the push, paidAmount as a number', () => {
    expect(parseBillPayment(PUSH)).toEqual({
      transactionId: 'RJB53MYR1N',
      paidAmount: 5000,
      msisdn: '254722000000',
      phoneNumber: '254722000000',
      dateCreated: '2021-10-01',
      accountReference: 'BC001',
      shortCode: '456545',
      raw: PUSH,
    });
  });

  it('reads JSON text and bytes, and numbers where the table says Numeric', () => {
    const numeric = { ...PUSH, paidAmount: 50, msisdn: 254708374149, shortCode: 349350 };
    expect(parseBillPayment(JSON.stringify(numeric))).toMatchObject({
      paidAmount: 50,
      msisdn: '254708374149',
      shortCode: '349350',
    });
    expect(parseBillPayment(new TextEncoder().encode(JSON.stringify(PUSH))).transactionId).toBe('RJB53MYR1N');
  });

  it("refuses the portal's own sample: its placeholders are not values", () => {
    // As documented: `{trandID}` and `{50}` are placeholders (its unterminated last value closed here).
    const portal = {
      transactionId: '{trandID}',
      paidAmount: '{50}',
      msisdn: '254708374149',
      dateCreated: '2021-09-15',
      accountReference: 'LGHJIO789',
      shortCode: '349350555',
    };
    expect(() => parseBillPayment(portal)).toThrow(DarajaCallbackError);
    expect(() => parseBillPayment({ ...portal, transactionId: 'RJB53MYR1N' })).toThrow(/paidAmount/);
  });

  it.each([
    ['transactionId', { transactionId: undefined }],
    ['paidAmount', { paidAmount: '-5' }],
    ['paidAmount', { paidAmount: 'five' }],
    ['dateCreated', { dateCreated: '01/10/2021' }],
    ['accountReference', { accountReference: '' }],
    ['shortCode', { shortCode: null }],
  ])('names a bad %s', (path, over) => {
    const error = (() => {
      try {
        parseBillPayment({ ...PUSH, ...over });
      } catch (e) {
        return e as DarajaCallbackError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DarajaCallbackError);
    expect(error?.path).toBe(path);
  });

  it('refuses a body that is not an object', () => {
    expect(() => parseBillPayment('not json')).toThrow(DarajaCallbackError);
    expect(() => parseBillPayment([PUSH])).toThrow(DarajaCallbackError);
  });
});

describe('createBillPaymentHandler', () => {
  it('acknowledges only after onPayment resolved', async () => {
    const order: string[] = [];
    let store!: () => void;
    const handler = createBillPaymentHandler({
      onPayment: (payment) =>
        new Promise<void>((resolve) => {
          order.push(`stored ${payment.transactionId}`);
          store = resolve;
        }),
    });
    const answer = handler.handle({ body: PUSH }).then((ack) => {
      order.push('answered');
      return ack;
    });
    await vi.waitFor(() => expect(order).toEqual(['stored RJB53MYR1N']));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['stored RJB53MYR1N']); // no answer while the store is pending
    store();
    expect(await answer).toEqual({ status: 200, body: { resmsg: 'Success', rescode: '200' } });
    expect(order).toEqual(['stored RJB53MYR1N', 'answered']);
  });

  it('onPayment throws: a non-200 answer, so Bill Manager pushes it again; onError told', async () => {
    const onError = vi.fn();
    const failure = new Error('database down');
    const handler = createBillPaymentHandler({
      onPayment: () => {
        throw failure;
      },
      onError,
      logger: testLogger,
    });
    const ack = await handler.handle({ body: PUSH });
    expect(ack.status).not.toBe(200);
    expect(ack).toEqual({ status: 500, body: { resmsg: 'Failed', rescode: '500' } });
    expect(onError).toHaveBeenCalledWith(failure, { body: PUSH });
    // The payer's number is logged masked.
    expect(captured.join('\n')).toContain('2547****0000');
  });

  it('a malformed body: acknowledged (200), given to onError, onPayment never called', async () => {
    const onPayment = vi.fn();
    const onError = vi.fn((_error: unknown) => {
      throw new Error('audit down'); // ignored
    });
    const handler = createBillPaymentHandler({ onPayment, onError });
    for (const body of [undefined, 'not json', { ...PUSH, paidAmount: '{50}' }]) {
      expect(await handler.handle({ body })).toEqual({
        status: 200,
        body: { resmsg: 'Success', rescode: '200' },
      });
    }
    expect(onPayment).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledTimes(3);
    expect(onError.mock.calls[2]![0]).toBeInstanceOf(DarajaCallbackError);
    // A request that is not even an object.
    expect((await handler.handle(null as never)).status).toBe(200);
  });

  it('each answer is a fresh object', async () => {
    const handler = createBillPaymentHandler({ onPayment: () => undefined });
    const a = await handler.handle({ body: PUSH });
    a.body.rescode = '500';
    expect((await handler.handle({ body: PUSH })).body.rescode).toBe('200');
  });

  it('refuses options without onPayment', () => {
    expect(() => createBillPaymentHandler({} as never)).toThrow(DarajaConfigError);
    expect(() => createBillPaymentHandler({ onPayment: () => 1, onError: 'x' as never })).toThrow(/onError/);
  });
});
