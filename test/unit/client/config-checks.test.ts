import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createPaymentFlow,
  Daraja,
  DarajaConfigError,
  DarajaValidationError,
  MemoryPaymentStore,
} from '../../../src/index.js';
import {
  CALLBACK_SECRET,
  CONSUMER_KEY,
  CONSUMER_SECRET,
  PASSKEY,
  SANDBOX,
  SHORTCODE,
} from '../../fixtures/constants.js';
import { makeClient, rejection } from '../../helpers/client.js';
import { endpoint, fakeDaraja, useMsw } from '../../helpers/fake-daraja.js';
import { thrown } from '../../helpers/thrown.js';

const SIMULATOR = 'http://127.0.0.1:4010';
const mock = fakeDaraja();
const simulatorMock = fakeDaraja({ base: SIMULATOR });
const server = useMsw(...mock.handlers, simulatorMock.oauth);

const base = { consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET };
/** Credentials that could be production's (not the sandbox's public ones). */
const LIVE = { shortcode: '4012345', passkey: 'production-passkey-not-the-sandbox-one' };

const configError = (fn: () => unknown): DarajaConfigError => thrown(DarajaConfigError, fn);

describe('production with the sandbox credentials', () => {
  it('refuses the sandbox shortcode and passkey at construction, naming each field and the fix', () => {
    const e = configError(
      () => new Daraja({ ...base, environment: 'production', shortcode: SHORTCODE, passkey: PASSKEY }),
    );
    expect(e.issues).toEqual([
      { field: 'shortcode', message: expect.stringMatching(/174379 is the sandbox test shortcode.*go-live/) },
      { field: 'passkey', message: expect.stringMatching(/public sandbox passkey.*go-live/) },
    ]);
    expect(e.message).toMatch(/environment: "sandbox"/);
    expect(e.message).not.toContain(PASSKEY);
    // Either one alone is refused too.
    expect(
      configError(() => new Daraja({ ...base, environment: 'production', shortcode: 174379, passkey: 'x' }))
        .issues[0]?.field,
    ).toBe('shortcode');
    expect(
      configError(
        () => new Daraja({ ...base, environment: 'production', shortcode: LIVE.shortcode, passkey: PASSKEY }),
      ).issues[0]?.field,
    ).toBe('passkey');
  });

  it('names the environment variables with fromEnv', () => {
    const e = configError(() =>
      Daraja.fromEnv({
        MPESA_ENVIRONMENT: 'production',
        MPESA_CONSUMER_KEY: CONSUMER_KEY,
        MPESA_CONSUMER_SECRET: CONSUMER_SECRET,
        MPESA_SHORTCODE: SHORTCODE,
        MPESA_PASSKEY: PASSKEY,
      }),
    );
    expect(e.issues.map((i) => i.field)).toEqual(['MPESA_SHORTCODE', 'MPESA_PASSKEY']);
  });

  it('accepts them in the sandbox, against a simulator, and real credentials in production', () => {
    expect(() => new Daraja({ ...base, shortcode: SHORTCODE, passkey: PASSKEY })).not.toThrow();
    expect(
      () =>
        new Daraja({
          ...base,
          environment: 'production',
          baseUrl: SIMULATOR,
          shortcode: SHORTCODE,
          passkey: PASSKEY,
        }),
    ).not.toThrow();
    expect(() => new Daraja({ ...base, environment: 'production', ...LIVE })).not.toThrow();
  });
});

const UNREACHABLE = [
  'http://localhost:3000/payments/callback',
  'https://app.localhost/payments/callback',
  'https://my-laptop.local/payments/callback',
  'http://127.0.0.1:3000/payments/callback',
  'http://10.0.0.5/payments/callback',
  'http://172.20.1.1/payments/callback',
  'http://192.168.1.20:8080/payments/callback',
  'http://169.254.10.10/payments/callback',
  'http://0.0.0.0:3000/payments/callback',
  'http://[::1]:3000/payments/callback',
  'http://[fd00::5]/payments/callback',
  'http://[fe80::1]/payments/callback',
  'http://[::ffff:192.168.0.1]/payments/callback',
];

describe('callback URLs Daraja cannot reach', () => {
  it.each(UNREACHABLE)('refuses %s as the client default (DarajaConfigError)', (url) => {
    const e = configError(() => new Daraja({ ...base, callbackUrl: url }));
    expect(e.issues).toEqual([
      { field: 'callbackUrl', message: expect.stringMatching(/Daraja cannot reach it.*baseUrl/) },
    ]);
  });

  it('refuses a per-call STK callbackUrl before anything is sent (DarajaValidationError)', async () => {
    const push = endpoint('/mpesa/stkpush/v1/processrequest', { json: {} });
    server.use(push.handler);
    for (const callbackUrl of UNREACHABLE) {
      const e = await rejection(
        makeClient().stk.push({ phoneNumber: '0712345678', amount: 1, accountReference: 'A1', callbackUrl }),
      );
      expect(e).toBeInstanceOf(DarajaValidationError);
      expect(e).toMatchObject({ field: 'callbackUrl', message: expect.stringMatching(/cannot reach/) });
    }
    expect(push.bodies).toEqual([]);
  });

  it("refuses the payment flow's callbackUrl", () => {
    const e = configError(() =>
      createPaymentFlow({
        daraja: makeClient(),
        store: new MemoryPaymentStore(),
        callbackUrl: 'http://localhost:3000/api/subscription/callback',
        callbackSecret: CALLBACK_SECRET,
        onCompleted: () => {},
      }),
    );
    expect(e.issues.map((i) => i.field)).toEqual(['callbackUrl']);
  });

  it('accepts public hosts and addresses', () => {
    for (const url of [
      'https://shop.example.com/payments/callback',
      'https://196.201.214.200/cb',
      'https://172.32.0.1/cb',
      'https://[2001:db8::1]/cb',
      'https://local.example.com/cb',
    ])
      expect(() => new Daraja({ ...base, callbackUrl: url })).not.toThrow();
  });

  it('allows local URLs against the simulator (baseUrl), for the client, stk.push and the flow', async () => {
    const local = 'http://127.0.0.1:3000/payments/callback';
    const daraja = makeClient({ baseUrl: SIMULATOR, callbackUrl: 'http://localhost:3000/cb' });
    server.use(
      http.post(`${SIMULATOR}/mpesa/stkpush/v1/processrequest`, () =>
        HttpResponse.json({
          MerchantRequestID: 'm-1',
          CheckoutRequestID: 'ws_CO_1',
          ResponseCode: '0',
          ResponseDescription: 'Success. Request accepted for processing',
          CustomerMessage: 'Success. Request accepted for processing',
        }),
      ),
    );
    const sent = await daraja.stk.push({
      phoneNumber: '0712345678',
      amount: 1,
      accountReference: 'A1',
      callbackUrl: local,
    });
    expect(sent.checkoutRequestId).toBe('ws_CO_1');
    expect(() =>
      createPaymentFlow({
        daraja,
        store: new MemoryPaymentStore(),
        callbackUrl: local,
        callbackSecret: CALLBACK_SECRET,
        onCompleted: () => {},
      }),
    ).not.toThrow();
  });

  it('requires https in production', () => {
    expect(
      configError(
        () =>
          new Daraja({
            ...base,
            environment: 'production',
            ...LIVE,
            callbackUrl: 'http://shop.example.com/cb',
          }),
      ).issues[0]?.message,
    ).toMatch(/https:\/\/ in production/);
  });
});

describe('c2b.registerUrls against Daraja', () => {
  const urls = {
    confirmationUrl: 'https://shop.example.com/payments/c2b/confirmation',
    validationUrl: 'https://shop.example.com/payments/c2b/validation',
  };

  it.each([
    ['https://shop.example.com/M-PESA/confirmation', /"M-PESA"/],
    ['https://shop.example.com/MPesa/confirmation', /"MPesa"/],
    ['https://safaricom-payments.example.com/confirmation', /"safaricom"/],
    ['https://shop.example.com/exec/confirmation', /"exec"/],
    ['https://shop.example.com/run.exe', /"exe"/],
    ['https://shop.example.com/cmd/confirmation', /"cmd"/],
    ['https://shop.example.com/SQL/confirmation', /"SQL"/],
    ['https://shop.example.com/c2b?Query=1', /"Query"/],
    ['https://abcd-1234.ngrok-free.app/c2b/confirmation', /ngrok, mockbin or requestbin/],
    ['https://abcd.ngrok.io/c2b/confirmation', /ngrok, mockbin or requestbin/],
    ['https://mockbin.org/bin/1234', /ngrok, mockbin or requestbin/],
    ['https://en1a2b.x.requestbin.com/c2b', /ngrok, mockbin or requestbin/],
  ])('refuses %s citing the documented rule, before sending', async (confirmationUrl, why) => {
    const register = endpoint('/mpesa/c2b/v1/registerurl', { json: { ResponseCode: '0' } });
    server.use(register.handler);
    const e = await rejection(makeClient().c2b.registerUrls({ ...urls, confirmationUrl }));
    expect(e).toBeInstanceOf(DarajaValidationError);
    expect(e).toMatchObject({ field: 'confirmationUrl' });
    expect(e.message).toMatch(why);
    expect(e.message).toMatch(/Safaricom's Register URL rules/);
    expect(register.bodies).toEqual([]);
  });

  it('sends any URL to a simulator (baseUrl)', async () => {
    const bodies: unknown[] = [];
    server.use(
      http.post(`${SIMULATOR}/mpesa/c2b/v1/registerurl`, async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json({ ResponseCode: '0', ResponseDescription: 'success' });
      }),
    );
    await makeClient({ baseUrl: SIMULATOR }).c2b.registerUrls({
      confirmationUrl: 'http://127.0.0.1:3000/mpesa/confirmation',
      validationUrl: 'https://abcd.ngrok-free.app/mpesa/validation',
    });
    expect(bodies).toHaveLength(1);
  });

  it('still sends clean URLs to Daraja', async () => {
    const register = endpoint('/mpesa/c2b/v1/registerurl', {
      json: { ResponseCode: '0', ResponseDescription: 'success' },
    });
    server.use(register.handler);
    await makeClient().c2b.registerUrls(urls);
    expect(register.bodies).toHaveLength(1);
    expect(SANDBOX).toContain('safaricom.co.ke');
  });
});
