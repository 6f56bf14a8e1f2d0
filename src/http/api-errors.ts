import {
  DarajaApiError,
  type DarajaApiErrorDetails,
  DarajaAuthError,
  DarajaDuplicateError,
  DarajaNotFoundError,
  type DarajaOperation,
  sanitizeBody,
} from '../errors.js';
import { maskPhoneNumbersInText } from '../utils/mask.js';

/** Daraja error codes that mean "this access token is not valid (any more)". */
const INVALID_TOKEN_CODES = new Set(['404.001.03', '401.002.01', '400.003.01', '401.003.01']);

/** @internal The useful fields of an error body, whatever shape Daraja's gateway chose. */
export interface ErrorEnvelope {
  requestId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
}

/** @internal Read Daraja's `{requestId, errorCode, errorMessage}` or an Apigee `fault` object. */
export function readErrorEnvelope(body: unknown): ErrorEnvelope {
  const out: ErrorEnvelope = { requestId: undefined, errorCode: undefined, errorMessage: undefined };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return out;
  const b = body as Record<string, unknown>;
  out.requestId = str(b['requestId']) ?? str(b['RequestID']) ?? str(b['MerchantRequestID']);
  out.errorCode = str(b['errorCode']) ?? str(b['ResponseCode']);
  out.errorMessage = str(b['errorMessage']) ?? str(b['ResponseDescription']);
  const fault = b['fault'];
  if (typeof fault === 'object' && fault !== null) {
    const f = fault as Record<string, unknown>;
    out.errorMessage ??= str(f['faultstring']);
    const detail = f['detail'];
    if (typeof detail === 'object' && detail !== null)
      out.errorCode ??= str((detail as Record<string, unknown>)['errorcode']);
  }
  return out;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** @internal Does this answer say the access token is invalid or expired? */
export function isInvalidTokenAnswer(status: number, envelope: ErrorEnvelope): boolean {
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

/** What to do about the common Daraja error answers (by errorCode, refined by message). */
function hintFor(operation: DarajaOperation, status: number, env: ErrorEnvelope): string | undefined {
  const code = env.errorCode ?? '';
  const message = env.errorMessage ?? '';
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
    return 'C2B URL registration is one-time in production (an earlier call may have worked). To change them, delete them on the Daraja portal first.';
  if (/duplicate notification info/i.test(message))
    return "The URLs are registered on Safaricom's broker platform: ask apisupport@safaricom.co.ke to remove them.";
  if (/under maintenance/i.test(message)) return 'Daraja is under maintenance. Try again later.';
  if (code === '500.003.02' || code === '500.003.03')
    return 'Daraja is rate-limiting this app (spike arrest or quota). Slow down and retry later.';
  if (status >= 500 && !hasDarajaErrorCode(env))
    return "Daraja's gateway failed without a Daraja error body; this is usually transient.";
  return undefined;
}

/** Is this error answer Daraja's "Duplicate OriginatorConversationID"? */
function isDuplicateAnswer(env: ErrorEnvelope): boolean {
  return (
    env.errorCode === '500.002.1001' || /duplicate originator ?conversation ?id/i.test(env.errorMessage ?? '')
  );
}

/**
 * @internal Build the right {@link DarajaApiError} subclass for an error answer. `idempotencyKey` is the
 * key the request carried (B2C's `OriginatorConversationID`), named by a duplicate error.
 */
export function toApiError(
  operation: DarajaOperation,
  status: number,
  body: unknown,
  statusText = '',
  idempotencyKey?: string,
): DarajaApiError {
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
  const hint = hintFor(operation, status, env);
  const base = new DarajaApiError(details);
  const message = hint ? `${base.message}. ${hint}` : base.message;
  if (operation === 'oauth' && status >= 400 && status < 500) return new DarajaAuthError(details, message);
  if (isInvalidTokenAnswer(status, env)) return new DarajaAuthError(details, message);
  if (/does not exist/i.test(env.errorMessage ?? '') && !/merchant/i.test(env.errorMessage ?? ''))
    return new DarajaNotFoundError(details, message);
  return hint ? new DarajaApiError(details, message) : base;
}
