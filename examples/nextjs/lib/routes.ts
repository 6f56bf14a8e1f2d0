import { configFromEnv } from '../../shared/config.js';
import { createSubscriptionService } from '../../shared/service.js';
import { createWebRoutes, type WebRoutes } from '../../shared/web.js';

// The shared service, once per process. Route handlers are bundled by Next.js, and a server may load a
// bundle more than once (and tests start the app from outside the bundle): the routes live on globalThis,
// under a registered symbol, not in a module variable.
const KEY = Symbol.for('daraja-sdk.examples.nextjs.routes');
const slot = globalThis as { [KEY]?: Promise<WebRoutes> };

/** Use these routes in this process (examples/nextjs/app.ts does, having started the service itself). */
export function provideRoutes(routes: Promise<WebRoutes> | undefined): void {
  if (routes) slot[KEY] = routes;
  else delete slot[KEY];
}

/**
 * The routes of this process's service. Under `npm run start:nextjs` (app.ts) the service is started
 * before the first request; under a bare `next start` or on a serverless host, the first request starts
 * it from the environment (configFromEnv: PGlite and the in-process simulator unless configured).
 */
export function routes(): Promise<WebRoutes> {
  slot[KEY] ??= (async () => {
    const config = configFromEnv(process.env, 'nextjs');
    const url = config.publicUrl ?? `http://${config.host}:${process.env['PORT'] ?? config.port}`;
    return createWebRoutes(await createSubscriptionService(config, url), config);
  })();
  return slot[KEY];
}

/**
 * The client's address for the callback IP check. Route handlers see no socket: app.ts (the node:http
 * front of `npm run start:nextjs`) puts the socket's address in `x-example-client-address`, replacing
 * any copy a client sent. On Vercel (`VERCEL=1`) it is `x-real-ip`, which Vercel's edge sets. Anywhere
 * else it is unknown, and the payment flow refuses the callback (`ip_unknown`) rather than trust a header
 * any client can send.
 */
export function clientAddress(request: Request): string | undefined {
  const front = request.headers.get(CLIENT_ADDRESS_HEADER);
  if (front) return front;
  return process.env['VERCEL'] ? (request.headers.get('x-real-ip') ?? undefined) : undefined;
}

/** The header app.ts sets from the socket. */
export const CLIENT_ADDRESS_HEADER = 'x-example-client-address';
