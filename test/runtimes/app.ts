// The SDK as a user deploys it to a web runtime (Bun, Deno, Cloudflare's workerd): one `fetch` handler
// built from the main entry only, bundled by esbuild for the browser platform (so no Node built-in can
// hide in it) and run by test/runtimes/runtimes.test.ts on each runtime against the simulator over HTTP.
//
// Routes: POST /start {ownerId, phoneNumber, amount} pushes an STK prompt through the payment flow;
// POST /callback is the web-standard callback handler; GET /status?id&owner runs checkStatus;
// GET /payment?id gives the stored payment and how many times onCompleted ran for it.
import {
  createPaymentFlow,
  createWebCallbackHandler,
  Daraja,
  MemoryPaymentStore,
  type Payment,
  type PaymentFlow,
  type WebHandlerContext,
} from '../../src/index.js';

/** What the runtime's entry passes in: the simulator, this server's own URL, the credentials. */
export interface RuntimeEnv {
  SIMULATOR_URL: string;
  PUBLIC_URL: string;
  CONSUMER_KEY: string;
  CONSUMER_SECRET: string;
  SHORTCODE: string;
  PASSKEY: string;
}

interface App {
  flow: PaymentFlow;
  store: MemoryPaymentStore;
  callback: (request: Request, context?: WebHandlerContext) => Promise<Response>;
  fulfilled: Map<string, number>;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

// Built on the first request, not at import: workerd forbids timers and randomness in the global scope.
function build(env: RuntimeEnv): App {
  const daraja = new Daraja({
    consumerKey: env.CONSUMER_KEY,
    consumerSecret: env.CONSUMER_SECRET,
    baseUrl: env.SIMULATOR_URL,
    shortcode: env.SHORTCODE,
    passkey: env.PASSKEY,
  });
  const store = new MemoryPaymentStore();
  const fulfilled = new Map<string, number>();
  const flow = createPaymentFlow({
    daraja,
    store,
    callbackUrl: `${env.PUBLIC_URL}/callback`,
    callbackSecret: 'runtime-test-secret-runtime-test-secret-0123456789',
    // The per-payment token in the callback URL authenticates; loopback has no Safaricom address.
    allowedIps: false,
    onCompleted: (payment: Payment) => {
      fulfilled.set(payment.id, (fulfilled.get(payment.id) ?? 0) + 1);
    },
  });
  return { flow, store, fulfilled, callback: createWebCallbackHandler(flow) };
}

/** The runtime-neutral app: `fetch(request, env, context)`. */
export function createRuntimeApp(env: RuntimeEnv) {
  let app: App | undefined;
  return async (request: Request, context: WebHandlerContext = {}): Promise<Response> => {
    app ??= build(env);
    const url = new URL(request.url);
    try {
      if (request.method === 'POST' && url.pathname === '/start') {
        const input = (await request.json()) as { ownerId: string; phoneNumber: string; amount: number };
        const started = await app.flow.initiate({ ...input, accountReference: 'RUNTIME' });
        return json({
          outcome: started.outcome,
          paymentId: started.payment.id,
          status: started.payment.status,
        });
      }
      if (request.method === 'POST' && url.pathname === '/callback')
        return await app.callback(request, context);
      if (request.method === 'GET' && url.pathname === '/status') {
        const payment = await app.flow.checkStatus(url.searchParams.get('id') ?? '', {
          ownerId: url.searchParams.get('owner') ?? '',
        });
        return json({ status: payment?.status ?? null });
      }
      if (request.method === 'GET' && url.pathname === '/payment') {
        const id = url.searchParams.get('id') ?? '';
        const payment = await app.store.get(id);
        return json({
          status: payment?.status ?? null,
          receipt: payment?.mpesaReceiptNumber ?? null,
          fulfilled: app.fulfilled.get(id) ?? 0,
          runtime: runtimeName(),
        });
      }
      return json({ error: 'not_found' }, 404);
    } catch (error) {
      return json(
        { error: 'internal', name: (error as Error)?.name, message: (error as Error)?.message },
        500,
      );
    }
  };
}

/** Which runtime runs this, from its own globals (printed in the test's report). */
function runtimeName(): string {
  const g = globalThis as Record<string, unknown> & { navigator?: { userAgent?: string } };
  if (typeof g['Bun'] !== 'undefined') return `bun ${(g['Bun'] as { version: string }).version}`;
  if (typeof g['Deno'] !== 'undefined')
    return `deno ${(g['Deno'] as { version: { deno: string } }).version.deno}`;
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
  return g.navigator?.userAgent ?? 'unknown';
}
