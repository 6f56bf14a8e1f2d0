import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createPaymentFlow,
  createWebCallbackHandler,
  MemoryPaymentStore,
  type Payment,
  type WebHandler,
} from '../../src/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { CALLBACK_SECRET, CONSUMER_KEY, CONSUMER_SECRET } from '../fixtures/constants.js';
import { makeClient } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';

// An STK push through the simulator whose callback reaches a real node:http server that adapts each
// IncomingMessage to a fetch Request and calls the web handler, as a platform adapter would: the payment
// completes with its receipt and is fulfilled exactly once, though the callback comes three times.

let sim: Simulator;
let server: Server;
let handle: WebHandler = async () => new Response(null, { status: 503 });
let port = 0;

/** IncomingMessage → Request, with the socket address in the context (what @hono/node-server does). */
async function adapt(req: IncomingMessage): Promise<{ request: Request; remoteAddress: string | undefined }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers))
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, v);
  const request = new Request(new URL(req.url ?? '/', `http://127.0.0.1:${port}`), {
    method: req.method ?? 'POST',
    headers,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
  });
  return { request, remoteAddress: req.socket.remoteAddress };
}

beforeAll(async () => {
  sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    logger: testLogger,
    mode: 'manual',
    duplicateCallbackCount: 3,
  });
  server = createServer((req, res) => {
    adapt(req)
      .then(({ request, remoteAddress }) => handle(request, { remoteAddress }))
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await sim.close();
});

describe('createWebCallbackHandler behind a real HTTP server', () => {
  it('an STK push through the simulator completes via the web handler; fulfilment runs once', async () => {
    const fulfilled: Payment[] = [];
    const store = new MemoryPaymentStore();
    const flow = createPaymentFlow({
      daraja: makeClient({ baseUrl: sim.url, maxRetries: 0 }),
      store,
      callbackUrl: `http://127.0.0.1:${port}/payments/callback`,
      callbackSecret: CALLBACK_SECRET,
      // The simulator calls back from this machine; in production this is Safaricom's list (the default).
      allowedIps: ['127.0.0.1'],
      onCompleted: (p) => {
        fulfilled.push(p);
      },
      logger: testLogger,
    });
    const kept: Promise<unknown>[] = [];
    const web = createWebCallbackHandler(flow, { logger: testLogger });
    handle = (request, context) => web(request, { ...context, waitUntil: (p) => kept.push(p) });

    const { outcome, payment } = await flow.initiate({
      ownerId: 'user-web',
      amount: 250,
      phoneNumber: '0712345678',
      accountReference: 'WEB-1',
    });
    expect(outcome).toBe('sent');
    // Paid, and the callback delivered 3 times at once (Daraja does resend).
    sim.resolve(payment.checkoutRequestId!, 'duplicate-callback');
    await vi.waitFor(() => expect(kept).toHaveLength(3), { timeout: 10_000 });
    await Promise.all(kept);
    const settled = await store.get(payment.id);
    expect(settled).toMatchObject({ status: 'completed', settledBy: 'callback' });
    expect(settled?.mpesaReceiptNumber).toMatch(/^[A-Z0-9]{10}$/);
    expect(fulfilled.map((p) => p.id)).toEqual([payment.id]);
    const events = await store.listCallbacks();
    expect(events.map((e) => e.remoteAddress)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    expect(events.filter((e) => e.outcome === 'applied')).toHaveLength(1);
    const again = await flow.reconcile({ olderThanMs: 0 });
    expect(again.fulfilled).toBe(0);
    expect(fulfilled).toHaveLength(1);
  });
});
