import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DarajaApiError,
  DarajaNetworkError,
  DarajaUnknownOutcomeError,
} from '../../../src/core/errors.js';
import { makeClient, rejection } from '../../helpers/client.js';
import { errorLeaks } from '../../helpers/leak-scan.js';
import { startLocalDaraja } from '../../helpers/local-daraja.js';

// The failure modes of error-hygiene.test.ts on real sockets (no msw here: it would intercept them), where
// undici's own errors (SocketError with its socket details, AggregateError) end up in the cause chain.

const push = { phoneNumber: '0712345678', amount: 10, accountReference: 'A1' };
const expectNoSecrets = (error: unknown) => expect(errorLeaks(error)).toEqual([]);
const causes = (error: unknown): unknown[] => {
  const out: unknown[] = [];
  for (let e = (error as Error).cause; e !== undefined && out.length < 10; e = (e as Error).cause)
    out.push(e);
  return out;
};

describe('thrown errors carry no secret (real sockets)', () => {
  let daraja: Awaited<ReturnType<typeof startLocalDaraja>>;
  beforeAll(async () => {
    daraja = await startLocalDaraja();
  });
  afterAll(() => daraja.close());

  async function pushWith(mode: 'hang' | 'reset-after-body' | 'html-500', timeoutMs = 5_000) {
    daraja.state.pushMode = mode;
    try {
      return await rejection(makeClient({ baseUrl: daraja.baseUrl, timeoutMs }).stk.push(push));
    } finally {
      daraja.state.pushMode = 'ok';
    }
  }

  it('an STK push timeout (unknown outcome)', async () => {
    const error = await pushWith('hang', 150);
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expectNoSecrets(error);
  });

  it('an STK push connection reset after the body was written (unknown outcome), keeping the error code', async () => {
    const error = await pushWith('reset-after-body');
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect(error.cause).toBeInstanceOf(DarajaNetworkError);
    expectNoSecrets(error);
    expect(causes(error).some((c) => typeof (c as { code?: unknown }).code === 'string')).toBe(true);
  });

  it('an STK push answered by an HTML 500 (unknown outcome)', async () => {
    const error = await pushWith('html-500');
    expect(error).toBeInstanceOf(DarajaUnknownOutcomeError);
    expect((error.cause as DarajaApiError).body).toMatch(/500 Internal Server Error/);
    expectNoSecrets(error);
  });

  it('an OAuth connection reset before any answer', async () => {
    const sockets = new Set<Socket>();
    const reset = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => reset.listen(0, '127.0.0.1', resolve));
    const { port } = reset.address() as { port: number };
    try {
      const error = await rejection(
        makeClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 }).verifyCredentials(),
      );
      expect(error).toBeInstanceOf(DarajaNetworkError);
      expectNoSecrets(error);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => reset.close(() => resolve()));
    }
  });
});
