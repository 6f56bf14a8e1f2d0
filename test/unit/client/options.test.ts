import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DARAJA_BASE_URLS, Daraja, DarajaConfigError } from '../../../src/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, PASSKEY, SHORTCODE } from '../../fixtures/constants.js';
import { thrown } from '../../helpers/thrown.js';

const configError = (fn: () => unknown): DarajaConfigError => thrown(DarajaConfigError, fn);

const base = { consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET };

describe('new Daraja(options)', () => {
  it('picks the environment base URL and lets baseUrl override it', () => {
    expect(new Daraja(base).baseUrl).toBe(DARAJA_BASE_URLS.sandbox);
    expect(new Daraja({ ...base, environment: 'production' }).baseUrl).toBe('https://api.safaricom.co.ke');
    expect(new Daraja({ ...base, environment: 'sandbox' }).baseUrl).toBe('https://sandbox.safaricom.co.ke');
    const local = new Daraja({ ...base, baseUrl: 'http://127.0.0.1:4010/' });
    expect(local.baseUrl).toBe('http://127.0.0.1:4010');
  });

  it('reports every invalid option at once', () => {
    const e = configError(
      () =>
        new Daraja({
          consumerKey: '',
          consumerSecret: 42,
          environment: 'live',
          baseUrl: 'not a url',
          shortcode: '12',
          passkey: '',
          timeoutMs: 0,
          maxRetries: 99,
          fetch: 'fetch',
          tokenCache: {},
          logger: 'console',
          consumerkey: 'typo',
        } as never),
    );
    const fields = e.issues.map((i) => i.field).sort();
    expect(fields).toEqual(
      [
        'baseUrl',
        'consumerKey',
        'consumerSecret',
        'consumerkey',
        'environment',
        'fetch',
        'logger',
        'maxRetries',
        'passkey',
        'shortcode',
        'timeoutMs',
        'tokenCache',
      ].sort(),
    );
    for (const issue of e.issues) expect(issue.message.length).toBeGreaterThan(10);
  });

  it('requires HTTPS callback URLs in production and rejects spaces', () => {
    expect(
      configError(
        () => new Daraja({ ...base, environment: 'production', callbackUrl: 'http://x.example.com/cb' }),
      ).issues[0],
    ).toMatchObject({ field: 'callbackUrl', message: expect.stringMatching(/https/) });
    expect(
      configError(() => new Daraja({ ...base, callbackUrl: 'https://x.example.com/c b' })).issues[0]?.message,
    ).toMatch(/whitespace/);
    // A local URL is fine against the simulator (baseUrl), not against Daraja (see config-checks.test.ts).
    expect(
      () =>
        new Daraja({ ...base, baseUrl: 'http://127.0.0.1:4010', callbackUrl: 'http://localhost:3000/cb' }),
    ).not.toThrow();
  });

  it('requires a till number for Buy Goods', () => {
    expect(
      configError(() => new Daraja({ ...base, transactionType: 'CustomerBuyGoodsOnline' })).issues[0]?.field,
    ).toBe('tillNumber');
  });

  it('keeps secrets out of inspect, JSON and string forms', () => {
    const d = new Daraja({ ...base, shortcode: SHORTCODE, passkey: PASSKEY });
    for (const text of [
      inspect(d, { depth: 10, showHidden: true }),
      JSON.stringify(d),
      String(d),
      inspect(d.stk, { depth: 10, showHidden: true }),
    ]) {
      expect(text).not.toContain(CONSUMER_SECRET);
      expect(text).not.toContain(CONSUMER_KEY);
      expect(text).not.toContain(PASSKEY);
    }
  });
});

describe('Daraja.fromEnv', () => {
  it('builds a client from the MPESA_* variables', () => {
    const d = Daraja.fromEnv({
      MPESA_ENVIRONMENT: 'production',
      MPESA_CONSUMER_KEY: CONSUMER_KEY,
      MPESA_CONSUMER_SECRET: CONSUMER_SECRET,
      // Production refuses the sandbox's public shortcode and passkey (config-checks.test.ts).
      MPESA_SHORTCODE: '4012345',
      MPESA_PASSKEY: 'production-passkey-not-the-sandbox-one',
      MPESA_CALLBACK_URL: 'https://example.com/cb',
    });
    expect(d.environment).toBe('production');
    expect(d.baseUrl).toBe('https://api.safaricom.co.ke');
  });

  it('reports every missing or invalid variable in one error, by variable name', () => {
    const e = configError(() =>
      Daraja.fromEnv({ MPESA_ENVIRONMENT: 'staging', MPESA_CALLBACK_URL: 'ftp://x', MPESA_SHORTCODE: 'abc' }),
    );
    expect(e.issues.map((i) => i.field).sort()).toEqual(
      [
        'MPESA_CALLBACK_URL',
        'MPESA_CONSUMER_KEY',
        'MPESA_CONSUMER_SECRET',
        'MPESA_ENVIRONMENT',
        'MPESA_PASSKEY',
        'MPESA_SHORTCODE',
      ].sort(),
    );
    expect(e.message).toContain('6 problems');
  });

  it('treats empty variables as missing', () => {
    const e = configError(() =>
      Daraja.fromEnv({
        MPESA_CONSUMER_KEY: '  ',
        MPESA_CONSUMER_SECRET: '',
        MPESA_SHORTCODE: SHORTCODE,
        MPESA_PASSKEY: PASSKEY,
      }),
    );
    expect(e.issues.map((i) => i.field).sort()).toEqual(['MPESA_CONSUMER_KEY', 'MPESA_CONSUMER_SECRET']);
  });

  it('lets overrides fill or replace variables', () => {
    const d = Daraja.fromEnv(
      { MPESA_SHORTCODE: SHORTCODE },
      { ...base, passkey: PASSKEY, baseUrl: 'http://127.0.0.1:9' },
    );
    expect(d.baseUrl).toBe('http://127.0.0.1:9');
  });

  it('never puts secret values in the error', () => {
    const e = configError(() =>
      Daraja.fromEnv({
        MPESA_CONSUMER_SECRET: CONSUMER_SECRET,
        MPESA_PASSKEY: PASSKEY,
        MPESA_SHORTCODE: 'x',
      }),
    );
    expect(e.message).not.toContain(CONSUMER_SECRET);
    expect(e.message).not.toContain(PASSKEY);
  });
});
