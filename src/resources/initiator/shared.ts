import * as z from 'zod/mini';
import {
  DarajaApiError,
  DarajaConfigError,
  type DarajaConfigIssue,
  DarajaUnknownOutcomeError,
} from '../../core/errors.js';
import { toApiError } from '../../core/http/api-errors.js';
import type { RequestOptions, RequestSpec, Transport } from '../../core/http/transport.js';
import type { Log } from '../../core/logger.js';
import { digitsField, textField, urlField } from '../../core/utils/validate.js';

/** @internal What the operation resources (C2B, B2C, B2B, tax, status, balance, reversal, QR) need. */
export interface OperationsContext {
  transport: Transport;
  log: Log;
  /** `environment === 'production'`: HTTPS URLs only, no C2B simulation. */
  production: boolean;
  /** The client talks to Safaricom's own hosts (not a simulator): URLs must be ones Safaricom accepts. */
  darajaHost?: boolean;
  /** The client's STK/PayBill shortcode: the default C2B shortcode. */
  shortcode: string | undefined;
  initiatorShortcode: string | undefined;
  initiatorName: string | undefined;
  securityCredential: string | undefined;
  resultUrl: string | undefined;
  queueTimeoutUrl: string | undefined;
}

/** Fields shared by every initiator call (B2C, B2B, tax, transaction status, balance, reversal). */
export interface InitiatorCallParams {
  /** Your organisation's shortcode (`PartyA`). @defaultValue the client's `initiatorShortcode` */
  shortcode?: string | number;
  /** Where Daraja POSTs the result. @defaultValue the client's `resultUrl` */
  resultUrl?: string;
  /** Where Daraja POSTs a queue timeout. @defaultValue the client's `queueTimeoutUrl` */
  queueTimeoutUrl?: string;
  /** A comment sent with the request, 2 to 100 characters. */
  remarks?: string;
}

/**
 * Daraja's synchronous answer to an initiator call: the request was **accepted for processing**, not
 * completed. The outcome arrives later on the ResultURL (see {@link daraja-sdk/results!parseResult} and
 * {@link daraja-sdk/results!createResultHandler}); match it by `originatorConversationId` or `conversationId`.
 */
export interface InitiatorResponse {
  /** The id the result will carry as `OriginatorConversationID` (for B2C, the id you sent). */
  originatorConversationId: string;
  /** Daraja's id of the request (`ConversationID`, e.g. `AG_20240706_…`). */
  conversationId: string;
  /** `"0"` when accepted. */
  responseCode: string;
  /** e.g. "Accept the service request successfully." */
  responseDescription: string;
}

/** Longest `Remarks` and `Occasion` Daraja accepts. */
export const REMARKS_MAX = 100;

/** @internal The validated common part of an initiator call. */
export interface InitiatorBasics {
  initiator: string;
  credential: string;
  partyA: string;
  remarks: string;
  resultUrl: string;
  queueTimeoutUrl: string;
}

/**
 * @internal
 * Validate the common part of an initiator call: every missing client setting in one
 * {@link DarajaConfigError}, then the call's own fields.
 */
export function initiatorBasics(
  ctx: OperationsContext,
  p: InitiatorCallParams,
  defaultRemarks: string,
): InitiatorBasics {
  const shortcode = p.shortcode ?? ctx.initiatorShortcode;
  const resultUrl = p.resultUrl ?? ctx.resultUrl;
  const queueTimeoutUrl = p.queueTimeoutUrl ?? ctx.queueTimeoutUrl;
  const issues: DarajaConfigIssue[] = [];
  const call = 'to the call or to new Daraja()';
  for (const [field, missing, what, env] of [
    [
      'initiatorName',
      ctx.initiatorName === undefined,
      '`initiatorName` to new Daraja()',
      'MPESA_INITIATOR_NAME',
    ],
    [
      'initiatorPassword',
      ctx.securityCredential === undefined,
      '`initiatorPassword` with `certificate`, or a `securityCredential`, to new Daraja()',
      'MPESA_INITIATOR_PASSWORD and MPESA_CERTIFICATE_PATH',
    ],
    [
      'shortcode',
      shortcode === undefined,
      '`shortcode` to the call or `initiatorShortcode` to new Daraja()',
      'MPESA_INITIATOR_SHORTCODE',
    ],
    ['resultUrl', resultUrl === undefined, `\`resultUrl\` ${call}`, 'MPESA_RESULT_URL'],
    [
      'queueTimeoutUrl',
      queueTimeoutUrl === undefined,
      `\`queueTimeoutUrl\` ${call}`,
      'MPESA_QUEUE_TIMEOUT_URL',
    ],
  ] as const)
    if (missing) issues.push({ field, message: `missing: pass ${what} (env ${env}).` });
  if (issues.length > 0) throw new DarajaConfigError(issues);
  return {
    initiator: ctx.initiatorName!,
    credential: ctx.securityCredential!,
    partyA: digitsField('shortcode', shortcode, 5, 7, 'your organisation shortcode'),
    remarks: textField('remarks', p.remarks ?? defaultRemarks, 2, REMARKS_MAX),
    resultUrl: urlField('resultUrl', resultUrl, ctx.production),
    queueTimeoutUrl: urlField('queueTimeoutUrl', queueTimeoutUrl, ctx.production),
  };
}

const AcceptedSchema = z.object({
  OriginatorConversationID: z.optional(z.string()),
  // C2B answers spell it this way.
  OriginatorCoversationID: z.optional(z.string()),
  ConversationID: z.optional(z.string()),
  // Missing in some older C2B answers; see AnswerWithoutCode.
  ResponseCode: z.optional(z.union([z.string(), z.number()])),
  ResponseDescription: z.optional(z.string()),
});

/**
 * @internal
 * How an operation reads an answer that has a `ResponseDescription` but no `ResponseCode` (older C2B
 * shapes, still possible): `accepted` is a success (read as `ResponseCode "0"`); `rejected` a definite
 * refusal, thrown as a {@link DarajaApiError} with the usual hints; `undefined` an unreadable answer
 * (for a money-moving call, an unknown outcome).
 */
export type AnswerWithoutCode = (description: string) => 'accepted' | 'rejected' | undefined;

/** @internal A call for {@link sendAndAccept}. */
export type AcceptSpec = Omit<RequestSpec, 'method' | 'auth'> & {
  /** Reads answers without a `ResponseCode`; without it they are unreadable. */
  answerWithoutCode?: AnswerWithoutCode;
};

/** @internal `0`, `"0"` and `"00000000"` all mean accepted. */
export const isZeroCode = (code: unknown) => /^0+$/.test(String(code).trim());

/** @internal Send a call and read Daraja's `{OriginatorConversationID, ConversationID, ResponseCode}` answer. */
export async function sendAndAccept(
  ctx: OperationsContext,
  spec: AcceptSpec,
  options: RequestOptions,
): Promise<InitiatorResponse> {
  const { answerWithoutCode, ...request } = spec;
  const response = await ctx.transport.send({ ...request, method: 'POST', auth: 'bearer' }, options);
  const parsed = AcceptedSchema.safeParse(response.body);
  let data = parsed.success ? parsed.data : undefined;
  if (data && data.ResponseCode === undefined) {
    const reading =
      data.ResponseDescription === undefined ? undefined : answerWithoutCode?.(data.ResponseDescription);
    if (reading === 'rejected') {
      const error = toApiError(spec.operation, response.status, response.body, '', spec.idempotencyKey);
      ctx.log.error('request failed', {
        operation: spec.operation,
        status: response.status,
        errorMessage: error.errorMessage,
      });
      throw error;
    }
    data = reading === 'accepted' ? { ...data, ResponseCode: '0' } : undefined;
  }
  if (!data) {
    const cause = new DarajaApiError(
      { operation: spec.operation, status: response.status, body: '[unreadable answer]' },
      `[daraja] ${spec.operation}: Daraja answered ${response.status} without a ResponseCode.`,
    );
    if (spec.moneyMoving) {
      ctx.log.error('outcome unknown; not resending', { operation: spec.operation, status: response.status });
      throw new DarajaUnknownOutcomeError(spec.operation, cause, spec.unknownOutcomeAdvice);
    }
    throw cause;
  }
  const result: InitiatorResponse = {
    originatorConversationId:
      data.OriginatorConversationID ?? data.OriginatorCoversationID ?? spec.idempotencyKey ?? '',
    conversationId: data.ConversationID ?? '',
    responseCode: String(data.ResponseCode).trim(),
    responseDescription: data.ResponseDescription ?? '',
  };
  if (!isZeroCode(result.responseCode)) {
    throw new DarajaApiError({
      operation: spec.operation,
      status: response.status,
      requestId: result.conversationId || undefined,
      errorCode: result.responseCode,
      errorMessage: result.responseDescription || undefined,
      body: response.body,
    });
  }
  ctx.log.info('request accepted', {
    operation: spec.operation,
    originatorConversationId: result.originatorConversationId,
    conversationId: result.conversationId,
  });
  return result;
}

/** @internal Advice of an unknown-outcome error for money-moving calls that Daraja cannot deduplicate. */
export const NOT_RESENT_ADVICE =
  'It was NOT resent: Daraja cannot tell a resend from a new payment. Wait for the result on your ResultURL, or check with transactions.status().';
