import type { Server } from 'node:http';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { type AugmentedRequest, rateLimit } from 'express-rate-limit';
import type { AppConfig } from '../shared/config.js';
import { initiateLimits, retryAfterSeconds } from '../shared/rate-limits.js';
import type { RunningApp } from '../shared/running-app.js';
import {
  CALLBACK_PATH,
  createSubscriptionService,
  type Reply,
  type SubscriptionService,
} from '../shared/service.js';

const TOO_LARGE = { error: 'too_large', message: 'The request is too large.' };
const BAD_REQUEST = { error: 'bad_request', message: 'The request could not be read.' };
const INTERNAL = { error: 'internal', message: 'Something went wrong. Try again later.' };

/** The subscription product on Express: each route is a line or two around the shared service. */
export async function startExpressApp(config: AppConfig): Promise<RunningApp> {
  const app = express();
  app.disable('x-powered-by');
  let service: SubscriptionService | undefined;
  const send = (res: Response, reply: Reply) =>
    res
      .status(reply.status)
      .set(reply.headers ?? {})
      .json(reply.body);
  const userOf = (req: Request, res: Response) => {
    const user = service!.authenticate(req.headers);
    if (!user)
      res.status(401).json({ error: 'unauthorized', message: 'Send Authorization: Bearer <demo token>.' });
    return user;
  };

  app.use((_req, res, next) => (service ? next() : res.status(503).json({ error: 'starting' })));
  app.get('/', (_req, res) => res.type('html').send(service!.page()));
  app.get('/api/plans', (_req, res) => send(res, service!.plans()));
  // The initiate limits (per user, per phone): express-rate-limit, keyed by the shared limits' keys.
  const limiters = initiateLimits(config).map((limit) =>
    rateLimit({
      windowMs: limit.windowMs,
      limit: limit.max,
      skip: (req, res) => limit.key(res.locals['user'], req.body) === undefined,
      keyGenerator: (req, res) => limit.key(res.locals['user'], req.body) ?? '',
      handler: (req, res) => {
        const resetAt =
          (req as AugmentedRequest)['rateLimit']?.resetTime?.getTime() ?? Date.now() + limit.windowMs;
        send(
          res,
          service!.rateLimited(limit, res.locals['user'], req.body, retryAfterSeconds(resetAt - Date.now())),
        );
      },
    }),
  );
  app.post(
    '/api/subscription/initiate-mpesa',
    express.json({ limit: '16kb' }),
    (req, res, next) => {
      res.locals['user'] = userOf(req, res);
      if (res.locals['user']) next();
    },
    ...limiters,
    async (req, res) => send(res, await service!.initiate(res.locals['user'], req.body)),
  );
  // Raw text, whatever the content type: a malformed callback must still reach the flow, which
  // acknowledges it and keeps it for audit.
  app.post(CALLBACK_PATH, express.text({ type: () => true, limit: '64kb' }), async (req, res) => {
    const { remoteAddress } = req.socket;
    send(
      res,
      await service!.callback({
        body: req.body,
        url: req.originalUrl,
        headers: req.headers,
        ...(remoteAddress ? { remoteAddress } : {}),
      }),
    );
  });
  app.get('/api/subscription/check-payment', async (req, res) => {
    const user = userOf(req, res);
    if (user) send(res, await service!.checkPayment(user, req.query['paymentId']));
  });
  app.get('/api/subscription', async (req, res) => {
    const user = userOf(req, res);
    if (user) send(res, await service!.subscription(user));
  });
  // A 4xx from Express itself (unreadable or too large a body) says so; anything else is logged
  // server-side and answered with a generic body, never the error's text.
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const status: unknown = error?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json(status === 413 ? TOO_LARGE : BAD_REQUEST);
    } else {
      const context = { method: req.method, route: req.route?.path ?? req.path };
      send(res, service ? service.failure(error, context) : { status: 500, body: INTERNAL });
    }
  };
  app.use(onError);

  // Express 5 passes a listen error (EADDRINUSE: the port is busy) to this callback: the app does not hold
  // the port, so it must not carry on as if it did.
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  try {
    service = await createSubscriptionService(config, url);
  } catch (error) {
    server.close();
    throw error;
  }
  const running = service;
  return {
    url,
    service: running,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await running.close();
    },
  };
}
