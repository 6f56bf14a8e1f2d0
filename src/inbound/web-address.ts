// Where a web-standard handler finds the address a request came from: the one resolver every web handler
// uses (`payments/web.ts` for the payment flow, `inbound/web.ts` for results, Bill Manager and C2B). It
// sits in `inbound/` so both layers can import it. It only picks the raw address and the forwarded hops;
// the trusted-proxy rule itself is `clientAddress()` in `payments/security.ts`, applied by the payment
// flow's `handleCallback`.

/**
 * What the platform gives a web handler besides the `Request`. Pass what you have; both are optional.
 *
 * @example
 * ```ts
 * // Next.js route handler (App Router): the work after the answer outlives the response.
 * import { after } from 'next/server';
 * const handler = createWebCallbackHandler(flow, { clientAddress: 'x-real-ip' });
 * export const POST = (request: Request) => handler(request, { waitUntil: (promise) => after(promise) });
 * ```
 */
export interface WebHandlerContext {
  /**
   * Keeps the platform running `promise` after the response is sent: Vercel / Next.js `after()` or
   * `waitUntil()` from `@vercel/functions`, Cloudflare Workers `ctx.waitUntil`. Without it, the work runs
   * on in the background, which Node, Bun and Deno servers allow but serverless platforms may cut short.
   */
  waitUntil?(promise: Promise<unknown>): void;
  /**
   * The address of the connection, when the platform gives it outside the request: Bun
   * `server.requestIP(request)?.address`, Deno `info.remoteAddr.hostname`, @hono/node-server
   * `c.env.incoming.socket.remoteAddress`, a Node adapter's `req.socket.remoteAddress`.
   */
  remoteAddress?: string | undefined;
}

/**
 * Where a web handler reads the client's address (the source `allowedIps` and your hooks see):
 *
 * - `'context'` (the default): {@link WebHandlerContext.remoteAddress}, the connection's own address;
 *   `X-Forwarded-For` counts only when that address is one of the flow's `trustedProxies`, exactly as
 *   `handleCallback` applies them. The safe choice wherever the platform gives the connection address.
 * - `'x-forwarded-for'`: the rightmost hop of `X-Forwarded-For` that is not one of the flow's
 *   `trustedProxies` (the leftmost hops are whatever the client wrote and are never read). For platforms
 *   whose proxy appends the connecting address and gives no connection address (Vercel).
 * - `'cf-connecting-ip'`: the `CF-Connecting-IP` header Cloudflare sets (Workers, or an origin behind
 *   Cloudflare).
 * - `'x-real-ip'`: the `X-Real-IP` header (Vercel sets it; nginx when configured so).
 * - `{ header: 'name' }`: another header your platform sets.
 * - a function `(request, context) => address | undefined`, for anything else.
 *
 * **A header source is only safe when the platform sets that header** and overwrites what the client sent:
 * a client can send any header to an origin it can reach directly, so a header source on a server
 * reachable without the proxy lets anyone choose their address (and pass `allowedIps`). Prefer `'context'`
 * there, with the proxy in `trustedProxies`.
 */
export type ClientAddressSource =
  | 'context'
  | 'x-forwarded-for'
  | 'cf-connecting-ip'
  | 'x-real-ip'
  | {
      /** The header's name, e.g. `fly-client-ip` (any case). */
      header: string;
    }
  | ((request: Request, context: WebHandlerContext) => string | undefined);

/**
 * @internal
 * The address as a web handler found it: `remoteAddress`, and `forwardedFor` (the hops left of it, for the
 * trusted-proxy rule; undefined when the source is a single header or a function).
 */
export interface FoundAddress {
  remoteAddress: string | undefined;
  forwardedFor: string | undefined;
}

const HEADER_SOURCES: Record<string, string> = {
  'cf-connecting-ip': 'cf-connecting-ip',
  'x-real-ip': 'x-real-ip',
};

function headerValue(request: Request, name: string): string | undefined {
  const value = request.headers.get(name)?.trim();
  return value ? value : undefined;
}

/**
 * @internal
 * Find the client's address by `source` (see {@link ClientAddressSource}). Never throws: a function
 * source that throws or returns a non-string gives no address.
 */
export function findClientAddress(
  source: ClientAddressSource | undefined,
  request: Request,
  context: WebHandlerContext,
): FoundAddress {
  if (source === undefined || source === 'context')
    return {
      remoteAddress: context.remoteAddress?.trim() || undefined,
      forwardedFor: headerValue(request, 'x-forwarded-for'),
    };
  if (source === 'x-forwarded-for') {
    const hops = (headerValue(request, 'x-forwarded-for') ?? '').split(',').map((h) => h.trim());
    const last = hops.pop();
    return { remoteAddress: last || undefined, forwardedFor: hops.length > 0 ? hops.join(',') : undefined };
  }
  if (typeof source === 'function') {
    let found: unknown;
    try {
      found = source(request, context);
    } catch {
      found = undefined;
    }
    return {
      remoteAddress: typeof found === 'string' && found.trim() ? found.trim() : undefined,
      forwardedFor: undefined,
    };
  }
  const name = typeof source === 'string' ? HEADER_SOURCES[source] : source.header.toLowerCase();
  return { remoteAddress: name ? headerValue(request, name) : undefined, forwardedFor: undefined };
}

/**
 * @internal
 * Check a {@link ClientAddressSource} option when a handler is created; the message names the fix.
 * Returns the problem, or `undefined` when it is fine.
 */
export function clientAddressProblem(source: unknown): string | undefined {
  if (source === undefined || typeof source === 'function') return undefined;
  if (source === 'context' || source === 'x-forwarded-for' || Object.hasOwn(HEADER_SOURCES, String(source)))
    return undefined;
  if (typeof source === 'object' && source !== null) {
    const header = (source as { header?: unknown }).header;
    if (typeof header === 'string' && /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) return undefined;
    return 'must name a header, e.g. { header: "fly-client-ip" }.';
  }
  return "must be 'context', 'x-forwarded-for', 'cf-connecting-ip', 'x-real-ip', { header } or a function.";
}
