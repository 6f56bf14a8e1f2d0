import { createHash } from 'node:crypto';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DarajaApiError, DarajaAuthError, DarajaNetworkError } from '../../../../src/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, SANDBOX, TOKEN_PREFIX } from '../../../fixtures/constants.js';
import { makeClient } from '../../../helpers/client.js';
import { fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';
import { captured } from '../../../helpers/logger.js';
import { SharedFakeCache } from '../../../helpers/token-caches.js';

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const KEY = `daraja-sdk:token:sandbox:${createHash('sha256').update(CONSUMER_KEY).digest('hex').slice(0, 16)}`;
/** Four clients sharing `cache`: four processes sharing one Redis. */
const processes = (cache: SharedFakeCache, n = 4) =>
  Array.from({ length: n }, () => makeClient({ tokenCache: cache, maxRetries: 0 }));
const query = (d = makeClient()) => d.stk.query('ws_CO_191220191020363925');

afterEach(() => {
  mock.state.oauthCalls = 0;
  mock.state.queryCalls = 0;
  mock.state.validTokens.clear();
  mock.state.oauthDelayMs = 0;
  vi.useRealTimers();
});

function failingOauth(status: number) {
  const seen = { calls: 0 };
  server.use(
    http.get(`${SANDBOX}/oauth/v1/generate`, () => {
      seen.calls += 1;
      return status === 0 ? HttpResponse.error() : new HttpResponse('', { status });
    }),
  );
  return seen;
}

describe('token manager with a shared cache that has a refresh lock', () => {
  it('four cold processes with 50 concurrent calls each make one OAuth request', async () => {
    mock.state.oauthDelayMs = 30; // the holder is still fetching while the others poll
    const cache = new SharedFakeCache();
    const clients = processes(cache);
    const results = await Promise.all(clients.flatMap((d) => Array.from({ length: 50 }, () => query(d))));
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    expect(mock.state.oauthCalls).toBe(1);
    expect(cache.ops.filter((op) => op === 'lock:taken')).toHaveLength(1);
    expect(cache.ops).toContain('lock:busy'); // the three others waited instead of fetching
    expect(cache.entries.has(`${KEY}:lock`)).toBe(false); // released
  });

  it('waits for the token another process is fetching (lock held elsewhere), without an OAuth request', async () => {
    const cache = new SharedFakeCache();
    cache.holdLock(KEY, 60_000);
    const pending = query(makeClient({ tokenCache: cache }));
    await new Promise((r) => setTimeout(r, 50));
    expect(mock.state.oauthCalls).toBe(0);
    const token = `${TOKEN_PREFIX}from-elsewhere`;
    mock.state.validTokens.add(token);
    await cache.set(KEY, { accessToken: token, expiresAt: Date.now() + 3_000_000 });
    expect((await pending).status).toBe('completed');
    expect(mock.state.oauthCalls).toBe(0);
    expect(mock.state.authHeaders.at(-1)).toBe(`Bearer ${token}`);
  });

  it('takes the lock when it expires without a token (the holder died), and fetches once', async () => {
    const cache = new SharedFakeCache();
    cache.holdLock(KEY, 150);
    const clients = processes(cache, 3);
    const results = await Promise.all(clients.map((d) => query(d)));
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    expect(mock.state.oauthCalls).toBe(1);
    expect(cache.ops.indexOf('lock:busy')).toBeLessThan(cache.ops.indexOf('lock:taken'));
  });

  it('does not block payments when the cache is down: each process fetches, one warning per incident', async () => {
    const cache = new SharedFakeCache();
    cache.down = true;
    const before = captured.length;
    const [a, b] = processes(cache, 2) as [ReturnType<typeof makeClient>, ReturnType<typeof makeClient>];
    const results = await Promise.all([...Array.from({ length: 10 }, () => query(a)), query(b)]);
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    expect(mock.state.oauthCalls).toBe(2); // one per process: the in-process single-flight still holds
    await query(a); // still down: no new warning
    const warnings = captured.slice(before).filter((l) => l.startsWith('warn') && l.includes('token cache'));
    expect(warnings).toHaveLength(2); // one per process
    cache.down = false;
    await query(a); // recovered: stores and reads again
    cache.down = true;
    await query(a);
    const after = captured.slice(before).filter((l) => l.startsWith('warn') && l.includes('token cache'));
    expect(after).toHaveLength(3); // a new incident, a new warning
  });

  it.each([
    [500, DarajaApiError, 'DarajaApiError'],
    [400, DarajaAuthError, 'DarajaAuthError'],
    [0, DarajaNetworkError, 'DarajaNetworkError'],
  ])(
    'after OAuth answers %s, other processes fail fast with the same class until the negative cache expires',
    async (status, Class, name) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const cache = new SharedFakeCache(5_000);
      const oauth = failingOauth(status);
      const [a, b, c] = processes(cache, 3) as ReturnType<typeof makeClient>[];
      const first = await query(a).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(Class);
      expect(oauth.calls).toBe(1);
      const others = await Promise.all([b, c, a].map((d) => query(d).catch((e: unknown) => e)));
      for (const e of others) {
        expect(e).toBeInstanceOf(Class);
        expect(e).toMatchObject({ name, operation: 'oauth' });
        expect((e as Error).message).toMatch(/OAuth failed \d+ s ago in a process sharing this token cache/);
      }
      expect(oauth.calls).toBe(1); // not hammered
      const stored = cache.entries.get(`${KEY}:failure`)?.value ?? '';
      expect(stored).toContain(name);
      for (const secret of [CONSUMER_KEY, CONSUMER_SECRET, 'Basic ']) expect(stored).not.toContain(secret);
      vi.advanceTimersByTime(5_001);
      await query(b).catch(() => undefined);
      expect(oauth.calls).toBe(2); // the window passed: OAuth is asked again
    },
  );

  it('clears an invalid token from the shared cache and replays once after a refresh', async () => {
    const cache = new SharedFakeCache();
    const [a, b] = processes(cache, 2) as ReturnType<typeof makeClient>[];
    await query(a);
    mock.state.validTokens.clear(); // Daraja invalidated it
    mock.state.queryCalls = 0;
    expect((await query(b)).status).toBe('completed');
    expect(mock.state.oauthCalls).toBe(2);
    expect(mock.state.queryCalls).toBe(2);
    expect(JSON.parse(cache.entries.get(KEY)?.value ?? '{}')).toMatchObject({
      accessToken: `${TOKEN_PREFIX}2`,
    });
    await query(a); // the other process reads the new token
    expect(mock.state.oauthCalls).toBe(2);
  });
});
