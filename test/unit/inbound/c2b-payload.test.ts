import { describe, expect, it } from 'vitest';
import {
  C2B_REJECT_CODES,
  c2bAccept,
  c2bConfirmationAck,
  c2bReject,
  parseC2bPayload,
} from '../../../src/inbound/index.js';
import { DarajaCallbackError, DarajaValidationError } from '../../../src/index.js';

describe('C2B validation and confirmation payloads', () => {
  // A v2 payload as Daraja sends it (masked MSISDN): every value a string.
  const V2 = {
    TransactionType: 'Pay Bill',
    TransID: 'RKL51ZDR4F',
    TransTime: '20231121121325',
    TransAmount: '5.00',
    BusinessShortCode: '600966',
    BillRefNumber: 'Sample Transaction',
    InvoiceNumber: '',
    OrgAccountBalance: '25.00',
    ThirdPartyTransID: '',
    MSISDN: '2547 ***** 126',
    FirstName: 'NICHOLAS',
    MiddleName: '',
    LastName: '',
  };

  it('parses the documented v2 payload', () => {
    expect(parseC2bPayload(V2)).toEqual({
      transactionType: 'Pay Bill',
      transactionId: 'RKL51ZDR4F',
      transactionTime: new Date('2023-11-21T09:13:25Z'),
      amount: 5,
      businessShortcode: '600966',
      billRefNumber: 'Sample Transaction',
      invoiceNumber: '',
      orgAccountBalance: 25,
      thirdPartyTransId: '',
      msisdn: '2547 ***** 126',
      phoneNumber: undefined,
      firstName: 'NICHOLAS',
      middleName: '',
      lastName: '',
      raw: V2,
    });
  });

  it('handles the v1 hashed MSISDN, a blank balance (validation), JSON text and a full number', () => {
    const hashed = '94c2c311d522da950619227b3361752a42042db7e1e699b26e628305c68a88';
    const v1 = parseC2bPayload(JSON.stringify({ ...V2, MSISDN: hashed, OrgAccountBalance: '' }));
    expect(v1.msisdn).toBe(hashed);
    expect(v1.phoneNumber).toBeUndefined();
    expect(v1.orgAccountBalance).toBeUndefined();
    expect(parseC2bPayload({ ...V2, MSISDN: '25470****149' }).phoneNumber).toBeUndefined();
    expect(parseC2bPayload({ ...V2, MSISDN: '254708374149', TransAmount: 300 }).phoneNumber).toBe(
      '254708374149',
    );
  });

  it.each([
    ['a missing TransID', { TransID: undefined }, 'TransID', 'missing_field'],
    ['a bad TransTime', { TransTime: '2023-11-21' }, 'TransTime', 'invalid_field'],
    ['a non-numeric amount', { TransAmount: 'five' }, 'TransAmount', 'invalid_field'],
    ['an object for a string', { BillRefNumber: { a: 1 } }, 'BillRefNumber', 'invalid_field'],
  ])('rejects %s with a DarajaCallbackError naming the field', (_n, override, path, reason) => {
    try {
      parseC2bPayload({ ...V2, ...override });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DarajaCallbackError);
      expect(e).toMatchObject({ path, reason });
    }
  });

  it('rejects bodies that are not objects', () => {
    for (const body of [null, 'not json', '[1]', 42])
      expect(() => parseC2bPayload(body)).toThrow(DarajaCallbackError);
  });

  it('builds the accept, reject and confirmation answers', () => {
    expect(c2bAccept()).toEqual({ ResultCode: '0', ResultDesc: 'Accepted' });
    expect(c2bAccept('order-9')).toEqual({
      ResultCode: '0',
      ResultDesc: 'Accepted',
      ThirdPartyTransID: 'order-9',
    });
    expect(c2bReject('C2B00012')).toEqual({ ResultCode: 'C2B00012', ResultDesc: 'Rejected' });
    expect(c2bReject()).toEqual({ ResultCode: 'C2B00016', ResultDesc: 'Rejected' });
    expect(() => c2bReject('C2B00099' as never)).toThrow(DarajaValidationError);
    expect(c2bConfirmationAck()).toEqual({ ResultCode: '0', ResultDesc: 'Success' });
    expect(Object.keys(C2B_REJECT_CODES)).toEqual([
      'C2B00011',
      'C2B00012',
      'C2B00013',
      'C2B00014',
      'C2B00015',
      'C2B00016',
    ]);
    expect(C2B_REJECT_CODES.C2B00012).toBe('Invalid Account Number');
  });
});
