import type { WebHandlerContext } from 'daraja-sdk';
import type { AppConfig } from './config.js';
import { type InitiateLimit, initiateLimits, retryAfterSeconds } from './rate-limits.js';
import type { Reply, SubscriptionService } from './service.js';

// The subscription routes on web-standard Request and Response, for the adapters whose framework speaks
// them (Hono, Next.js route handlers). Express and Fastify use their own body parsers and rate-limit
// packages instead; the answers are the same.

const TOO_LARGE = { error: 'too_large', message: 'The request is too large.' };
const BAD_REQUEST = { error: 'bad_request', message: 'The request could not be read.' };
const UNAUTHORIZED = { error: 'unauthorized', message: 'Send Authorization: Bearer <demo token>.' };

/** The body limit of a payment request (the callback's, 64 KiB, is the SDK's web handler's). */
export const BODY_LIMITS = { json: 16 * 1024 } as const;

/** A {@link Reply} as a web-standard Response (JSON). */
export const toResponse = (reply: Reply): Response =>
  Response.json(reply.body, { status: reply.status, headers: reply.headers ?? {} });

/**
 * An in-process fixed-window counter for one {@link InitiateLimit} (neither Hono nor Next.js ships a rate
 * limiter). Counts live in this process only, like express-rate-limit's default store.
 */
export class FixedWindowCounter {
  private readonly counts = new Map<string, { count: number; resetAt: number }>();
  private nextSweep = 0;
  constructor(readonly limit: InitiateLimit) {}

  /** Count one request under `key`: whether it is allowed, and when the window ends. */
  hit(key: string, now = Date.now()): { allowed: boolean; resetAt: number } {
    if (now >= this.nextSweep) {
      for (const [k, v] of this.counts) if (v.resetAt <= now) this.counts.delete(k);
      this.nextSweep = now + this.limit.windowMs;
    }
    let entry = this.counts.get(key);
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + this.limit.windowMs };
      this.counts.set(key, entry);
    }
    entry.count += 1;
    return { allowed: entry.count <= this.limit.max, resetAt: entry.resetAt };
  }
}

/** The body as text, or `undefined` when it is over `limit` bytes (read no further than that). */
export async function readText(request: Request, limit: number): Promise<string | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) return undefined;
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The body of a payment request: parsed when it is JSON, else `undefined`; a 413 or 400 when unreadable. */
async function readJson(request: Request): Promise<{ body: unknown } | Response> {
  const text = await readText(request, BODY_LIMITS.json);
  if (text === undefined) return Response.json(TOO_LARGE, { status: 413 });
  if (!/\bjson\b/i.test(request.headers.get('content-type') ?? '') || text === '') return { body: undefined };
  try {
    return { body: JSON.parse(text) };
  } catch {
    return Response.json(BAD_REQUEST, { status: 400 });
  }
}

const headersOf = (request: Request): Record<string, string> => Object.fromEntries(request.headers);

/** The subscription routes as web-standard handlers, around one started service. */
export interface WebRoutes {
  readonly service: SubscriptionService;
  page(): Response;
  plans(): Response;
  initiate(request: Request): Promise<Response>;
  /**
   * `remoteAddress`: the client's address, as the adapter knows it (a socket, a header its host sets);
   * `waitUntil`: the platform's, where it has one (Next.js `after`).
   */
  callback(
    request: Request,
    remoteAddress: string | undefined,
    waitUntil?: WebHandlerContext['waitUntil'],
  ): Promise<Response>;
  checkPayment(request: Request): Promise<Response>;
  subscription(request: Request): Promise<Response>;
  /** An error no route handled: logged server-side, answered 500 with a generic body. */
  failure(error: unknown, context: Record<string, unknown>): Response;
}

/** Build the {@link WebRoutes} of a started service; errors are logged and answered generically. */
export function createWebRoutes(
  service: SubscriptionService,
  config: Pick<AppConfig, 'initiateRateLimit'>,
): WebRoutes {
  const counters = initiateLimits(config).map((limit) => new FixedWindowCounter(limit));
  const guarded =
    <A extends unknown[]>(route: string, handler: (request: Request, ...rest: A) => Promise<Response>) =>
    async (request: Request, ...rest: A): Promise<Response> => {
      try {
        return await handler(request, ...rest);
      } catch (error) {
        return toResponse(service.failure(error, { method: request.method, route }));
      }
    };
  const signedIn = (
    route: string,
    handler: (
      request: Request,
      user: NonNullable<ReturnType<typeof service.authenticate>>,
    ) => Promise<Response>,
  ) =>
    guarded(route, async (request: Request) => {
      const user = service.authenticate(headersOf(request));
      return user ? handler(request, user) : Response.json(UNAUTHORIZED, { status: 401 });
    });

  return {
    service,
    page: () => new Response(service.page(), { headers: { 'content-type': 'text/html; charset=utf-8' } }),
    plans: () => toResponse(service.plans()),
    // Read and parse the body first (413, 400), then authenticate (401), then the limits (429).
    initiate: guarded('/api/subscription/initiate-mpesa', async (request) => {
      const parsed = await readJson(request);
      if (parsed instanceof Response) return parsed;
      const { body } = parsed;
      const user = service.authenticate(headersOf(request));
      if (!user) return Response.json(UNAUTHORIZED, { status: 401 });
      for (const counter of counters) {
        const key = counter.limit.key(user, body);
        if (key === undefined) continue; // the limit does not apply (no valid phone number)
        const { allowed, resetAt } = counter.hit(key);
        if (!allowed)
          return toResponse(
            service.rateLimited(counter.limit, user, body, retryAfterSeconds(resetAt - Date.now())),
          );
      }
      return toResponse(await service.initiate(user, body));
    }),
    // The SDK's web-standard callback handler: it reads the raw text, whatever the content type (a
    // malformed callback must still reach the flow, which acknowledges it and keeps it for audit), at most
    // 64 KiB (413 above), and hands the work after the answer to `waitUntil` where the platform has one.
    callback: guarded(
      '/api/subscription/payment-callback',
      (request, remoteAddress: string | undefined, waitUntil?: WebHandlerContext['waitUntil']) =>
        service.webCallback(request, {
          ...(remoteAddress ? { remoteAddress } : {}),
          ...(waitUntil ? { waitUntil } : {}),
        }),
    ),
    checkPayment: signedIn('/api/subscription/check-payment', async (request, user) => {
      const ids = new URL(request.url).searchParams.getAll('paymentId');
      return toResponse(await service.checkPayment(user, ids.length > 1 ? ids : ids[0]));
    }),
    subscription: signedIn('/api/subscription', async (_request, user) =>
      toResponse(await service.subscription(user)),
    ),
    failure: (error, context) => toResponse(service.failure(error, context)),
  };
}
