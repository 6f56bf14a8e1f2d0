import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type BillPayment, createBillPaymentHandler } from '../../src/inbound/index.js';
import { DarajaApiError, DarajaAuthError, DarajaDuplicateError } from '../../src/index.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET } from '../fixtures/constants.js';
import { makeClient, rejection } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';

// Bill Manager end to end over real HTTP: the SDK against the simulator, and the simulator's payment push
// reaching a merchant server built on createBillPaymentHandler.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A merchant server: POST /bill-manager/payments goes through createBillPaymentHandler. */
async function merchant(onPayment: (payment: BillPayment) => unknown) {
  const handler = createBillPaymentHandler({ onPayment, logger: testLogger });
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', async () => {
      const ack = await handler.handle({ body: text });
      res.writeHead(ack.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ack.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/bill-manager/payments`;
}

async function simulator(options: SimulatorOptions = {}) {
  const sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    callbackDelayMs: 10,
    logger: testLogger,
    ...options,
  });
  closers.push(() => sim.close());
  return sim;
}

const client = (sim: Simulator, billManager: Record<string, string> = {}) =>
  makeClient({ baseUrl: sim.url, shortcode: sim.shortcode, billManager });

/** What the control API answers (the listing, a payment, or an error). */
interface ControlState {
  billers: Array<Record<string, unknown>>;
  invoices: Array<{ externalReference: string; status: string; payments: Array<Record<string, unknown>> }>;
  [key: string]: unknown;
}

/** The simulator's control API, as a test in another process would use it. */
async function control(sim: Simulator, path: string, body?: unknown) {
  const response = await fetch(`${sim.url}/simulator/bill-manager${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as ControlState };
}

const invoice = {
  externalReference: 'INV-955',
  billedFullName: 'John Doe',
  billedPhoneNumber: '0710123456',
  billedPeriod: 'October 2021',
  invoiceName: 'School Fees',
  dueDate: '2021-10-12',
  accountReference: 'Balboa95',
  amount: 800,
};

async function optedIn(sim: Simulator, callbackUrl: string, header?: string) {
  const { appKey } = await client(sim).billManager.optIn({
    email: 'billing@example.com',
    officialContact: '0710123456',
    sendReminders: true,
    callbackUrl,
  });
  return client(sim, { appKey, ...(header ? { appKeyHeader: header } : {}) });
}

describe('Bill Manager against the simulator', () => {
  it('opt in, invoice, pay, the push stored by the handler, acknowledge; a paid invoice cannot be cancelled', async () => {
    const stored: BillPayment[] = [];
    const sim = await simulator();
    const daraja = await optedIn(sim, await merchant((p) => stored.push(p)));

    const sent = await daraja.billManager.sendInvoice(invoice);
    expect(sent).toMatchObject({ rescode: '200', statusMessage: 'Invoice sent successfully' });
    const again = await rejection(daraja.billManager.sendInvoice(invoice));
    expect(again).toBeInstanceOf(DarajaDuplicateError);

    const paid = await control(sim, '/pay', { externalReference: 'INV-955' });
    expect(paid.status).toBe(200);
    await sim.idle();
    expect(stored).toHaveLength(1);
    const [payment] = stored;
    expect(payment).toMatchObject({
      transactionId: paid.body['transactionId'],
      paidAmount: 800,
      phoneNumber: '254710123456',
      accountReference: 'Balboa95',
      shortCode: sim.shortcode,
    });

    await daraja.billManager.acknowledgePayment({
      paymentDate: payment!.dateCreated,
      paidAmount: payment!.paidAmount,
      accountReference: payment!.accountReference,
      transactionId: payment!.transactionId,
      phoneNumber: payment!.msisdn,
      fullName: 'John Doe',
      invoiceName: 'School Fees',
      externalReference: 'INV-955',
    });
    const state = await control(sim, '');
    expect(state.body.invoices[0]).toMatchObject({
      status: 'paid',
      payments: [{ pushAttempts: 1, pushAcknowledged: true, reconciled: true }],
    });
    expect(JSON.stringify(state.body)).not.toMatch(/simapp_/); // no app key in the control API

    const cancel = await rejection(daraja.billManager.cancelInvoice({ externalReference: 'INV-955' }));
    expect(cancel).toBeInstanceOf(DarajaApiError);
    expect(cancel).toMatchObject({
      status: 409,
      errorCode: '409',
      errorMessage: 'partially or fully paid invoices cannot be cancelled.',
    });
  });

  it('the push is retried after a failing onPayment, and acknowledged once it is stored', async () => {
    let calls = 0;
    const stored: string[] = [];
    const sim = await simulator();
    const daraja = await optedIn(
      sim,
      await merchant((p) => {
        calls += 1;
        if (calls < 3) throw new Error('database down');
        stored.push(p.transactionId);
      }),
    );
    await daraja.billManager.sendInvoice(invoice);
    await control(sim, '/pay', { externalReference: 'INV-955' });
    await sim.idle();
    expect(calls).toBe(3);
    expect(stored).toHaveLength(1);
    const pushes = sim.callbacks.filter((c) => c.operation === 'billManager.payment');
    expect(pushes.map((c) => c.status)).toEqual([500, 500, 200]);
    expect((await control(sim, '')).body.invoices[0]!.payments[0]).toMatchObject({
      pushAttempts: 3,
      pushAcknowledged: true,
    });
  });

  it('stops after 5 pushes', async () => {
    const sim = await simulator();
    const daraja = await optedIn(
      sim,
      await merchant(() => {
        throw new Error('never stored');
      }),
    );
    await daraja.billManager.sendInvoice(invoice);
    await control(sim, '/pay', { externalReference: 'INV-955' });
    await sim.idle();
    expect(sim.callbacks.filter((c) => c.operation === 'billManager.payment')).toHaveLength(5);
  });

  it('a second opt-in, a wrong app key or header, bulk and cancels', async () => {
    const sim = await simulator({ billManagerAppKeyHeader: 'appKey' });
    const url = await merchant(() => undefined);
    const daraja = await optedIn(sim, url, 'appKey');
    const second = await rejection(
      client(sim).billManager.optIn({
        email: 'billing@example.com',
        officialContact: '0710123456',
        sendReminders: false,
        callbackUrl: url,
      }),
    );
    expect(second).toBeInstanceOf(DarajaDuplicateError);

    // The default header (app_key) is not the one this simulator expects: Bill Manager's bare 401.
    const wrongHeader = await rejection(
      client(sim, { appKey: 'simapp_000000000000000000000000' }).billManager.sendInvoice(invoice),
    );
    expect(wrongHeader).toBeInstanceOf(DarajaAuthError);
    expect(wrongHeader).toMatchObject({ status: 401, errorCode: '401' });

    await daraja.billManager.sendInvoices([
      { ...invoice, externalReference: 'A-1' },
      { ...invoice, externalReference: 'A-2' },
      { ...invoice, externalReference: 'A-3' },
    ]);
    await daraja.billManager.cancelInvoices(['A-1', 'A-2']);
    await daraja.billManager.cancelInvoice({ externalReference: 'A-3' });
    const statuses = (await control(sim, '')).body.invoices.map((i) => i.status);
    expect(statuses).toEqual(['cancelled', 'cancelled', 'cancelled']);
    // A cancelled invoice can no longer be paid.
    expect((await control(sim, '/pay', { externalReference: 'A-1' })).status).toBe(404);
    await daraja.billManager.updateOptIn({
      email: 'new@example.com',
      officialContact: '0710123456',
      sendReminders: false,
    });
    expect((await control(sim, '')).body.billers[0]).toMatchObject({
      email: 'new@example.com',
      sendReminders: '0',
    });
  });

  it('serves the doubled production prefix too', async () => {
    const sim = await simulator();
    const prefix = '/v1/billmanager-invoice/v1/billmanager-invoice/';
    const { appKey } = await makeClient({
      baseUrl: sim.url,
      shortcode: sim.shortcode,
      billManager: { pathPrefix: prefix },
    }).billManager.optIn({
      email: 'billing@example.com',
      officialContact: '0710123456',
      sendReminders: true,
      callbackUrl: await merchant(() => undefined),
    });
    const daraja = client(sim, { appKey, pathPrefix: prefix });
    await daraja.billManager.sendInvoice(invoice);
    expect(sim.requests.map((r) => r.path)).toContain(`${prefix}single-invoicing`);
    // The opt-in's answer in the request log has its app key redacted.
    expect(JSON.stringify(sim.requests)).not.toContain(appKey);
  });

  it("answers the portal's refusals to raw requests", async () => {
    const sim = await simulator();
    const basic = Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64');
    const oauth = await fetch(`${sim.url}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: { authorization: `Basic ${basic}` },
    });
    const { access_token: token } = (await oauth.json()) as { access_token: string };
    const call = async (path: string, body: unknown, appKey?: string) => {
      const response = await fetch(`${sim.url}/v1/billmanager-invoice/${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(appKey ? { app_key: appKey } : {}),
        },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const optIn = {
      shortcode: sim.shortcode,
      email: 'a@b.co',
      officialContact: '0710123456',
      sendReminders: '1',
      callbackurl: 'http://127.0.0.1:9/bm',
    };
    const other = await call('optin', { ...optIn, shortcode: '999999' });
    expect(other).toMatchObject({
      status: 409,
      body: { Status_Message: 'Action Forbidden: Invalid consumer key/short code' },
    });
    const { body } = await call('optin', optIn);
    const appKey = body['app_key'] as string;
    expect(body).toMatchObject({ resmsg: 'Success', rescode: '200' });

    const wire = { ...invoice, billedPhoneNumber: '0710123456', amount: '800' };
    expect(await call('single-invoicing', wire)).toMatchObject({ status: 401, body: { errorCode: '401' } });
    expect(await call('single-invoicing', wire, 'wrong')).toMatchObject({ status: 401 });
    expect(
      await call('single-invoicing', { ...wire, billedPhoneNumber: '+1 555 0100' }, appKey),
    ).toMatchObject({
      status: 409,
      body: { rescode: '409', Status_Message: 'Action forbidden: Incorrect phone number format' },
    });
    expect(await call('single-invoicing', { ...wire, dueDate: '12/10/21' }, appKey)).toMatchObject({
      body: { Status_Message: 'Action forbidden: Incorrect due date format' },
    });
    expect(await call('single-invoicing', { ...wire, invoiceName: '' }, appKey)).toMatchObject({
      status: 400,
      body: { errorCode: '400.002.02', errorMessage: 'Bad Request - Invalid invoiceName' },
    });
    // The second sample format of a due date is accepted too.
    expect(
      await call('single-invoicing', { ...wire, dueDate: '2021-09-15 00:00:00.00' }, appKey),
    ).toMatchObject({
      status: 200,
      body: { rescode: '200', Status_Message: 'Invoice sent successfully' },
    });
    expect((await call('bulk-invoicing', [], appKey)).status).toBe(400);
    expect((await call('bulk-invoicing', { invoices: [wire] }, appKey)).status).toBe(400); // no wrapper object
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ ...wire, externalReference: `B-${i}` }));
    expect((await call('bulk-invoicing', tooMany, appKey)).status).toBe(400);
    // All or nothing: the second invoice repeats the first one's reference, so neither is kept.
    const batch = [
      { ...wire, externalReference: 'C-1' },
      { ...wire, externalReference: 'C-1' },
    ];
    expect((await call('bulk-invoicing', batch, appKey)).status).toBe(409);
    expect((await control(sim, '')).body.invoices.map((i) => i.externalReference)).toEqual(['INV-955']);
    expect(await call('cancel-single-invoice', { externalReference: 'nope' }, appKey)).toMatchObject({
      status: 409,
      body: { rescode: '409', errors: [] },
    });
  });
});
