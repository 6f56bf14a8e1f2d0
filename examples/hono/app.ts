import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import type { AppConfig } from '../shared/config.js';
import { listenThenStart } from '../shared/http-server.js';
import type { RunningApp } from '../shared/running-app.js';
import { CALLBACK_PATH } from '../shared/service.js';
import { createWebRoutes, type WebRoutes } from '../shared/web.js';

/** The subscription product on Hono: each route is a line around the shared service's web routes. */
export async function startHonoApp(config: AppConfig): Promise<RunningApp> {
  const app = new Hono();
  let routes: WebRoutes | undefined;

  app.use(async (c, next) => (routes ? next() : c.json({ error: 'starting' }, 503)));
  app.get('/', () => routes!.page());
  app.get('/api/plans', () => routes!.plans());
  // Body limits (16 kB, 64 kB for a callback), authentication and the initiate limits: shared/web.ts.
  app.post('/api/subscription/initiate-mpesa', (c) => routes!.initiate(c.req.raw));
  // The client's address is the socket's (node:http): the flow checks it against Safaricom's callback IPs.
  app.post(CALLBACK_PATH, (c) => routes!.callback(c.req.raw, getConnInfo(c).remote.address));
  app.get('/api/subscription/check-payment', (c) => routes!.checkPayment(c.req.raw));
  app.get('/api/subscription', (c) => routes!.subscription(c.req.raw));
  // Anything a route did not handle is logged server-side and answered generically, never with its text.
  app.onError((error, c) =>
    routes
      ? routes.failure(error, { method: c.req.method, route: c.req.routePath })
      : c.json({ error: 'internal', message: 'Something went wrong. Try again later.' }, 500),
  );

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  return listenThenStart(server, config, (service) => {
    routes = createWebRoutes(service, config);
  });
}
