import {
  DarajaApiError,
  type DarajaApiErrorDetails,
  DarajaAuthError,
  DarajaDuplicateError,
  DarajaNotFoundError,
  type DarajaOperation,
  DarajaProductNotEnabledError,
  DarajaRateLimitError,
  type DarajaRateLimitSource,
  DarajaUnknownOutcomeError,
  describeApiError,
  productNotEnabledMessage,
  sanitizeBody,
} from '../errors.js';
import { maskPhoneNumbersInText } from '../utils/mask.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * Daraja error codes that mean "this access token is not valid (any more)". Not `401.003.01`: that is
 * "no apiproduct match found", which a new token does not fix (see {@link isProductNotEnabledAnswer}).
 */
const INVALID_TOKEN_CODES = new Set(['404.001.03', '401.002.01', '400.003.01']);

/** `401.003.01`: the app is not subscribed to the API product it called. */
const PRODUCT_NOT_ENABLED_CODE = '401.003.01';
const PRODUCT_NOT_ENABLED_TEXT = /no\s*api\s*product\s*match\s*found/i;

/** @internal The useful fields of an error body, whatever shape Daraja's gateway chose. */
export interface ErrorEnvelope {
  requestId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
}

/**
 * @internal
 * Read Daraja's `{requestId, errorCode, errorMessage}`, an Apigee `fault` object, or a SOAP fault turned
 * into JSON (`{"Envelope":{"Body":{"Fault":{"faultstring":…,"detail":{"source":{"errorcode":…}}}}}}`, seen
 * when registering C2B URLs on a shortcode that cannot take them), whose `faultstring` is the only clue.
 */
export function readErrorEnvelope(body: unknown): ErrorEnvelope {
  const out: ErrorEnvelope = { requestId: undefined, errorCode: undefined, errorMessage: undefined };
  const b = record(body);
  if (!b) return out;
  out.requestId = str(b['requestId']) ?? str(b['RequestID']) ?? str(b['MerchantRequestID']);
  out.errorCode = str(b['errorCode']) ?? str(b['ResponseCode']);
  out.errorMessage = str(b['errorMessage']) ?? str(b['ResponseDescription']);
  const fault =
    record(b['fault']) ?? record(child(record(child(record(child(b, 'Envelope')), 'Body')), 'Fault'));
  if (fault) {
    out.errorMessage ??= str(fault['faultstring']);
    const detail = record(fault['detail']);
    out.errorCode ??= str(detail?.['errorcode']) ?? str(record(detail?.['source'])?.['errorcode']);
    out.errorCode ??= str(fault['faultcode']);
  }
  return out;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** A member by name, with or without an XML namespace prefix (`Envelope`, `soap:Envelope`). */
function child(parent: Record<string, unknown> | undefined, name: string): unknown {
  if (!parent) return undefined;
  if (name in parent) return parent[name];
  const key = Object.keys(parent).find((k) => k.endsWith(`:${name}`));
  return key === undefined ? undefined : parent[key];
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/**
 * @internal
 * Does this answer say the app is not subscribed to the API product it called (`401.003.01`, "no
 * apiproduct match found")? Such an answer is not an invalid token: a new token gets the same answer.
 */
export function isProductNotEnabledAnswer(envelope: ErrorEnvelope): boolean {
  return (
    envelope.errorCode === PRODUCT_NOT_ENABLED_CODE ||
    PRODUCT_NOT_ENABLED_TEXT.test(envelope.errorMessage ?? '')
  );
}

/** @internal Does this answer say the access token is invalid or expired? */
export function isInvalidTokenAnswer(status: number, envelope: ErrorEnvelope): boolean {
  if (isProductNotEnabledAnswer(envelope)) return false;
  if (status === 401) return true;
  if (envelope.errorCode && INVALID_TOKEN_CODES.has(envelope.errorCode)) return true;
  return /invalid access token/i.test(envelope.errorMessage ?? '');
}

/** @internal Does the body carry a Daraja error code, i.e. is it a definite answer from Daraja itself? */
export function hasDarajaErrorCode(envelope: ErrorEnvelope): boolean {
  return envelope.errorCode !== undefined && /^\d{2,3}\.\d{3}/.test(envelope.errorCode);
}

/** @internal Bodies kept on errors are capped and have phone numbers masked (see {@link sanitizeBody}). */
export const safeBody = sanitizeBody;

/**
 * @internal
 * The call an error answer belongs to: its operation, the Daraja API product it needs (as the portal
 * names it, for {@link DarajaProductNotEnabledError}), and the idempotency key it carried, if any.
 */
export interface ApiCall {
  operation: DarajaOperation;
  /** The product as the Daraja portal names it, e.g. `M-Pesa Express`; each operation's spec names it. */
  product?: string | undefined;
  /** The key the request carried (B2C's `OriginatorConversationID`), named by a duplicate error. */
  idempotencyKey?: string | undefined;
}

/** @internal Internal errors and maintenance: Daraja says it did not take the request on. */
const NOT_ACCEPTED_TEXT = /internal (server )?error|under maintenance|try again later/i;
const DUPLICATE_TEXT = /duplicate/i;

/**
 * @internal
 * Is this a `500.002.1001` (or other `500.002.*`) answer whose message says Daraja did not accept the
 * request ("System internal error.", "Service is currently under maintenance. Please try again later")
 * rather than "Duplicate OriginatorConversationID."? Such an answer is safe to retry with the same
 * idempotency key; see the retry ladder in `retry.ts`.
 */
export function isNotAcceptedAnswer(
  errorCode: string | undefined,
  errorMessage: string | undefined,
): boolean {
  const message = errorMessage ?? '';
  return (
    (errorCode ?? '').startsWith('500.002') &&
    !DUPLICATE_TEXT.test(message) &&
    NOT_ACCEPTED_TEXT.test(message)
  );
}

/** What to do about the common Daraja error answers (by errorCode, refined by message). */
function hintFor(
  operation: DarajaOperation,
  status: number,
  env: ErrorEnvelope,
  idempotencyKey: string | undefined,
): string | undefined {
  const code = env.errorCode ?? '';
  const message = env.errorMessage ?? '';
  if (code.startsWith('500.002')) {
    // Not a duplicate (those become DarajaDuplicateError before any hint is looked up).
    const again =
      idempotencyKey === undefined
        ? 'Try again later.'
        : `It is safe to retry later with the same originatorConversationId "${idempotencyKey}": if an earlier attempt did get through, Daraja answers "Duplicate OriginatorConversationID" instead of paying twice.`;
    return NOT_ACCEPTED_TEXT.test(message)
      ? `Daraja did not accept the request (an internal error or maintenance on M-Pesa's side, not a duplicate). ${again}`
      : `Daraja did not say this is a duplicate, so it is not a sign the request was accepted. ${again}`;
  }
  if (operation === 'oauth' && status >= 400 && status < 500) {
    return 'Daraja rejected the consumer key and secret. Check MPESA_CONSUMER_KEY / MPESA_CONSUMER_SECRET, and that they belong to an app in this environment (sandbox and production apps are separate).';
  }
  if (INVALID_TOKEN_CODES.has(code) || status === 401) {
    return 'The access token was rejected even after a fresh one was fetched. Check that the app has this API product enabled and that the environment (sandbox or production) matches the credentials.';
  }
  if (code === '400.002.02') {
    const field = /invalid\s+(\w+)/i.exec(message)?.[1];
    if (field && /^(initiator(name)?|securitycredential)$/i.test(field))
      return `Daraja rejected ${field}: check initiatorName, and that the credential was encrypted with this environment's certificate.`;
    return field
      ? `Daraja rejected the field ${field}. Check its value and format.`
      : 'Daraja rejected a field of the request. Check the values sent.';
  }
  if (code === '500.001.1001') {
    if (/wrong credentials/i.test(message))
      return 'The shortcode, passkey and timestamp do not match. Check MPESA_SHORTCODE and MPESA_PASSKEY belong together (the sandbox passkey only works with 174379).';
    if (/merchant does not exist/i.test(message))
      return 'The shortcode is not enabled for Lipa na M-Pesa Online in this environment.';
    if (/unable to lock subscriber/i.test(message))
      return 'The customer already has a prompt open. Wait at least a minute before trying again.';
  }
  if (/urls are already registered/i.test(message))
    return 'URLs are already registered for this shortcode (an earlier call may have worked): C2B URL registration is one-time in production. To change them, delete them on the Daraja portal first.';
  if (/AddURLVault/i.test(message))
    return 'Daraja could not add C2B URLs for this shortcode. This was seen when registering C2B URLs on a shortcode set up only for M-Pesa Express (STK push): check that the shortcode is a C2B PayBill or till of this app.';
  if (/duplicate notification info/i.test(message))
    return "The URLs are registered on Safaricom's broker platform: ask apisupport@safaricom.co.ke to remove them.";
  if (/under maintenance/i.test(message)) return 'Daraja is under maintenance. Try again later.';
  if (status >= 500 && !hasDarajaErrorCode(env))
    return "Daraja's gateway failed without a Daraja error body; this is usually transient.";
  return undefined;
}

/**
 * Is this error answer Daraja's "Duplicate OriginatorConversationID"? Decided by the message: the same
 * `500.002.1001` also carries "System internal error." and maintenance notices, which are not duplicates.
 */
function isDuplicateAnswer(env: ErrorEnvelope): boolean {
  const message = env.errorMessage ?? '';
  return (
    /duplicate originator ?con?versation ?id/i.test(message) ||
    (env.errorCode === '500.002.1001' && DUPLICATE_TEXT.test(message))
  );
}

/**
 * @internal
 * Is this answer a rate limit, and which? Daraja's `500.003.02` Spike Arrest and `500.003.03` Quota, or
 * their Apigee fault codes (`policies.ratelimit.SpikeArrestViolation`, `…QuotaViolation`), then any 429.
 */
export function rateLimitSource(
  status: number,
  errorCode: string | undefined,
): DarajaRateLimitSource | undefined {
  const code = errorCode ?? '';
  if (code === '500.003.02' || /SpikeArrestViolation$/i.test(code)) return 'spike-arrest';
  if (code === '500.003.03' || /QuotaViolation$/i.test(code)) return 'quota';
  return status === 429 ? 'http-429' : undefined;
}

/** The extra facts of an error answer: its status text and its `Retry-After` header. */
export interface AnswerExtras {
  statusText?: string | undefined;
  retryAfter?: string | null | undefined;
}

/**
 * @internal
 * Build the right {@link DarajaApiError} subclass for an error answer to `call`. `extras` is the status
 * text (the message of an empty body) and the `Retry-After` header (a rate limit's `retryAfterMs`); a
 * string is the status text alone.
 */
export function toApiError(
  call: ApiCall,
  status: number,
  body: unknown,
  extras: AnswerExtras | string = {},
): DarajaApiError {
  const { statusText = '', retryAfter } = typeof extras === 'string' ? { statusText: extras } : extras;
  const { operation, idempotencyKey } = call;
  const env = readErrorEnvelope(body);
  if (env.errorMessage === undefined && body === '' && statusText) env.errorMessage = statusText;
  const details: DarajaApiErrorDetails = {
    operation,
    status,
    requestId: env.requestId,
    errorCode: env.errorCode,
    errorMessage: env.errorMessage === undefined ? undefined : maskPhoneNumbersInText(env.errorMessage),
    body: safeBody(body),
  };
  if (isDuplicateAnswer(env)) return new DarajaDuplicateError(details, idempotencyKey);
  if (operation !== 'oauth' && isProductNotEnabledAnswer(env)) {
    const product = call.product ?? `the product of ${operation}`;
    const message = productNotEnabledMessage(details, product);
    return new DarajaProductNotEnabledError(
      details,
      product,
      operation.startsWith('c2b.')
        ? `${message} For C2B the API version counts too: an app with C2B v1 may be refused on v2 (Safaricom support steers integrators to v1, \`version: 'v1'\`).`
        : message,
    );
  }
  const limit = rateLimitSource(status, env.errorCode);
  if (limit !== undefined) return new DarajaRateLimitError(details, limit, parseRetryAfter(retryAfter));
  const hint = hintFor(operation, status, env, idempotencyKey);
  const text = describeApiError(details);
  const message = hint ? `${text}. ${hint}` : text;
  if (operation === 'oauth' && status >= 400 && status < 500) return new DarajaAuthError(details, message);
  if (isInvalidTokenAnswer(status, env)) return new DarajaAuthError(details, message);
  if (/does not exist/i.test(env.errorMessage ?? '') && !/merchant/i.test(env.errorMessage ?? ''))
    return new DarajaNotFoundError(details, message);
  return new DarajaApiError(details, message);
}

/** @internal The fields of a 2xx answer whose own code says Daraja refused the request. */
export interface RefusalFields {
  requestId?: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
}

/**
 * @internal
 * A 2xx answer whose own code (`ResponseCode`, `ResponseStatus`) says Daraja refused the request: a
 * {@link DarajaApiError} with that code and description.
 */
export function toRefusalError(
  operation: DarajaOperation,
  status: number,
  fields: RefusalFields,
  body: unknown,
): DarajaApiError {
  return new DarajaApiError({ operation, status, ...fields, body });
}

/** @internal What {@link toUnreadableAnswerError} needs to know of the call. */
export interface UnreadableCall {
  operation: DarajaOperation;
  /** A money-moving call whose answer cannot be read has an unknown outcome. */
  moneyMoving: boolean;
  /** What the {@link DarajaUnknownOutcomeError} tells the caller to do. */
  unknownOutcomeAdvice?: string | undefined;
}

/**
 * @internal
 * The unknown-outcome rule for an answer the SDK cannot read (a 2xx without the fields every answer of
 * the operation has). For a money-moving call the request may well have been carried out: the error is
 * a {@link DarajaUnknownOutcomeError}, and the call is never resent. For any other call it is a
 * {@link DarajaApiError} with `message`. `body` is what the error keeps of the answer.
 */
export function toUnreadableAnswerError(
  call: UnreadableCall,
  status: number,
  body: unknown,
  message: string,
): DarajaApiError | DarajaUnknownOutcomeError {
  const error = new DarajaApiError({ operation: call.operation, status, body }, message);
  return call.moneyMoving
    ? new DarajaUnknownOutcomeError(call.operation, error, call.unknownOutcomeAdvice)
    : error;
}
