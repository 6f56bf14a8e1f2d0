import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppConfig } from '../shared/config.js';
import type { RunningApp } from '../shared/running-app.js';
import {
  CALLBACK_PATH,
  createSubscriptionService,
  type Reply,
  type SubscriptionService,
} from '../shared/service.js';

/** The subscription product on Fastify: each route is a line or two around the shared service. */
export async function startFastifyApp(config: AppConfig): Promise<RunningApp> {
  const app = Fastify({ bodyLimit: 16 * 1024 });
  let service: SubscriptionService | undefined;
  const send = (reply: FastifyReply, r: Reply) => reply.code(r.status).send(r.body);
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
  app.get('/', (_req, reply) => reply.type('text/html').send(service!.page()));
  app.get('/api/plans', (_req, reply) => send(reply, service!.plans()));
  app.post('/api/subscription/initiate-mpesa', async (req, reply) => {
    const user = userOf(req, reply);
    return user ? send(reply, await service!.initiate(user, req.body)) : reply;
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
