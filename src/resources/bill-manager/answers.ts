// How Bill Manager's answers are read: `rescode` (a string, `"200"` for success), its refusals, and its bare
// `{"errorCode":"401",…}` envelope.
import { DarajaAuthError, DarajaDuplicateError } from '../../core/errors.js';
import { toRefusalError } from '../../core/http/api-errors.js';

/** @internal `rescode` as a string (`"200"`, `"409"`), or `undefined` when the answer has none. */
export function rescodeOf(body: unknown): string | undefined {
  const code =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['rescode'] : undefined;
  return typeof code === 'string' || (typeof code === 'number' && Number.isFinite(code))
    ? String(code).trim()
    : undefined;
}

const DUPLICATE = /already registered|another entry exist|same externalreference/i;

/** @internal A refusal: a {@link DarajaDuplicateError} for a repeat, else a {@link DarajaApiError} with `rescode` as `errorCode`. */
export function refusal(
  operation: string,
  status: number,
  rescode: string,
  message: string,
  body: unknown,
  duplicateOf?: string,
) {
  const details = { operation, status, errorCode: rescode, errorMessage: message || undefined, body };
  if (rescode === '409' && DUPLICATE.test(message)) {
    const what =
      operation === 'billManager.optIn'
        ? 'The shortcode is already opted in: use the app key its opt-in answered with; if it is lost, ask apisupport@safaricom.co.ke to reissue it.'
        : 'The invoice exists (perhaps sent by an earlier attempt of this call): do not resend it under a new externalReference.';
    const key = duplicateOf === undefined ? '' : ` "${duplicateOf}"`;
    return new DarajaDuplicateError(
      details,
      duplicateOf,
      `[daraja] ${operation}: Bill Manager refused a repeat${key}: "${message}" (rescode 409). ${what}`,
    );
  }
  return toRefusalError(operation, status, { errorCode: rescode, errorMessage: message || undefined }, body);
}

/** @internal Bill Manager's bare `{"errorCode":"401",…}`, with what was seen to cause it. */
export function unauthorized(error: DarajaAuthError): DarajaAuthError {
  const { operation, status, requestId, errorCode, errorMessage, body } = error;
  return new DarajaAuthError(
    { operation, status, requestId, errorCode, errorMessage, body },
    `[daraja] ${operation} failed with HTTP ${status} ${errorCode}${errorMessage ? `: ${errorMessage}` : ''}${requestId ? ` (requestId ${requestId})` : ''}. ` +
      'Bill Manager answered 401 even with a fresh token. Seen live when the shortcode was not yet enabled for Bill Manager: ' +
      'ask apisupport@safaricom.co.ke with your PayBill and this requestId. Also check billManager.appKey, and the header it is sent in ' +
      '(billManager.appKeyHeader: "app_key" by default, or "appKey"), and billManager.pathPrefix.',
  );
}
