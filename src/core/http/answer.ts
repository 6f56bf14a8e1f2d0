// What the transport reads of an attempt: the error codes that prove a request never left, an answer's
// body, its headers as metadata may show them, and Daraja's id of the request.
import { isSecretKey } from '../utils/mask.js';

/** @internal undici / Node error codes that prove no byte of the request reached the server. */
export const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_INVALID_URL',
]);

/** @internal The first `code` in an error's cause chain (four levels at most). */
export function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 4 && typeof e === 'object' && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Headers never handed out with an answer's metadata. */
const HIDDEN_HEADERS = new Set(['authorization', 'proxy-authorization', 'set-cookie', 'www-authenticate']);

/**
 * @internal
 * An answer's headers as a plain object, without the ones that may carry credentials: those above, and
 * any whose name looks secret (`app_key`, `appKey`, a token), as an echoed Bill Manager app key would.
 */
export function safeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!HIDDEN_HEADERS.has(name) && !isSecretKey(name)) out[name] = value;
  });
  return out;
}

/** @internal Daraja's id of the request, whichever the answer carries. */
export function answerRequestId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  for (const key of ['requestId', 'RequestID', 'ConversationID', 'MerchantRequestID']) {
    const value = b[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** @internal An answer's text: parsed JSON when it looks like JSON, else the text. */
export function parseBody(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  if (trimmed[0] === '{' || trimmed[0] === '[') {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}
