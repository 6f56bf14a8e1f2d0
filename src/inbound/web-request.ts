// What every web-standard handler shares (`inbound/web.ts`, `payments/web.ts`): reading a `Request` body
// once, bounded, and answering JSON as a `Response`. Uses only web-standard globals (Node 18+, Bun, Deno,
// Workers).
import { CALLBACK_BODY_MAX_BYTES } from '../core/limits.js';
import type { DarajaLogger } from '../core/logger.js';
import type { ClientAddressSource, WebHandlerContext } from './web-address.js';

/**
 * A web-standard request handler, `(request, context?) => Promise<Response>`: what Next.js route
 * handlers, Hono, Bun, Deno and Cloudflare Workers call.
 */
export type WebHandler = (request: Request, context?: WebHandlerContext) => Promise<Response>;

/** Options every web-standard handler takes. */
export interface WebHandlerOptions {
  /** Where the client's address comes from. @defaultValue `'context'` (see {@link ClientAddressSource}) */
  clientAddress?: ClientAddressSource;
  /** Receives redacted logs (a body over the limit, a failure after the answer). @defaultValue silent */
  logger?: DarajaLogger;
}

const UTF8 = new TextDecoder();

/**
 * @internal
 * The body as text, read once, or `undefined` when it is larger than `max` bytes (then reading stops at
 * the limit: a large body costs no more than `max` bytes of memory). An unreadable stream gives `''`.
 */
export async function readBodyText(
  request: Request,
  max = CALLBACK_BODY_MAX_BYTES,
): Promise<string | undefined> {
  const declared = Number(request.headers.get('content-length'));
  const body = request.body;
  if (Number.isFinite(declared) && declared > max) {
    await body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
  } catch {
    return '';
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return UTF8.decode(bytes);
}

/** @internal A JSON `Response`. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * @internal
 * The answer to a body over {@link CALLBACK_BODY_MAX_BYTES} bytes: 413, nothing read further or changed.
 */
export function tooLarge(): Response {
  return jsonResponse(413, { error: 'body_too_large', maxBytes: CALLBACK_BODY_MAX_BYTES });
}

/** @internal The request's headers as a plain record (lower-case names), for hooks that take records. */
export function headerRecord(request: Request): Record<string, string> {
  return Object.fromEntries(request.headers.entries());
}
