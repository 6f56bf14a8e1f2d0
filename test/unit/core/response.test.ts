import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { ApiPromise, type Daraja, withResponse } from '../../../src/index.js';
import { SANDBOX } from '../../fixtures/constants.js';
import { makeClient, makeInitiatorClient, rejection } from '../../helpers/client.js';
import { ACCEPTED, fakeDaraja, routeOn, useMsw } from '../../helpers/fake-daraja.js';

// Every operation returns an ApiPromise whose withResponse() gives the data and the answer's metadata:
// status, headers (no authorization, no cookies), Daraja's request id and the attempts.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const route = routeOn(server);
const QUERY = `${SANDBOX}/mpesa/stkpushquery/v1/query`;
const ID = 'ws_CO_13012021093521236557';

describe('withResponse', () => {
  it('gives a query its status, headers, requestId and attempts', async () => {
    let calls = 0;
    server.use(
      http.post(QUERY, () =>
        ++calls === 1
          ? new HttpResponse('<html>502</html>', { status: 502 })
          : HttpResponse.json(
              { ResponseCode: '0', ResultCode: '0', MerchantRequestID: '22205-34066-1' },
              {
                headers: {
                  'x-daraja-trace': 't-1',
                  'set-cookie': 'session=secret',
                  authorization: 'Bearer x',
                },
              },
            ),
      ),
    );
    const promise = makeClient().stk.query(ID);
    expect(promise).toBeInstanceOf(ApiPromise);
    // The method of the promise and the function are the same (the function is the typed way in).
    expect((promise as ApiPromise<unknown>).withResponse).toBe(ApiPromise.prototype.withResponse);
    const { data, response } = await withResponse(promise);
    expect(data.status).toBe('completed');
    expect(response).toMatchObject({
      operation: 'stk.query',
      status: 200,
      requestId: '22205-34066-1',
      attempts: 2,
    });
    expect(response.headers['x-daraja-trace']).toBe('t-1');
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(Object.getPrototypeOf(response.headers)).toBe(Object.prototype);
    expect(Object.keys(response.headers)).not.toContain('set-cookie');
    expect(Object.keys(response.headers)).not.toContain('authorization');
  });

  it('gives a money-moving call the id its answer carries (STK push: MerchantRequestID; B2C: ConversationID)', async () => {
    const push = await withResponse(
      makeClient().stk.push({ phoneNumber: '0712345678', amount: 1, accountReference: 'A1' }),
    );
    expect(push.data.checkoutRequestId).toMatch(/^ws_CO_/);
    expect(push.response).toMatchObject({ operation: 'stk.push', status: 200, attempts: 1 });
    expect(push.response.requestId).toMatch(/^29115-34620561-\d+$/);
    route('/mpesa/b2c/v3/paymentrequest', { json: ACCEPTED });
    const pay = await withResponse(
      makeInitiatorClient().b2c.pay({
        phoneNumber: '0712345678',
        amount: 500,
        originatorConversationId: 'payout-7',
      }),
    );
    expect(pay.data.conversationId).toBe(ACCEPTED.ConversationID);
    expect(pay.response).toMatchObject({
      operation: 'b2c.pay',
      requestId: ACCEPTED.ConversationID,
      attempts: 1,
    });
  });

  it('rejects as the call does, and awaiting the call is unchanged', async () => {
    const invalid = makeClient().stk.query({ checkoutRequestId: 'has space' });
    await expect(withResponse(invalid)).rejects.toMatchObject({ name: 'DarajaValidationError' });
    await expect(invalid).rejects.toMatchObject({ name: 'DarajaValidationError' });
    const plain = makeClient()
      .stk.query(ID)
      .then((d) => d.status);
    expect(plain).not.toBeInstanceOf(ApiPromise);
    expect(await plain).toBe('completed');
  });

  it('refuses a promise no operation returned', async () => {
    const error = await rejection(withResponse(Promise.resolve(1)));
    expect(error.message).toMatch(/pass the promise a client operation returned/);
  });

  it('is on every operation of every resource, with no code in the operations', async () => {
    const daraja: Daraja = makeClient();
    const operations: Array<() => Promise<unknown>> = [
      () => daraja.stk.push({} as never),
      () => daraja.stk.query({} as never),
      () => daraja.c2b.registerUrls({} as never),
      () => daraja.c2b.simulate({} as never),
      () => daraja.b2c.pay({} as never),
      () => daraja.b2c.payToPochi({} as never),
      () => daraja.b2b.payBill({} as never),
      () => daraja.b2b.buyGoods({} as never),
      () => daraja.b2b.topUp({} as never),
      () => daraja.tax.remit({} as never),
      () => daraja.transactions.status({} as never),
      () => daraja.account.balance(),
      () => daraja.reversal.reverse({} as never),
      () => daraja.qr.generate({} as never),
      () => daraja.pull.register({} as never),
      () => daraja.pull.query({} as never),
    ];
    for (const operation of operations) {
      const promise = operation();
      expect(promise, String(operation)).toBeInstanceOf(ApiPromise);
      // Each is refused before sending (no parameters, no initiator settings): nothing reaches msw.
      await expect(withResponse(promise), String(operation)).rejects.toMatchObject({
        name: expect.stringMatching(/^Daraja(Validation|Config)Error$/),
      });
    }
  });
});
