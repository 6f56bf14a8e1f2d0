import { describe, expect, it, vi } from 'vitest';
import {
  createResultHandler,
  parseAccountBalanceResult,
  parseAccountBalances,
  parseB2bResult,
  parseB2cResult,
  parsePublicName,
  parseQueueTimeout,
  parseResult,
  parseReversalResult,
  parseTransactionStatusResult,
} from '../../../src/inbound/index.js';
import {
  API_RESULT_CODES,
  B2C_RESULT_CODES,
  DarajaCallbackError,
  DarajaConfigError,
  describeResultCode,
  REVERSAL_RESULT_CODES,
} from '../../../src/index.js';
import {
  ACCOUNT_BALANCE,
  B2B,
  B2C_FAILURE,
  B2C_SUCCESS,
  BALANCE_STRING,
  POCHI_SANDBOX_LOCKED,
  REVERSAL,
  TOP_UP,
  TOP_UP_FAILURE,
  TOP_UP_TABLE_KEYS,
  TRANSACTION_STATUS,
} from '../../fixtures/initiator-results.js';
import { captured, testLogger } from '../../helpers/logger.js';
import { thrown } from '../../helpers/thrown.js';

const callbackError = (fn: () => unknown): DarajaCallbackError => thrown(DarajaCallbackError, fn);

describe('documented result samples', () => {
  it('B2C success: amounts, receipt, receiver, the dd.MM.yyyy date in Nairobi time, funds', () => {
    const r = parseB2cResult(B2C_SUCCESS);
    expect(r).toMatchObject({
      resultType: 0,
      resultCode: '0',
      success: true,
      originatorConversationId: '53e3-4aa8-9fe0-8fb5e4092cdd3533373',
      conversationId: 'AG_20240706_2010364430d9bbdaf872',
      transactionId: 'SG632NMUAB',
      amount: 10,
      receiptNumber: 'SG632NMUAB',
      receiver: {
        identifier: '254705912645',
        name: 'NICHOLAS JOHN SONGOK',
        phoneNumber: '254705912645',
        raw: '254705912645 - NICHOLAS JOHN SONGOK',
      },
      utilityAccountAvailableFunds: 8959269.6,
      workingAccountAvailableFunds: 1199371,
      chargesPaidAccountAvailableFunds: -1980,
      recipientIsRegisteredCustomer: true,
    });
    expect(r.completedAt?.toISOString()).toBe('2024-07-06T19:48:52.000Z');
    expect(r.parameters).toHaveLength(8);
    expect(r.referenceData).toEqual([
      { key: 'QueueTimeoutURL', value: 'https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit' },
    ]);
    expect(r.raw).toBe(B2C_SUCCESS);
  });

  it('B2C failure: no parameters, code 2001 explained from the B2C catalogue', () => {
    const r = parseB2cResult(B2C_FAILURE);
    expect(r).toMatchObject({
      resultCode: '2001',
      success: false,
      amount: undefined,
      completedAt: undefined,
      parameters: [],
    });
    expect(r.meaning).toMatch(/initiator information is invalid[\s\S]*certificate/);
  });

  it('Business to Pochi, real sandbox result: 8006 with CreditPartyName as a single-object parameter', () => {
    const r = parseB2cResult(POCHI_SANDBOX_LOCKED);
    expect(r).toMatchObject({
      resultCode: '8006',
      success: false,
      originatorConversationId: '<redacted-id>',
      transactionId: 'XXXXXXXXXX',
      parameters: [{ key: 'CreditPartyName', value: '<redacted>' }],
      values: { CreditPartyName: '<redacted>' },
      amount: undefined,
      receiver: undefined,
    });
    expect(r.meaning).toMatch(/security credential is locked/);
  });

  it('transaction status: duplicated DebitPartyName, Key-only items, no ResultType first', () => {
    const r = parseTransactionStatusResult(TRANSACTION_STATUS);
    expect(r.debitParties.map((p) => [p.identifier, p.name, p.phoneNumber])).toEqual([
      ['600310', 'Safaricom333', undefined],
      ['254708374149', 'John Doe', '254708374149'],
    ]);
    expect(r.values['DebitPartyName']).toBe('600310 - Safaricom333'); // first wins in values
    expect(r.parameters.filter((p) => p.key === 'DebitPartyName')).toHaveLength(2);
    expect(r.parameters.find((p) => p.key === 'TransactionReason')).toEqual({
      key: 'TransactionReason',
      value: undefined,
    });
    expect(r).toMatchObject({
      resultType: 0,
      transactionStatus: 'Completed',
      receiptNumber: 'MBN31H462N',
      amount: 300,
      transactionReason: undefined,
      reasonType: 'Business Payment to Customer via API',
      debitAccountType: 'Utility Account',
      debitPartyCharges: 'Fee For B2C Payment|KES|22.40',
      transactionOriginatorConversationId: '3211-416020-3',
      transactionConversationId: 'AG_20180223_000041b09c22e613d6c9',
      creditParties: [],
    });
    expect(r.initiatedAt?.toISOString()).toBe('2018-02-23T02:41:12.000Z');
    expect(r.referenceData).toEqual([{ key: 'Occasion', value: undefined }]);
  });

  it('account balance: string codes and the balance string split into accounts', () => {
    const r = parseAccountBalanceResult(ACCOUNT_BALANCE);
    expect(r).toMatchObject({ resultType: 0, resultCode: '0', success: true, transactionId: 'OA90000000' });
    expect(r.accounts.map((a) => [a.name, a.currency, a.availableBalance])).toEqual([
      ['Working Account', 'KES', 700000],
      ['Float Account', 'KES', 0],
      ['Utility Account', 'KES', 228037],
      ['Charges Paid Account', 'KES', -1540],
      ['Organization Settlement Account', 'KES', 0],
    ]);
    expect(r.accounts[0]).toEqual({
      name: 'Working Account',
      currency: 'KES',
      amounts: [700000, 700000, 0, 0],
      currentBalance: 700000,
      availableBalance: 700000,
      reservedBalance: 0,
      unclearedBalance: 0,
    });
    expect(r.completedAt?.toISOString()).toBe('2020-01-09T09:57:10.000Z');
  });

  it('reversal: numeric date and amounts, public names, balance', () => {
    const r = parseReversalResult(REVERSAL);
    expect(r).toMatchObject({
      success: true,
      amount: 1,
      charge: 0,
      originalTransactionId: 'SKC82PACB8',
      creditParty: { identifier: '254705912645', name: 'NICHOLAS JOHN SONGOK' },
      debitParty: { identifier: '600992', name: 'Safaricom Daraja 992', phoneNumber: undefined },
    });
    expect(r.completedAt?.toISOString()).toBe('2021-11-14T10:27:11.000Z');
    expect(r.debitAccountBalance?.[0]).toMatchObject({
      name: 'Utility Account',
      availableBalance: 7722179.62,
    });
  });

  it('reversal failure: the alphanumeric string code R000002', () => {
    const body = {
      Result: {
        ...REVERSAL.Result,
        ResultCode: 'R000002',
        ResultDesc: 'The OriginalTransactionID is invalid.',
        ResultParameters: undefined,
      },
    };
    const r = parseReversalResult(body);
    expect(r).toMatchObject({ resultCode: 'R000002', success: false, amount: undefined });
    expect(r.meaning).toMatch(/OriginalTransactionID is invalid/);
    expect(parseResult(body).meaning).toMatch(/Unknown result code R000002/); // generic catalogue keeps the raw code
  });

  it('B2B: ReferenceItem array, bill reference, both balance forms, the en-dash public name', () => {
    const r = parseB2bResult(B2B);
    expect(r).toMatchObject({
      resultType: 0,
      resultCode: '0',
      amount: 190,
      currency: 'KES',
      debitPartyCharges: undefined,
      billReferenceNumber: '19008',
      receiver: { identifier: '000000', name: 'Biller Companty' },
    });
    expect(r.debitAccountBalance).toEqual([
      {
        name: '',
        currency: 'KES',
        amounts: [6186.83],
        currentBalance: 6186.83,
        availableBalance: undefined,
        reservedBalance: undefined,
        unclearedBalance: undefined,
      },
    ]);
    expect(r.debitPartyAffectedAccountBalance?.[0]?.amounts).toEqual([346568.83, 6186.83, 340382, 0]);
    expect(r.completedAt?.toISOString()).toBe('2022-11-10T08:07:17.000Z');
    expect(r.referenceData).toHaveLength(2);
  });
});

describe('B2C Account Top Up results (parsed as B2B results)', () => {
  it("the documented success, and the same with the key names of the page's own table", () => {
    const sample = parseB2bResult(TOP_UP);
    const table = parseB2bResult(TOP_UP_TABLE_KEYS);
    expect(sample).toMatchObject({
      success: true,
      resultCode: '0',
      amount: 190,
      billReferenceNumber: '19008',
      receiver: { identifier: '000000', name: 'Biller Companty' },
    });
    expect(sample.completedAt?.toISOString()).toBe('2022-11-10T08:07:17.000Z');
    expect(sample.debitAccountBalance?.[0]?.currentBalance).toBe(6186.83);
    expect(table.completedAt).toEqual(sample.completedAt);
    expect(table.debitAccountBalance).toEqual(sample.debitAccountBalance);
  });

  it('the documented failure: numeric codes, a single ResultParameter, a Key-only Occassion item', () => {
    const r = parseB2bResult(TOP_UP_FAILURE);
    expect(r).toMatchObject({
      success: false,
      resultCode: '2001',
      transactionId: 'OAK0000000',
      amount: undefined,
      completedAt: undefined,
      billReferenceNumber: '12323333',
    });
    expect(r.meaning).toMatch(/initiator/i);
    expect(r.referenceData.map((i) => i.key)).toEqual([
      'BillReferenceNumber',
      'QueueTimeoutURL',
      'Occassion',
    ]);
  });
});

describe('variants', () => {
  it('ResultParameter as a single object (account balance failure)', () => {
    const body = {
      Result: {
        ResultType: 0,
        ResultCode: 2001,
        ResultDesc: 'The initiator information is invalid.',
        OriginatorConversationID: '29112-34801843-1',
        ConversationID: 'AG_20200625_00006b0d44d3eb3f3e9c',
        TransactionID: 'OFP0000000',
        ResultParameters: { ResultParameter: { Key: 'BOCompletedTime', Value: 20200625232427 } },
      },
    };
    const r = parseAccountBalanceResult(body);
    expect(r.parameters).toEqual([{ key: 'BOCompletedTime', value: 20200625232427 }]);
    expect(r.accounts).toEqual([]);
    expect(r.completedAt?.toISOString()).toBe('2020-06-25T20:24:27.000Z');
    expect(r.referenceData).toEqual([]);
  });

  it('accepts JSON text and bytes, and codes with spaces', () => {
    const text = JSON.stringify(B2C_SUCCESS);
    expect(parseB2cResult(text).amount).toBe(10);
    expect(parseB2cResult(new TextEncoder().encode(text)).amount).toBe(10);
    expect(parseResult({ Result: { ...B2C_FAILURE.Result, ResultCode: ' 2001 ' } }).resultCode).toBe('2001');
  });

  it.each([
    ['not JSON', 'nope', 'invalid_body', undefined],
    ['an array', [], 'invalid_body', undefined],
    ['no Result', { Body: {} }, 'invalid_body', 'Result'],
    ['no ResultCode', { Result: { OriginatorConversationID: 'x' } }, 'missing_field', 'Result.ResultCode'],
    [
      'no OriginatorConversationID',
      { Result: { ResultCode: 0 } },
      'missing_field',
      'Result.OriginatorConversationID',
    ],
    [
      'an object ResultCode',
      { Result: { ResultCode: {}, OriginatorConversationID: 'x' } },
      'invalid_field',
      'Result.ResultCode',
    ],
    [
      'a parameter without Key',
      {
        Result: {
          ResultCode: 0,
          OriginatorConversationID: 'x',
          ResultParameters: { ResultParameter: [{ Value: 1 }] },
        },
      },
      'invalid_field',
      'Result.ResultParameters.ResultParameter[0]',
    ],
    [
      'ResultParameter as a string',
      {
        Result: { ResultCode: 0, OriginatorConversationID: 'x', ResultParameters: { ResultParameter: 'x' } },
      },
      'invalid_field',
      'Result.ResultParameters.ResultParameter',
    ],
  ])('rejects %s, naming what is wrong', (_n, body, reason, path) => {
    const e = callbackError(() => parseResult(body));
    expect(e.reason).toBe(reason);
    expect(e.path).toBe(path);
    expect(e.message).toMatch(/^\[daraja\] Invalid callback: /);
  });

  it('rejects a malformed amount or date in a typed view', () => {
    const bad = (key: string, value: unknown) => ({
      Result: { ...B2C_SUCCESS.Result, ResultParameters: { ResultParameter: [{ Key: key, Value: value }] } },
    });
    expect(callbackError(() => parseB2cResult(bad('TransactionAmount', 'KES 10'))).path).toBe(
      'Result.ResultParameters.ResultParameter.TransactionAmount',
    );
    expect(
      callbackError(() => parseB2cResult(bad('TransactionCompletedDateTime', '31.02.2024 10:00:00'))).path,
    ).toBe('Result.ResultParameters.ResultParameter.TransactionCompletedDateTime');
    expect(
      callbackError(() => parseAccountBalanceResult(bad('AccountBalance', 'Working Account'))).reason,
    ).toBe('invalid_field');
  });

  it('never pollutes prototypes from __proto__ keys', () => {
    const hostile = `{"Result":{"ResultCode":0,"OriginatorConversationID":"x","__proto__":{"polluted":1},
      "ResultParameters":{"ResultParameter":[{"Key":"__proto__","Value":"p"},{"Key":"constructor","Value":"c"},{"Key":"Amount","Value":"5"}]}}}`;
    const r = parseB2bResult(hostile);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(r.values)).toBe(Object.prototype);
    expect(Object.hasOwn(r.values, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(r.values, '__proto__')?.value).toBe('p');
    expect(r.amount).toBe(5);
    const c2b = parseQueueTimeout(`{"__proto__":{"polluted":1},"Result":{"OriginatorConversationID":"q"}}`);
    expect(c2b.originatorConversationId).toBe('q');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('queue timeouts are read leniently', () => {
    expect(
      parseQueueTimeout({
        Result: {
          ResultCode: 1,
          ResultDesc: 'timed out',
          OriginatorConversationID: 'o',
          ConversationID: 'c',
        },
      }),
    ).toMatchObject({
      originatorConversationId: 'o',
      conversationId: 'c',
      resultCode: '1',
      resultDesc: 'timed out',
    });
    expect(parseQueueTimeout({ OriginatorConversationID: 'flat' }).originatorConversationId).toBe('flat');
    expect(parseQueueTimeout({}).resultCode).toBeUndefined();
    expect(() => parseQueueTimeout('x')).toThrow(DarajaCallbackError);
  });
});

describe('helpers', () => {
  it('parses balance strings', () => {
    expect(parseAccountBalances(BALANCE_STRING)).toHaveLength(5);
    expect(parseAccountBalances('')).toEqual([]);
    expect(() => parseAccountBalances('Working Account|KES|abc')).toThrow(DarajaCallbackError);
  });

  it('parses public names', () => {
    expect(parsePublicName('254705912645 - NICHOLAS JOHN SONGOK')).toMatchObject({
      identifier: '254705912645',
      phoneNumber: '254705912645',
    });
    expect(parsePublicName('NO NUMBER')).toMatchObject({
      identifier: '',
      name: 'NO NUMBER',
      phoneNumber: undefined,
    });
    expect(parsePublicName('600992')).toMatchObject({ identifier: '600992', name: '' });
  });
});

describe('result-code catalogues', () => {
  it('hold the B2C, reversal and generic codes of the reference', () => {
    // The B2C codes are also every code of the Business to Pochi page.
    for (const code of [
      '0',
      '1',
      '2',
      '3',
      '4',
      '8',
      '11',
      '21',
      '2001',
      '2006',
      '2028',
      '2040',
      '8006',
      'SFC_IC0003',
    ])
      expect(B2C_RESULT_CODES).toHaveProperty(code);
    for (const code of ['0', 'R000001', 'R000002', '1', '11', '21', '2001', '2006', '2028', '8006'])
      expect(REVERSAL_RESULT_CODES).toHaveProperty(code);
    for (const code of [
      '15',
      '17',
      '18',
      '19',
      '20',
      '21',
      '22',
      '24',
      '25',
      '26',
      '29',
      '100000000',
      '100000011',
    ])
      expect(API_RESULT_CODES).toHaveProperty(code);
  });

  it('look codes up by catalogue, fall back to the generic one, and keep unknown codes raw', () => {
    expect(describeResultCode('R000001', 'reversal')).toMatchObject({
      code: 'R000001',
      known: true,
      success: false,
    });
    expect(describeResultCode(0, 'b2c')).toMatchObject({ code: '0', known: true, success: true });
    expect(describeResultCode('26', 'b2c').meaning).toMatch(/busy/); // generic fallback
    expect(describeResultCode('X42')).toEqual({
      code: 'X42',
      known: false,
      success: false,
      meaning: 'Unknown result code X42; see ResultDesc.',
    });
    expect(describeResultCode('__proto__').known).toBe(false);
  });
});

describe('createResultHandler', () => {
  const ACK = { status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } };

  it('parses with the chosen kind, passes the request through, and acknowledges', async () => {
    const onResult = vi.fn();
    const handler = createResultHandler({ kind: 'b2c', onResult });
    const request = {
      body: B2C_SUCCESS,
      url: '/mpesa/b2c/result?t=secret',
      remoteAddress: '196.201.214.200',
    };
    expect(await handler.handle(request)).toEqual(ACK);
    expect(onResult).toHaveBeenCalledTimes(1);
    const [result, passed] = onResult.mock.calls[0]!;
    expect(result.receiptNumber).toBe('SG632NMUAB');
    expect(passed).toBe(request);
  });

  it('acknowledges a malformed body and reports it to onError, without calling onResult', async () => {
    const onResult = vi.fn();
    const onError = vi.fn();
    const handler = createResultHandler({ onResult, onError });
    for (const body of ['{not json', null, { Result: {} }, undefined])
      expect(await handler.handle({ body })).toEqual(ACK);
    expect(await handler.handle(null as never)).toEqual(ACK);
    expect(onResult).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledTimes(5);
    expect(onError.mock.calls.every(([e]) => e instanceof DarajaCallbackError)).toBe(true);
    expect(onError.mock.calls[0]?.[1]).toEqual({ body: '{not json' });
  });

  it('never throws: not when onResult throws or rejects, nor when onError throws too', async () => {
    const onError = vi.fn(() => {
      throw new Error('audit store down');
    });
    const boom = createResultHandler({
      kind: 'accountBalance',
      onResult: async () => {
        throw new Error('db down');
      },
      onError,
      logger: testLogger,
    });
    expect(await boom.handle({ body: ACCOUNT_BALANCE })).toEqual(ACK);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'db down' }), {
      body: ACCOUNT_BALANCE,
    });
    const silent = createResultHandler({
      onResult: () => {
        throw new Error('x');
      },
    });
    expect(await silent.handle({ body: ACCOUNT_BALANCE })).toEqual(ACK);
  });

  it('returns a fresh ack each time', async () => {
    const handler = createResultHandler({ kind: 'queueTimeout', onResult: () => {} });
    const a = await handler.handle({ body: {} });
    a.body.ResultDesc = 'changed' as never;
    expect(await handler.handle({ body: {} })).toEqual(ACK);
  });

  it('logs ids, never the customer phone number', async () => {
    const before = captured.length;
    await createResultHandler({ kind: 'reversal', onResult: () => {}, logger: testLogger }).handle({
      body: REVERSAL,
    });
    const lines = captured.slice(before).join('\n');
    expect(lines).toMatch(/result received[\s\S]*dad6-4c34-8787-c8cb963a496d1268232/);
    expect(lines).not.toContain('254705912645');
  });

  it('refuses bad options at creation', () => {
    expect(() => createResultHandler({} as never)).toThrow(DarajaConfigError);
    expect(() => createResultHandler({ kind: 'stk' as never, onResult: () => {} })).toThrow(/kind/);
    expect(() => createResultHandler({ onResult: () => {}, onError: 'x' as never })).toThrow(/onError/);
  });
});
