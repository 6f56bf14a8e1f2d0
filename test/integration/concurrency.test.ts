import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeClient } from '../helpers/client.js';
import { startLocalDaraja } from '../helpers/local-daraja.js';

// Real sockets against a local node:http server (not msw): the single-flight token guarantee.
let daraja: Awaited<ReturnType<typeof startLocalDaraja>>;
beforeAll(async () => {
  daraja = await startLocalDaraja({ oauthDelayMs: 20 });
});
afterAll(() => daraja.close());
afterEach(() => {
  vi.useRealTimers();
});

const push = (client: ReturnType<typeof makeClient>, i: number) =>
  client.stk.push({
    phoneNumber: `0712${String(i).padStart(6, '0')}`,
    amount: 1 + (i % 100),
    accountReference: `INV-${i}`,
  });

describe('1,000 concurrent STK pushes on a cold client', () => {
  it('make exactly one OAuth request', async () => {
    const before = daraja.state.oauthCalls;
    const pushesBefore = daraja.state.pushCalls;
    const client = makeClient({ baseUrl: daraja.baseUrl, timeoutMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => push(client, i)));
    expect(results).toHaveLength(1000);
    expect(new Set(results.map((r) => r.checkoutRequestId)).size).toBe(1000);
    expect(daraja.state.oauthCalls - before).toBe(1);
    expect(daraja.state.pushCalls - pushesBefore).toBe(1000);
  });

  it('refresh a token that expires mid-burst exactly once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const before = daraja.state.oauthCalls;
    const client = makeClient({ baseUrl: daraja.baseUrl, timeoutMs: 60_000 });
    const firstHalf = Array.from({ length: 500 }, (_, i) => push(client, i));
    // Let the first token arrive and some pushes use it, then jump past its expiry while the rest of
    // the burst is still being sent.
    await Promise.race(firstHalf);
    expect(daraja.state.oauthCalls - before).toBe(1);
    vi.setSystemTime(Date.now() + 3600_000);
    const secondHalf = Array.from({ length: 500 }, (_, i) => push(client, 500 + i));
    const results = await Promise.all([...firstHalf, ...secondHalf]);
    expect(results).toHaveLength(1000);
    expect(daraja.state.oauthCalls - before).toBe(2);
  });
});
