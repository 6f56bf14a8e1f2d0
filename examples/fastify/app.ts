import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
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

/** The subscription product on Fastify: each route is a line or two around the shared service. */
export async function startFastifyApp(config: AppConfig): Promise<RunningApp> {
  const app = Fastify({ bodyLimit: 16 * 1024 });
  let service: SubscriptionService | undefined;
  const send = (reply: FastifyReply, r: Reply) =>
    reply
      .code(r.status)
      .headers(r.headers ?? {})
      .send(r.body);
  const userOf = (req: FastifyRequest, reply: FastifyReply) => {
    const user = service!.authenticate(req.headers);
    if (!user)
      void reply
        .code(401)
        .send({ error: 'unauthorized', message: 'Send Authorization: Bearer <demo token>.' });
    return user;
  };

  app.addHook('onRequest', async (_req, reply) => {
    if (!service) return reply.code(503).send({ error: 'starting' });
  });
  // A 4xx from Fastify itself (unreadable or too large a body) says so; anything else is logged
  // server-side and answered with a generic body, never the error's text (Fastify's default sends it).
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.code(status).send(status === 413 ? TOO_LARGE : BAD_REQUEST);
    }
    const context = { method: req.method, route: req.routeOptions.url ?? '(no route)' };
    return send(reply, service ? service.failure(error, context) : { status: 500, body: INTERNAL });
  });
  // The initiate limits (per user, per phone): @fastify/rate-limit, keyed by the shared limits' keys. Each
  // is checked in the route, after authentication, with the body parsed (createRateLimit(), since the
  // plugin's route hooks run only one limiter per request, before the handler knows the user).
  await app.register(fastifyRateLimit, { global: false });
  const limiters = initiateLimits(config).map((limit) => ({
    limit,
    check: app.createRateLimit({
      max: limit.max,
      timeWindow: limit.windowMs,
      keyGenerator: (req) => limit.key(service!.authenticate(req.headers)!, req.body) ?? '',
      allowList: (_req, key) => key === '', // the limit does not apply (no valid phone number)
    }),
  }));
  app.get('/', (_req, reply) => reply.type('text/html').send(service!.page()));
  app.get('/api/plans', (_req, reply) => send(reply, service!.plans()));
  app.post('/api/subscription/initiate-mpesa', async (req, reply) => {
    const user = userOf(req, reply);
    if (!user) return reply;
    for (const { limit, check } of limiters) {
      const r = await check(req);
      if (!r.isAllowed && r.isExceeded)
        return send(reply, service!.rateLimited(limit, user, req.body, retryAfterSeconds(r.ttl)));
    }
    return send(reply, await service!.initiate(user, req.body));
  });
  app.get<{ Querystring: { paymentId?: string } }>('/api/subscription/check-payment', async (req, reply) => {
    const user = userOf(req, reply);
    return user ? send(reply, await service!.checkPayment(user, req.query.paymentId)) : reply;
  });
  app.get('/api/subscription', async (req, reply) => {
    const user = userOf(req, reply);
    return user ? send(reply, await service!.subscription(user)) : reply;
  });
  // The callback route reads the raw text, whatever the content type: a malformed callback must still
  // reach the flow, which acknowledges it and keeps it for audit.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) =>
      done(null, body),
    );
    scope.post(CALLBACK_PATH, async (req, reply) => {
      const { remoteAddress } = req.socket;
      return send(
        reply,
        await service!.callback({
          body: req.body,
          url: req.url,
          headers: req.headers,
          ...(remoteAddress ? { remoteAddress } : {}),
        }),
      );
    });
  });

  const address = await app.listen({ port: config.port, host: config.host });
  const url = address.replace('://localhost', '://127.0.0.1');
  try {
    service = await createSubscriptionService(config, url);
  } catch (error) {
    await app.close();
    throw error;
  }
  const running = service;
  return {
    url,
    service: running,
    close: async () => {
      await app.close();
      await running.close();
    },
  };
}
