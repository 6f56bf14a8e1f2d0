import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../examples/shared/config.js';
import { initiateLimits } from '../../examples/shared/rate-limits.js';
import type { RunningApp } from '../../examples/shared/running-app.js';
import { apiFor, QUICK_FRAMEWORKS, startExample } from '../helpers/example-apps.js';
import { captured } from '../helpers/logger.js';

// Starting a payment sends an STK prompt to someone's phone: one user must not be able to send hundreds
// a minute, to their own phone or anyone else's. Limits per signed-in user and per (normalised) phone
// number, with express-rate-limit and @fastify/rate-limit, numbers from examples/shared/config.ts.

const LIMITS = { perUser: 3, perPhone: 2, windowMs: 60_000 };

for (const framework of QUICK_FRAMEWORKS) {
  describe(`${framework.name} example: initiate rate limits`, () => {
    /** An app with these limits for the tests of one describe block (the counts carry over between them). */
    const appWith = (initiateRateLimit: typeof LIMITS) => {
      const ctx = {} as {
        app: RunningApp;
        alice: ReturnType<typeof apiFor>;
        bob: ReturnType<typeof apiFor>;
        logStart: number;
      };
      beforeAll(async () => {
        ctx.app = await startExample(framework, 'PGlite', { initiateRateLimit });
        ctx.alice = apiFor(ctx.app, 'demo-token-alice');
        ctx.bob = apiFor(ctx.app, 'demo-token-bob');
        ctx.logStart = captured.length;
      }, 60_000);
      afterAll(async () => {
        await ctx.app?.service.simulator?.idle();
        await ctx.app?.close();
      });
      return {
        ctx,
        pushes: () => ctx.app.service.simulator!.transactions.length,
        /** The app's log lines about refused requests, since it started. */
        limitedLogs: () => captured.slice(ctx.logStart).filter((l) => l.includes('initiate rate-limited')),
      };
    };
    const initiate = (api: ReturnType<typeof apiFor>, phoneNumber: string) =>
      api('/api/subscription/initiate-mpesa', { method: 'POST', body: { plan: 'basic', phoneNumber } });
    const expectLimited = (r: Awaited<ReturnType<typeof initiate>>) => {
      expect(r.status, r.text).toBe(429);
      expect(r.body).toEqual({
        error: 'rate_limited',
        message: expect.stringMatching(/Try again in \d+ seconds\.$/),
        retryAfterSeconds: expect.any(Number),
      });
      const seconds = r.body['retryAfterSeconds'] as number;
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(r.headers.get('retry-after')).toBe(String(seconds));
      expect(r.text).not.toMatch(/7120000\d\d/); // no phone number in the answer
    };

    describe(`per user (${LIMITS.perUser} a minute)`, () => {
      const { ctx, pushes, limitedLogs } = appWith({ ...LIMITS, perPhone: 100 });

      it('the (N+1)th initiate from one user in the window is a 429 and sends no prompt; another user is unaffected', async () => {
        const { alice, bob } = ctx;
        for (const phone of ['0712000010', '0712000011', '0712000012']) {
          expect((await initiate(alice, phone)).status).toBe(202);
        }
        expect(pushes()).toBe(3);
        const fourth = await initiate(alice, '0712000013');
        expectLimited(fourth);
        expect(fourth.body['message']).toMatch(/^You have started too many payments/);
        expect(pushes()).toBe(3);
        // Still limited, whatever it asks for; an unauthenticated request is a 401, not counted.
        expectLimited(await initiate(alice, '0712000014'));
        expect(
          (await alice('/api/subscription/initiate-mpesa', { method: 'POST', body: {}, token: null })).status,
        ).toBe(401);
        // Bob, on his own phone, is not affected.
        expect((await initiate(bob, '0712000020')).status).toBe(202);
        expect(pushes()).toBe(4);
        // Reading is not limited.
        expect((await alice('/api/subscription')).status).toBe(200);
        // The log says who was limited, never the full phone number (the leak scan checks the rest).
        const logged = limitedLogs();
        expect(logged).toHaveLength(2);
        expect(logged.every((l) => l.includes('"userId":"user-alice"') && l.includes('"limit":"user"'))).toBe(
          true,
        );
      });
    });

    describe(`per phone (${LIMITS.perPhone} a minute)`, () => {
      const { ctx, pushes, limitedLogs } = appWith({ ...LIMITS, perUser: 100 });

      it('two users on one phone share the phone limit, however the number is written', async () => {
        const { alice, bob } = ctx;
        expect((await initiate(alice, '0712 000 030')).status).toBe(202);
        expect((await initiate(bob, '+254712000030')).status).toBe(202);
        expect(pushes()).toBe(2);
        const third = await initiate(alice, '254712000030');
        expectLimited(third);
        expect(third.body['message']).toMatch(/^Too many payment prompts were sent to this phone number/);
        expectLimited(await initiate(bob, '0712-000-030'));
        expect(pushes()).toBe(2);
        // The limit is on that phone: both still reach other phones.
        expect((await initiate(alice, '0712000031')).status).toBe(202);
        expect((await initiate(bob, '0712000032')).status).toBe(202);
        expect(pushes()).toBe(4);
        const logged = limitedLogs();
        expect(logged).toHaveLength(2);
        expect(logged.every((l) => l.includes('"limit":"phone"') && l.includes('2547****0030'))).toBe(true); // masked
      });

      it('an invalid phone number is a 400, not counted against the phone limit', async () => {
        const { alice } = ctx;
        const before = pushes();
        expect((await initiate(alice, '0812000040')).status).toBe(400);
        expect((await initiate(alice, '0712000040\u0000')).status).toBe(400);
        for (let i = 0; i < LIMITS.perPhone; i++)
          expect((await initiate(alice, '0712000040')).status).toBe(202);
        expectLimited(await initiate(alice, '0712000040'));
        expect(pushes()).toBe(before + LIMITS.perPhone);
      });
    });
  });
}

describe('initiate rate-limit configuration', () => {
  it('defaults to 5 per user and 3 per phone a minute, and reads the RATE_LIMIT_* variables', () => {
    expect(configFromEnv({}, 'x').initiateRateLimit).toEqual({ perUser: 5, perPhone: 3, windowMs: 60_000 });
    expect(
      configFromEnv(
        {
          RATE_LIMIT_INITIATE_PER_USER: '10',
          RATE_LIMIT_INITIATE_PER_PHONE: '0',
          RATE_LIMIT_WINDOW_MS: '30000',
        },
        'x',
      ).initiateRateLimit,
    ).toEqual({ perUser: 10, perPhone: 0, windowMs: 30_000 });
    expect(() => configFromEnv({ RATE_LIMIT_INITIATE_PER_USER: 'lots' }, 'x')).toThrow(
      /RATE_LIMIT_INITIATE_PER_USER: must be a whole number/,
    );
    expect(() => configFromEnv({ RATE_LIMIT_WINDOW_MS: '0' }, 'x')).toThrow(/RATE_LIMIT_WINDOW_MS/);
  });

  it('a limit of 0 turns it off: the adapters get no limiter for it', () => {
    const names = (perUser: number, perPhone: number) =>
      initiateLimits({ initiateRateLimit: { perUser, perPhone, windowMs: 60_000 } }).map((l) => l.name);
    expect(names(5, 3)).toEqual(['user', 'phone']);
    expect(names(0, 3)).toEqual(['phone']);
    expect(names(5, 0)).toEqual(['user']);
    expect(names(0, 0)).toEqual([]);
  });

  it('keys the phone limit on the normalised number, never the number itself', () => {
    const [, phone] = initiateLimits({ initiateRateLimit: { perUser: 5, perPhone: 3, windowMs: 60_000 } });
    const user = { id: 'u', name: 'U', token: 't' };
    const key = phone!.key(user, { phoneNumber: '0712 345 678' });
    expect(key).toMatch(/^phone:[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('712345678');
    for (const form of ['+254712345678', '254712345678', '712345678', '0712-345-678'])
      expect(phone!.key(user, { phoneNumber: form })).toBe(key);
    expect(phone!.key(user, { phoneNumber: '0712345679' })).not.toBe(key);
    for (const none of [{}, { phoneNumber: '0812345678' }, { phoneNumber: '0712345678\u0000' }, null])
      expect(phone!.key(user, none)).toBeUndefined();
  });

  it('reads the DATABASE_*_TIMEOUT_MS variables, with defaults', () => {
    expect(configFromEnv({}, 'x').databaseTimeouts).toEqual({
      connectMs: 5_000,
      statementMs: 5_000,
      queryMs: 8_000,
      idleMs: 10_000,
    });
    expect(
      configFromEnv(
        {
          DATABASE_CONNECT_TIMEOUT_MS: '1000',
          DATABASE_STATEMENT_TIMEOUT_MS: '0',
          DATABASE_QUERY_TIMEOUT_MS: '2000',
          DATABASE_IDLE_TIMEOUT_MS: '3000',
        },
        'x',
      ).databaseTimeouts,
    ).toEqual({ connectMs: 1_000, statementMs: 0, queryMs: 2_000, idleMs: 3_000 });
  });
});
