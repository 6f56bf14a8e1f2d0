import type { DarajaOperation } from '../errors.js';
import { invalid, wholeNumber } from '../utils/validate.js';

/**
 * What came back with an answer besides its body: what `withResponse()` gives beside the data (see
 * `core/response.ts`), and what a support ticket to Safaricom asks for.
 */
export interface DarajaResponseMeta {
  /** The operation, e.g. `stk.query`. */
  operation: DarajaOperation;
  /** The HTTP status of the answer. */
  status: number;
  /**
   * The answer's headers, names in lower case. `set-cookie`, any authorization header and any header whose
   * name looks secret (`app_key`, `appKey`, a token) are left out.
   */
  headers: Record<string, string>;
  /**
   * Daraja's id of the request, whichever the answer carries: `requestId`, `ConversationID` or
   * `MerchantRequestID`; `undefined` when it carries none.
   */
  requestId: string | undefined;
  /** How many requests this call sent: 1, plus each retry and the token replay, if any. */
  attempts: number;
}

/** @internal Where the transport hands a call's {@link DarajaResponseMeta}; set by the resource base. */
export const RESPONSE_SINK: unique symbol = Symbol('daraja.responseSink');

/** Per-call options accepted by every API method. */
export interface RequestOptions {
  /** Overrides the client's `timeoutMs` for each attempt of this call. */
  timeoutMs?: number;
  /** Aborts the call. Aborting a money-moving call after it was sent gives a `DarajaUnknownOutcomeError`. */
  signal?: AbortSignal;
  /**
   * Overrides the client's `maxRetries` for this call, 0 to 10. It never makes a money-moving call
   * without an idempotency key (STK push, B2B, tax, reversal, C2B) resendable: those are still sent once
   * unless the request provably never left.
   */
  maxRetries?: number;
  /**
   * Extra headers sent with each attempt of this call (a correlation id, a tracing header). The headers
   * the SDK sets or that would break the request (`Authorization`, `Content-Type`, `Content-Length`,
   * `Host`, `Accept`, `User-Agent`, hop-by-hop headers) are refused with a `DarajaValidationError`
   * before anything is sent. Values are never logged.
   */
  headers?: Record<string, string>;
  /** @internal Receives the answer's metadata; set by the resource base. */
  [RESPONSE_SINK]?: ((meta: DarajaResponseMeta) => void) | undefined;
}

/** Headers the SDK sets itself, or that would break the request or its framing. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'host',
  'accept',
  'user-agent',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
]);

/** RFC 9110 token characters: a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * @internal
 * The checked per-call options: `maxRetries` a whole number from 0 to 10, `headers` names that are
 * tokens and not reserved, values strings without CR, LF or NUL. The messages name the header, never
 * its value (which may be a secret).
 *
 * @throws {@link DarajaValidationError} before anything is sent.
 */
export function checkRequestOptions(options: RequestOptions): Record<string, string> {
  if (options.maxRetries !== undefined)
    wholeNumber(
      'maxRetries',
      options.maxRetries,
      0,
      10,
      'must be a whole number from 0 to 10 (retries of this call).',
    );
  const headers: Record<string, string> = {};
  if (options.headers === undefined) return headers;
  if (typeof options.headers !== 'object' || options.headers === null || Array.isArray(options.headers))
    invalid('headers', 'pass an object of header names and string values, e.g. { "x-request-id": id }.');
  for (const [name, value] of Object.entries(options.headers)) {
    if (!HEADER_NAME.test(name)) invalid('headers', `"${name}" is not a valid header name.`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower))
      invalid(
        `headers.${name}`,
        'is set by the SDK or would break the request; it cannot be overridden. Send your own x-… header instead.',
      );
    if (typeof value !== 'string' || /[\r\n\0]/.test(value))
      invalid(`headers.${name}`, 'must be a string without line breaks or NUL characters.');
    headers[lower] = value;
  }
  return headers;
}
