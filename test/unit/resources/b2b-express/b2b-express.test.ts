import { delay } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  DarajaApiError,
  DarajaTimeoutError,
  DarajaUnknownOutcomeError,
  DarajaValidationError,
  describeB2bExpressCode,
} from '../../../../src/index.js';
import { DOC_B2B_EXPRESS_ACK, DOC_B2B_EXPRESS_REQUEST } from '../../../fixtures/b2b-express.js';
import { makeClient, rejection } from '../../../helpers/client.js';
import { type Answer, fakeDaraja, routeOn, useMsw } from '../../../helpers/fake-daraja.js';

const PATH = '/v1/ussdpush/get-msisdn';
const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const route = routeOn(server);

const params = {
  primaryShortCode: '000001',
  receiverShortCode: '000002',
  amount: 100,
  paymentRef: 'paymentRef',
  callbackUrl: 'http://example.com/result',
  partnerName: 'Vendor',
  requestRefId: DOC_B2B_EXPRESS_REQUEST.RequestRefID,
};

describe('b2bExpress.push', () => {
  it('reproduces the documented request sample field for field and reads the acknowledgement', async () => {
    const e = route(PATH, { json: DOC_B2B_EXPRESS_ACK });
    const response = await makeClient().b2bExpress.push(params);
    expect(e.bodies).toEqual([DOC_B2B_EXPRESS_REQUEST]);
    expect(Object.keys(e.bodies[0]!)).toEqual(Object.keys(DOC_B2B_EXPRESS_REQUEST));
    expect(response).toEqual({
      code: '0',
      status: 'USSD Initiated Successfully',
      requestRefId: DOC_B2B_EXPRESS_REQUEST.RequestRefID,
    });
  });

  it('generates a UUID RequestRefID when none is given and returns it', async () => {
    const e = route(PATH, { json: { code: 0, status: 'USSD Initiated Successfully' } });
    const { requestRefId, code } = await makeClient().b2bExpress.push({ ...params, requestRefId: undefined });
    expect(code).toBe('0');
    expect(requestRefId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(e.bodies[0]?.['RequestRefID']).toBe(requestRefId);
    expect(e.bodies[0]?.['amount']).toBe('100');
  });

  it.each([
    [{ primaryShortCode: '12' }, 'primaryShortCode', /till/],
    [{ receiverShortCode: 'abc' }, 'receiverShortCode', /PayBill/],
    [{ amount: 10.5 }, 'amount', /whole number/],
    [{ amount: 0 }, 'amount', /between 1/],
    [{ paymentRef: '  ' }, 'paymentRef', /required/],
    [{ paymentRef: 'INV\n42' }, 'paymentRef', /control characters/],
    [{ partnerName: undefined }, 'partnerName', /required/],
    [{ callbackUrl: 'example.com/cb' }, 'callbackUrl', /absolute URL/],
    [{ callbackUrl: 'http://exa mple.com' }, 'callbackUrl', /whitespace/],
    [{ requestRefId: 'has space' }, 'requestRefId', /letters, digits/],
  ])('refuses %o before sending anything (%s)', async (override, field, message) => {
    const e = route(PATH, { json: DOC_B2B_EXPRESS_ACK });
    const tokensBefore = mock.state.oauthCalls;
    const error = await rejection(makeClient().b2bExpress.push({ ...params, ...override } as never));
    expect(error).toBeInstanceOf(DarajaValidationError);
    expect(error).toMatchObject({ field });
    expect(error.message).toMatch(message);
    expect(e.bodies).toHaveLength(0);
    expect(mock.state.oauthCalls).toBe(tokensBefore);
  });

  it('refuses an http:// callbackUrl in production and a local one against Daraja, before sending', async () => {
    const e = route(PATH, { json: DOC_B2B_EXPRESS_ACK });
    const production = makeClient({
      environment: 'production',
      shortcode: '600000',
      passkey: 'a'.repeat(64),
    });
    const https = await rejection(production.b2bExpress.push(params));
    expect(https).toMatchObject({ name: 'DarajaValidationError', field: 'callbackUrl' });
    expect(https.message).toMatch(/https:\/\/ in production/);
    const local = await rejection(
      makeClient().b2bExpress.push({ ...params, callbackUrl: 'http://localhost/cb' }),
    );
    expect(local).toMatchObject({ field: 'callbackUrl' });
    expect(e.bodies).toHaveLength(0);
  });

  it.each([
    ['4102', 'Merchant KYC failure'],
    ['4104', 'Missing Nominated Number'],
  ])('throws a DarajaApiError carrying code %s from the acknowledgement, sent once', async (code, status) => {
    const e = route(PATH, { json: { code, status } });
    const error = await rejection(makeClient({ maxRetries: 5 }).b2bExpress.push(params));
    expect(error).toBeInstanceOf(DarajaApiError);
    expect(error).not.toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error).toMatchObject({ operation: 'b2bExpress.push', errorCode: code, errorMessage: status });
    expect(describeB2bExpressCode(code).status).toBe('failed');
    expect(e.bodies).toHaveLength(1);
  });

  it('sends exactly one request after a timeout and reports an unknown outcome with the advice', async () => {
    const e = route(PATH, { hang: 1_000 });
    const error = await rejection(makeClient({ timeoutMs: 80, maxRetries: 5 }).b2bExpress.push(params));
    await delay(50);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect((error as DarajaUnknownOutcomeError).cause).toBeInstanceOf(DarajaTimeoutError);
    expect(error.message).toMatch(/NOT resent[\s\S]*prompt the merchant twice[\s\S]*requestRefId "3f1c1e5a/);
    expect(e.bodies).toHaveLength(1);
  });

  it.each([
    ['a dropped connection', { error: true } as Answer],
    ['a gateway 502', { text: '<html>502 Bad Gateway</html>', status: 502 } as Answer],
    ['a gateway 504 fault', { json: { fault: { faultstring: 'Gateway Timeout' } }, status: 504 } as Answer],
    ['an unreadable 200', { text: 'OK', status: 200 } as Answer],
    ['a 200 without a code', { json: { status: 'USSD Initiated Successfully' } } as Answer],
  ])('never resends after %s: an unknown outcome, never success nor failure', async (_n, answer) => {
    const e = route(PATH, answer);
    const error = await rejection(makeClient({ maxRetries: 5 }).b2bExpress.push(params));
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(e.bodies).toHaveLength(1);
  });
});
