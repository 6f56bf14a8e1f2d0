import { inspect } from 'node:util';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BILL_MANAGER_BULK_MAX,
  type BillManagerInvoice,
  DarajaApiError,
  DarajaAuthError,
  DarajaConfigError,
  DarajaDuplicateError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  withResponse,
} from '../../../../src/index.js';
import { APP_KEY, DOC_APP_KEY, SANDBOX } from '../../../fixtures/constants.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';
import { errorLeaks } from '../../../helpers/leak-scan.js';
import { captured } from '../../../helpers/logger.js';

// Bill Manager's request samples (the portal's, as docs/bill-manager.md reproduces them), rebuilt field for
// field from typed input; its answers read in both HTTP statuses a refusal may come with.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);

interface Seen {
  path: string;
  headers: Headers;
  body: unknown;
}
let seen: Seen[] = [];
afterEach(() => {
  seen = [];
});

const SUCCESS = { resmsg: 'Success', rescode: '200' };
const SENT = { Status_Message: 'Invoice sent successfully', ...SUCCESS };

/** Bill Manager at any path under `prefix`: records each request and answers from the script. */
function billManager(
  answers: Array<{ status?: number; json: unknown } | 'drop'> = [{ json: SENT }],
  prefix = '/v1/billmanager-invoice/',
) {
  server.use(
    http.post(`${SANDBOX}${prefix}:endpoint`, async ({ request }) => {
      seen.push({
        path: new URL(request.url).pathname,
        headers: request.headers,
        body: await request.json(),
      });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      if (answer === 'drop') return HttpResponse.error();
      return HttpResponse.json(answer.json as Record<string, unknown>, { status: answer.status ?? 200 });
    }),
  );
}

const client = (billManagerOptions: Record<string, unknown> = { appKey: APP_KEY }, maxRetries = 0) =>
  makeClient({ maxRetries, billManager: billManagerOptions });

const invoice = (over: Partial<BillManagerInvoice> = {}): BillManagerInvoice => ({
  externalReference: '#9932340',
  billedFullName: 'John Doe',
  billedPhoneNumber: '254712345678',
  billedPeriod: 'August 2021',
  invoiceName: 'Jentrys',
  dueDate: '2021-10-12',
  accountReference: '1ASD678H',
  amount: 800,
  invoiceItems: [
    { itemName: 'food', amount: 700 },
    { itemName: 'water', amount: 100 },
  ],
  ...over,
});
// The portal's single-invoice sample, made valid JSON (§5.5 lists its three syntax errors), 07… as its form.
const INVOICE_SAMPLE = {
  externalReference: '#9932340',
  billedFullName: 'John Doe',
  billedPhoneNumber: '0712345678',
  billedPeriod: 'August 2021',
  invoiceName: 'Jentrys',
  dueDate: '2021-10-12',
  accountReference: '1ASD678H',
  amount: '800',
  invoiceItems: [
    { itemName: 'food', amount: '700' },
    { itemName: 'water', amount: '100' },
  ],
};

/** The same JSON, keys in the same order. */
const sameWire = (actual: unknown, expected: unknown) =>
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));

describe('the request samples, field for field', () => {
  it('opt-in: lowercase shortcode and callbackurl, sendReminders "1", no app key header', async () => {
    billManager([{ json: { app_key: DOC_APP_KEY, ...SUCCESS } }]);
    const answer = await client({}).billManager.optIn({
      shortcode: '718003',
      email: 'youremail@gmail.com',
      officialContact: '+254 710 123 456',
      sendReminders: true,
      logo: 'image',
      callbackUrl: 'http://my.server.com/bar/callback',
    });
    sameWire(seen[0]!.body, {
      shortcode: '718003',
      email: 'youremail@gmail.com',
      officialContact: '0710123456',
      sendReminders: '1',
      logo: 'image',
      callbackurl: 'http://my.server.com/bar/callback',
    });
    expect(seen[0]!.path).toBe('/v1/billmanager-invoice/optin');
    expect(seen[0]!.headers.get('authorization')).toMatch(/^Bearer /);
    expect(seen[0]!.headers.has('app_key')).toBe(false);
    expect(answer).toEqual({
      appKey: DOC_APP_KEY,
      rescode: '200',
      resmsg: 'Success',
      statusMessage: undefined,
    });
  });

  it('opt-in takes the client shortcode by default and sends "0" for no reminders', async () => {
    billManager([{ json: { app_key: DOC_APP_KEY, ...SUCCESS } }]);
    await client({}).billManager.optIn({
      email: 'a@b.co',
      officialContact: '0710123456',
      sendReminders: false,
      callbackUrl: 'https://example.com/bm',
    });
    expect(seen[0]!.body).toEqual({
      shortcode: '174379',
      email: 'a@b.co',
      officialContact: '0710123456',
      sendReminders: '0',
      callbackurl: 'https://example.com/bm',
    });
  });

  it('update opt-in: sendReminders the number 1, as its sample has it', async () => {
    billManager([{ json: SUCCESS }]);
    const answer = await client().billManager.updateOptIn({
      shortcode: 718003,
      email: 'youremail@gmail.com',
      officialContact: '0710123456',
      sendReminders: true,
      logo: 'image',
      callbackUrl: 'http://my.server.com/bar',
    });
    sameWire(seen[0]!.body, {
      shortcode: '718003',
      email: 'youremail@gmail.com',
      officialContact: '0710123456',
      sendReminders: 1,
      logo: 'image',
      callbackurl: 'http://my.server.com/bar',
    });
    expect(seen[0]!.path).toBe('/v1/billmanager-invoice/change-optin-details');
    expect(answer).toEqual({ rescode: '200', resmsg: 'Success', statusMessage: undefined });
  });

  it('single invoice: amounts as strings, the phone as 07…, the due date as YYYY-MM-DD', async () => {
    billManager();
    const answer = await client().billManager.sendInvoice(invoice());
    sameWire(seen[0]!.body, INVOICE_SAMPLE);
    expect(seen[0]!.path).toBe('/v1/billmanager-invoice/single-invoicing');
    expect(answer).toEqual({ rescode: '200', resmsg: 'Success', statusMessage: 'Invoice sent successfully' });
  });

  it('a Date due date is its day in Nairobi; a Date period is "Month YYYY"', async () => {
    billManager();
    // 22:30 UTC on 11 October is 01:30 on 12 October in Nairobi.
    const at = new Date('2021-10-11T22:30:00Z');
    await client().billManager.sendInvoice(
      invoice({ dueDate: at, billedPeriod: new Date('2021-08-15T12:00:00Z') }),
    );
    expect(seen[0]!.body).toMatchObject({ dueDate: '2021-10-12', billedPeriod: 'August 2021' });
  });

  it('bulk invoices: a bare array', async () => {
    billManager();
    await client().billManager.sendInvoices([invoice(), invoice({ externalReference: 9932341 })]);
    expect(Array.isArray(seen[0]!.body)).toBe(true);
    sameWire(seen[0]!.body, [INVOICE_SAMPLE, { ...INVOICE_SAMPLE, externalReference: '9932341' }]);
    expect(seen[0]!.path).toBe('/v1/billmanager-invoice/bulk-invoicing');
  });

  it('cancel one, and many as a bare array', async () => {
    billManager([{ json: { Status_Message: 'Invoice cancelled successfuly.', ...SUCCESS, errors: [] } }]);
    const one = await client().billManager.cancelInvoice({ externalReference: '113' });
    await client().billManager.cancelInvoices(['113', 114]);
    sameWire(seen[0]!.body, { externalReference: '113' });
    sameWire(seen[1]!.body, [{ externalReference: '113' }, { externalReference: '114' }]);
    expect(seen.map((s) => s.path)).toEqual([
      '/v1/billmanager-invoice/cancel-single-invoice',
      '/v1/billmanager-invoice/cancel-bulk-invoices',
    ]);
    expect(one.statusMessage).toBe('Invoice cancelled successfuly.');
  });

  it('reconciliation: the 8-field acknowledgement', async () => {
    billManager([{ json: SUCCESS }]);
    await client().billManager.acknowledgePayment({
      paymentDate: '2021-10-01',
      paidAmount: 800,
      accountReference: 'Balboa95',
      transactionId: 'PJB53MYR1N',
      phoneNumber: '254710123456',
      fullName: 'John Doe',
      invoiceName: 'School Fees',
      externalReference: 955,
    });
    sameWire(seen[0]!.body, {
      paymentDate: '2021-10-01',
      paidAmount: '800',
      accountReference: 'Balboa95',
      transactionId: 'PJB53MYR1N',
      phoneNumber: '0710123456',
      fullName: 'John Doe',
      invoiceName: 'School Fees',
      externalReference: '955',
    });
    expect(seen[0]!.path).toBe('/v1/billmanager-invoice/reconciliation');
  });
});

describe('the app key', () => {
  it('goes in the app_key header by default, on every call after opt-in', async () => {
    billManager([{ json: SENT }]);
    const d = client();
    await d.billManager.sendInvoice(invoice());
    await d.billManager.cancelInvoice({ externalReference: 'x-1' });
    expect(seen.map((s) => s.headers.get('app_key'))).toEqual([APP_KEY, APP_KEY]);
  });

  it('goes in the configured header, and under the configured path prefix', async () => {
    const doubled = '/v1/billmanager-invoice/v1/billmanager-invoice/';
    billManager([{ json: SENT }], doubled);
    await client({ appKey: APP_KEY, appKeyHeader: 'appKey', pathPrefix: doubled }).billManager.sendInvoice(
      invoice(),
    );
    expect(seen[0]!.headers.get('appkey')).toBe(APP_KEY);
    expect(seen[0]!.headers.has('app_key')).toBe(false);
    expect(seen[0]!.path).toBe(`${doubled}single-invoicing`);
  });

  it('missing: a DarajaConfigError naming billManager.appKey, and nothing sent', async () => {
    billManager();
    const d = client({});
    for (const call of [
      () => d.billManager.sendInvoice(invoice()),
      () => d.billManager.sendInvoices([invoice()]),
      () => d.billManager.cancelInvoice({ externalReference: '1' }),
      () => d.billManager.cancelInvoices(['1']),
      () =>
        d.billManager.updateOptIn({ email: 'a@b.co', officialContact: '0710123456', sendReminders: true }),
      () =>
        d.billManager.acknowledgePayment({
          paymentDate: '2021-10-01',
          paidAmount: 1,
          accountReference: 'A',
          transactionId: 'PJB53MYR1N',
          phoneNumber: '0710123456',
          fullName: 'J',
          invoiceName: 'I',
          externalReference: '1',
        }),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(DarajaConfigError);
      expect((error as DarajaConfigError).issues[0]!.field).toBe('billManager.appKey');
    }
    expect(seen).toHaveLength(0);
    expect(mock.state.oauthCalls).toBeGreaterThanOrEqual(0);
  });

  it("an answer's header that echoes it is left out of withResponse()'s metadata", async () => {
    server.use(
      http.post(`${SANDBOX}/v1/billmanager-invoice/single-invoicing`, () =>
        HttpResponse.json(SENT, { headers: { app_key: APP_KEY, appKey: APP_KEY, 'x-request-id': 'r-1' } }),
      ),
    );
    const { response } = await withResponse(client().billManager.sendInvoice(invoice()));
    expect(response.headers['x-request-id']).toBe('r-1');
    expect(JSON.stringify(response)).not.toContain(APP_KEY);
  });

  it('is refused as an option when the header name or prefix is not one', () => {
    expect(() => client({ appKey: APP_KEY, appKeyHeader: 'app key' })).toThrow(
      /appKeyHeader must be a header name/,
    );
    expect(() => client({ appKey: APP_KEY, appKeyHeader: 'Authorization' })).toThrow(DarajaConfigError);
    expect(() => client({ appKey: APP_KEY, pathPrefix: 'v1 bill' })).toThrow(/pathPrefix must be a path/);
    expect(() => client({ appKey: '' })).toThrow(/appKey must be/);
    expect(() => client({ appKee: APP_KEY })).toThrow(/unknown option appKee/);
  });

  it('never shows in the client, the logs or an error, even one keeping the opt-in answer', async () => {
    const d = client();
    expect(inspect(d, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(APP_KEY);
    expect(inspect(d.billManager, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(
      APP_KEY,
    );
    expect(JSON.stringify(d.billManager)).not.toContain(APP_KEY);
    billManager([{ json: { app_key: DOC_APP_KEY, rescode: '500', resmsg: 'odd' } }]);
    const error = await rejection(
      d.billManager.optIn({
        email: 'a@b.co',
        officialContact: '0710123456',
        sendReminders: true,
        callbackUrl: 'https://example.com/bm',
      }),
    );
    expect(errorLeaks(error)).toEqual([]);
    expect((error as DarajaApiError).body).toMatchObject({ app_key: '[redacted]' });
    const lines = captured.join('\n');
    expect(lines).not.toContain(APP_KEY);
    expect(lines).not.toContain(DOC_APP_KEY);
  });
});

describe('answers', () => {
  const DUPLICATE_409 = {
    Status_Message: 'Action forbidden: Another entry exist with the same externalReference number',
    resmsg: 'Conflict',
    rescode: '409',
  };

  it.each([200, 409])(
    'a repeated externalReference (rescode 409 in HTTP %i): DarajaDuplicateError',
    async (status) => {
      billManager([{ status, json: DUPLICATE_409 }]);
      const error = await rejection(client().billManager.sendInvoice(invoice()));
      expect(error).toBeInstanceOf(DarajaDuplicateError);
      expect(error).toMatchObject({
        operation: 'billManager.sendInvoice',
        status,
        errorCode: '409',
        errorMessage: DUPLICATE_409.Status_Message,
        idempotencyKey: '#9932340',
      });
      expect(error.message).toContain('refused a repeat "#9932340"');
      expect(error.message).toContain('The invoice exists');
      expect(seen).toHaveLength(1);
    },
  );

  it.each([200, 409])(
    'another refusal (rescode 409 in HTTP %i): a DarajaApiError with rescode and message',
    async (status) => {
      billManager([
        {
          status,
          json: {
            Status_Message: 'partially or fully paid invoices cannot be cancelled.',
            resmsg: 'Conflict',
            rescode: '409',
            errors: [],
          },
        },
      ]);
      const error = await rejection(
        client(undefined, 3).billManager.cancelInvoice({ externalReference: '113' }),
      );
      expect(error).toBeInstanceOf(DarajaApiError);
      expect(error).not.toBeInstanceOf(DarajaDuplicateError);
      expect(error).toMatchObject({
        errorCode: '409',
        errorMessage: 'partially or fully paid invoices cannot be cancelled.',
        status,
      });
      expect(seen).toHaveLength(1); // a refusal is not retried
    },
  );

  it('a second opt-in ("Biller already Registered"): DarajaDuplicateError naming the shortcode', async () => {
    billManager([
      { status: 409, json: { resmsg: 'Action Forbidden: Biller already Registered', rescode: '409' } },
    ]);
    const error = await rejection(
      client({}).billManager.optIn({
        email: 'a@b.co',
        officialContact: '0710123456',
        sendReminders: true,
        callbackUrl: 'https://example.com/bm',
      }),
    );
    expect(error).toBeInstanceOf(DarajaDuplicateError);
    expect(error).toMatchObject({
      idempotencyKey: '174379',
      errorMessage: 'Action Forbidden: Biller already Registered',
    });
    expect(error.message).toMatch(/already opted in[\s\S]*reissue/);
  });

  it('the bare {"errorCode":"401"} envelope: a DarajaAuthError after one token replay, saying what was seen to cause it', async () => {
    billManager([
      { status: 401, json: { errorCode: '401', errorMessage: 'Unauthorized - Invalid Access Token' } },
    ]);
    const error = await rejection(client().billManager.sendInvoice(invoice()));
    expect(error).toBeInstanceOf(DarajaAuthError);
    expect(error).toMatchObject({ errorCode: '401', status: 401, operation: 'billManager.sendInvoice' });
    expect(error.message).toMatch(/apisupport@safaricom\.co\.ke[\s\S]*appKeyHeader/);
    expect(seen).toHaveLength(2);
  });

  it('a 2xx without a rescode: a DarajaApiError (nothing here moves money)', async () => {
    billManager([{ json: { hello: 'world' } }]);
    const error = await rejection(client().billManager.sendInvoice(invoice()));
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error.message).toContain('without a rescode');
  });

  it('an opt-in answer without app_key is an error, never a success without a key', async () => {
    billManager([{ json: SUCCESS }]);
    const error = await rejection(
      client({}).billManager.optIn({
        email: 'a@b.co',
        officialContact: '0710123456',
        sendReminders: true,
        callbackUrl: 'https://example.com/bm',
      }),
    );
    expect(error.message).toContain('without an app_key');
  });
});

describe('retries', () => {
  it('an invoice is resent after a dropped connection (its externalReference guards it)', async () => {
    billManager(['drop', { json: SENT }]);
    await client(undefined, 2).billManager.sendInvoice(invoice());
    expect(seen).toHaveLength(2);
    expect(seen[1]!.body).toEqual(seen[0]!.body);
  });

  it('an opt-in is never resent: its app key is shown once', async () => {
    billManager(['drop', { json: { app_key: DOC_APP_KEY, ...SUCCESS } }]);
    const error = await rejection(
      client({}, 3).billManager.optIn({
        email: 'a@b.co',
        officialContact: '0710123456',
        sendReminders: true,
        callbackUrl: 'https://example.com/bm',
      }),
    );
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error.message).toContain('Biller already Registered');
    expect(seen).toHaveLength(1);
  });
});

describe('validation, before anything is sent', () => {
  it.each([
    ['billedPhoneNumber', { billedPhoneNumber: '0812345678' }],
    ['dueDate', { dueDate: '12/10/2021' }],
    ['dueDate', { dueDate: '2021-02-30' }],
    ['amount', { amount: 800.5 }],
    ['amount', { amount: 0 }],
    ['externalReference', { externalReference: '' }],
    ['billedFullName', { billedFullName: ' ' }],
    [
      'invoiceItems[1].amount',
      {
        invoiceItems: [
          { itemName: 'a', amount: 1 },
          { itemName: 'b', amount: -1 },
        ],
      },
    ],
  ])('%s', async (field, over) => {
    billManager();
    const error = await rejection(
      client().billManager.sendInvoice(invoice(over as Partial<BillManagerInvoice>)),
    );
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect((error as DarajaValidationError).field).toBe(field);
    expect(seen).toHaveLength(0);
  });

  it(`bulk: 1 to ${BILL_MANAGER_BULK_MAX} invoices, each reference once, fields named by index`, async () => {
    billManager();
    const many = Array.from({ length: BILL_MANAGER_BULK_MAX + 1 }, (_, i) =>
      invoice({ externalReference: `R-${i}` }),
    );
    const tooMany = await rejection(client().billManager.sendInvoices(many));
    expect(tooMany).toMatchObject({ field: 'invoices' });
    expect(tooMany.message).toContain(`1 to ${BILL_MANAGER_BULK_MAX}`);
    await expect(client().billManager.sendInvoices([])).rejects.toMatchObject({ field: 'invoices' });
    await expect(client().billManager.sendInvoices([invoice(), invoice()])).rejects.toMatchObject({
      field: 'invoices[1].externalReference',
    });
    await expect(
      client().billManager.sendInvoices([
        invoice({ externalReference: 'a' }),
        invoice({ externalReference: 'b', amount: 1.5 }),
      ]),
    ).rejects.toMatchObject({ field: 'invoices[1].amount' });
    await expect(client().billManager.cancelInvoices(['1', '1'])).rejects.toMatchObject({
      field: 'externalReferences[1].externalReference',
    });
    expect(seen).toHaveLength(0);
    await client().billManager.sendInvoices(many.slice(0, BILL_MANAGER_BULK_MAX));
    expect(seen[0]!.body).toHaveLength(BILL_MANAGER_BULK_MAX);
  });

  it('opt-in: email, contact, reminders and callback URL', async () => {
    billManager();
    const base = {
      email: 'a@b.co',
      officialContact: '0710123456',
      sendReminders: true,
      callbackUrl: 'https://example.com/bm',
    };
    const d = client({});
    for (const [field, over] of [
      ['email', { email: 'not-an-email' }],
      ['officialContact', { officialContact: '12' }],
      ['sendReminders', { sendReminders: 'yes' }],
      ['callbackUrl', { callbackUrl: 'ftp://example.com' }],
      ['shortcode', { shortcode: '12' }],
    ] as const) {
      const error = await rejection(d.billManager.optIn({ ...base, ...over } as never));
      expect(error).toMatchObject({ name: 'DarajaValidationError', field });
    }
    expect(seen).toHaveLength(0);
  });

  it('a phone number in an error is masked', async () => {
    const error = await rejection(
      client().billManager.sendInvoice(invoice({ billedPhoneNumber: '0812345678' })),
    );
    expect(errorLeaks(error)).toEqual([]);
  });
});
