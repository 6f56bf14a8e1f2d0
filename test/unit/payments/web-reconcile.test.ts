import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebReconcileHandler, DarajaConfigError, type PaymentFlow } from '../../../src/index.js';
import { useMsw } from '../../helpers/fake-daraja.js';
import { initiateParams, makeFlow, scriptedDaraja } from '../../helpers/flow.js';
import { captured, testLogger } from '../../helpers/logger.js';

// The cron route: method and bearer-secret checks before anything runs, then flow.reconcile() answered
// as its summary (counts only).

const daraja = scriptedDaraja();
useMsw(...daraja.handlers);

const SECRET = 'cron-secret-TEST-5f0c1e9a7b3d';
const URL_ = 'https://merchant.example.com/api/reconcile';

function call(method: string, authorization?: string) {
  return new Request(URL_, { method, headers: authorization === undefined ? {} : { authorization } });
}

/** A flow that counts its reconcile runs. */
function countingFlow() {
  const f = makeFlow();
  let runs = 0;
  const reconcile = f.flow.reconcile.bind(f.flow);
  const counted: Pick<PaymentFlow, 'reconcile'> = {
    reconcile: (...args) => {
      runs++;
      return reconcile(...args);
    },
  };
  return { ...f, counted: counted as PaymentFlow, runs: () => runs };
}

describe('createWebReconcileHandler', () => {
  it('refuses without the right bearer secret (401) and runs nothing', async () => {
    const f = countingFlow();
    const handle = createWebReconcileHandler(f.counted, { secret: SECRET, logger: testLogger });
    for (const authorization of [
      undefined,
      '',
      SECRET,
      `Bearer ${SECRET.slice(0, -1)}x`,
      `Bearer ${SECRET}x`,
      `bearer ${SECRET}`,
      'Bearer ',
    ]) {
      const response = await handle(call('GET', authorization));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual({ error: 'unauthorized' });
    }
    expect(f.runs()).toBe(0);
    expect(captured.join('\n')).not.toContain(SECRET);
  });

  it('answers 405 to other methods, before checking the secret', async () => {
    const f = countingFlow();
    const handle = createWebReconcileHandler(f.counted, { secret: SECRET });
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const response = await handle(call(method, `Bearer ${SECRET}`));
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, POST');
    }
    expect(f.runs()).toBe(0);
  });

  it('runs reconcile with the right secret (GET or POST) and answers its summary', async () => {
    const f = countingFlow();
    await f.flow.initiate(initiateParams);
    const handle = createWebReconcileHandler(f.counted, { secret: SECRET, olderThanMs: 0, limit: 10 });
    const response = await handle(call('GET', `Bearer ${SECRET}`));
    expect(response.status).toBe(200);
    const summary = (await response.json()) as Record<string, unknown>;
    expect(summary).toMatchObject({ replayed: 0, checked: 1, stillPending: 1 });
    expect(Object.values(summary).every((v) => typeof v === 'number' || typeof v === 'object')).toBe(true);
    expect((await handle(call('POST', `Bearer ${SECRET}`))).status).toBe(200);
    expect(f.runs()).toBe(2);
  });

  it('answers 500 without details when reconcile throws, and logs it', async () => {
    const flow = {
      reconcile: async () => {
        throw new Error('reconcile-broke-TEST');
      },
    } as unknown as PaymentFlow;
    const response = await createWebReconcileHandler(flow, { secret: SECRET, logger: testLogger })(
      call('GET', `Bearer ${SECRET}`),
    );
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'reconcile_failed' });
    expect(captured.some((l) => l.includes('reconcile-broke-TEST'))).toBe(true);
  });

  describe('hashing the secret', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });
    const spyDigest = () => vi.spyOn(globalThis.crypto.subtle, 'digest');

    it('does no crypto when built (a Worker global scope), and hashes the secret once for many requests', async () => {
      const digest = spyDigest();
      const f = countingFlow();
      const handle = createWebReconcileHandler(f.counted, { secret: SECRET, olderThanMs: 0 });
      expect(digest).not.toHaveBeenCalled();
      // Each request hashes the header it was given; only the first also hashes the secret.
      expect((await handle(call('GET', `Bearer ${SECRET}`))).status).toBe(200);
      expect(digest).toHaveBeenCalledTimes(2);
      expect((await handle(call('GET', 'Bearer wrong-secret-TEST-000000'))).status).toBe(401);
      expect(digest).toHaveBeenCalledTimes(3);
      // Two first requests at once share the one digest of the secret.
      const fresh = createWebReconcileHandler(f.counted, { secret: SECRET, olderThanMs: 0 });
      const both = await Promise.all([
        fresh(call('GET', `Bearer ${SECRET}`)),
        fresh(call('POST', `Bearer ${SECRET}`)),
      ]);
      expect(both.map((r) => r.status)).toEqual([200, 200]);
      expect(digest).toHaveBeenCalledTimes(6);
      expect(f.runs()).toBe(3);
    });

    it('does not keep a failed digest of the secret: the next request hashes it again', async () => {
      const subtle = globalThis.crypto.subtle;
      const original = subtle.digest.bind(subtle);
      // The first request hashes the given header, then the secret: that second digest fails.
      const digest = spyDigest()
        .mockImplementationOnce(original)
        .mockImplementationOnce(() => Promise.reject(new Error('digest-broke-TEST')));
      const f = countingFlow();
      const handle = createWebReconcileHandler(f.counted, { secret: SECRET, olderThanMs: 0 });
      await expect(handle(call('GET', `Bearer ${SECRET}`))).rejects.toThrow('digest-broke-TEST');
      expect(f.runs()).toBe(0);
      expect((await handle(call('GET', `Bearer ${SECRET}`))).status).toBe(200);
      expect(digest).toHaveBeenCalledTimes(4);
      expect((await handle(call('GET', `Bearer ${SECRET}`))).status).toBe(200);
      expect(digest).toHaveBeenCalledTimes(5);
      expect(f.runs()).toBe(2);
    });
  });

  it('refuses a missing or short secret, or a non-flow, with a DarajaConfigError', () => {
    const { flow } = makeFlow();
    expect(() => createWebReconcileHandler(flow, { secret: '' })).toThrow(DarajaConfigError);
    expect(() => createWebReconcileHandler(flow, { secret: 'short' })).toThrow(
      /secret: must be a random string/,
    );
    expect(() => createWebReconcileHandler(flow, {} as { secret: string })).toThrow(/secret/);
    expect(() => createWebReconcileHandler({} as PaymentFlow, { secret: SECRET })).toThrow(/flow:/);
  });
});
