import * as z from 'zod/mini';
import { DarajaConfigError, type DarajaConfigIssue } from './errors.js';
import { toApiError, toRefusalError, toUnreadableAnswerError } from './http/api-errors.js';
import type { RequestOptions, RequestSpec, Transport, TransportResponse } from './http/transport.js';
import type { StkTransactionType } from './limits.js';
import type { Log } from './logger.js';
import { returnApiPromises } from './response.js';
import { digitsField } from './utils/validate.js';

/**
 * @internal
 * What every resource (STK, C2B, pull, QR, B2C, B2B, tax, status, balance, reversal) gets from the
 * client: the transport (which holds the token source), the logger, and the client's validated settings.
 */
export interface ResourceContext {
  transport: Transport;
  log: Log;
  /** `environment === 'production'`: HTTPS URLs only, no C2B simulation. */
  production: boolean;
  /**
   * The client talks to Safaricom's own hosts (not a simulator): URLs must be ones Safaricom accepts and
   * callback URLs must be reachable from the internet.
   */
  darajaHost: boolean;
  /** The client's STK/PayBill shortcode (also the default C2B shortcode). */
  shortcode: string | undefined;
  passkey: string | undefined;
  callbackUrl: string | undefined;
  transactionType: StkTransactionType;
  tillNumber: string | undefined;
  initiatorShortcode: string | undefined;
  initiatorName: string | undefined;
  securityCredential: string | undefined;
  resultUrl: string | undefined;
  queueTimeoutUrl: string | undefined;
}

/** @internal A POST with a bearer token, as a resource sends it. */
export type PostSpec = Omit<RequestSpec, 'method' | 'auth'>;

/**
 * @internal
 * How an operation reads an answer that has a `ResponseDescription` but no `ResponseCode` (older C2B
 * shapes, still possible): `accepted` is a success (read as `ResponseCode "0"`); `rejected` a definite
 * refusal, thrown as a `DarajaApiError` with the usual hints; `undefined` an unreadable answer (for a
 * money-moving call, an unknown outcome).
 */
export type AnswerWithoutCode = (description: string) => 'accepted' | 'rejected' | undefined;

/** @internal A call for {@link ApiResource.accept}. */
export type AcceptSpec = PostSpec & {
  /** Reads answers without a `ResponseCode`; without it they are unreadable. */
  answerWithoutCode?: AnswerWithoutCode;
};

/** @internal Daraja's `{OriginatorConversationID, ConversationID, ResponseCode}` answer, read. */
export interface AcceptedAnswer {
  originatorConversationId: string;
  conversationId: string;
  responseCode: string;
  responseDescription: string;
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

/** @internal `0`, `"0"` and `"00000000"` all mean accepted. */
export const isZeroCode = (code: unknown) => /^0+$/.test(String(code).trim());

/** @internal One missing client setting: its field, whether it is missing, and how to set it. */
export type SettingCheck = readonly [field: string, missing: boolean, message: string];

/** @internal Throw one {@link DarajaConfigError} listing every missing setting, if any is. */
export function requireSettings(checks: readonly SettingCheck[]): void {
  const issues: DarajaConfigIssue[] = checks
    .filter(([, missing]) => missing)
    .map(([field, , message]) => ({ field, message }));
  if (issues.length > 0) throw new DarajaConfigError(issues);
}

/**
 * @internal
 * The base of every resource class: built once from the client's {@link ResourceContext}, it sends
 * requests and reads Daraja's answers the same way for all of them. Each operation validates its
 * parameters, builds the body, sends it with {@link ApiResource.post} or {@link ApiResource.accept}, and
 * reads the answer through the error factory of `http/api-errors.ts`.
 */
export abstract class ApiResource {
  // An ES private field, so the settings (the passkey, the credential) never show in `inspect` or JSON.
  readonly #ctx: ResourceContext;

  /**
   * @internal
   * Every operation of the resource class (its `async` methods) returns an `ApiPromise`, whose
   * `withResponse()` gives the answer's metadata too (`response.ts`): done here once per class, so no
   * operation has code for it.
   */
  constructor(context: ResourceContext) {
    this.#ctx = context;
    returnApiPromises(new.target.prototype, ApiResource.prototype);
  }

  /** @internal The client's context. */
  protected get ctx(): ResourceContext {
    return this.#ctx;
  }

  /** @internal Send a POST with a bearer token; error answers are thrown by the transport. */
  protected post(spec: PostSpec, options: RequestOptions): Promise<TransportResponse> {
    return this.ctx.transport.send({ ...spec, method: 'POST', auth: 'bearer' }, options);
  }

  /**
   * @internal
   * Throw for an answer that cannot be read: for a money-moving call an unknown outcome (logged, never
   * resent), else a `DarajaApiError` with `message`.
   */
  protected unreadable(spec: PostSpec, status: number, body: unknown, message: string): never {
    const error = toUnreadableAnswerError(spec, status, body, message);
    if (spec.moneyMoving)
      this.ctx.log.error('outcome unknown; not resending', { operation: spec.operation, status });
    throw error;
  }

  /** @internal Send a call and read Daraja's `{OriginatorConversationID, ConversationID, ResponseCode}` answer. */
  protected async accept(spec: AcceptSpec, options: RequestOptions): Promise<AcceptedAnswer> {
    const { answerWithoutCode, ...request } = spec;
    const response = await this.post(request, options);
    const data = this.#readAccepted(spec, response);
    const result: AcceptedAnswer = {
      originatorConversationId:
        data.OriginatorConversationID ?? data.OriginatorCoversationID ?? spec.idempotencyKey ?? '',
      conversationId: data.ConversationID ?? '',
      responseCode: String(data.ResponseCode).trim(),
      responseDescription: data.ResponseDescription ?? '',
    };
    const { originatorConversationId, conversationId, responseCode, responseDescription } = result;
    if (!isZeroCode(responseCode)) {
      const fields = {
        requestId: conversationId || undefined,
        errorCode: responseCode,
        errorMessage: responseDescription || undefined,
      };
      throw toRefusalError(spec.operation, response.status, fields, response.body);
    }
    this.ctx.log.info('request accepted', {
      operation: spec.operation,
      originatorConversationId,
      conversationId,
    });
    return result;
  }

  /**
   * An accepted-shape answer with its `ResponseCode`, or a throw: a definite refusal without a code (see
   * {@link AnswerWithoutCode}), or an unreadable answer (for a money-moving call, an unknown outcome).
   */
  #readAccepted(spec: AcceptSpec, response: TransportResponse) {
    const { operation } = spec;
    const parsed = AcceptedSchema.safeParse(response.body);
    const data = parsed.success ? parsed.data : undefined;
    if (data && data.ResponseCode !== undefined) return data;
    const description = data?.ResponseDescription;
    const reading = description === undefined ? undefined : spec.answerWithoutCode?.(description);
    if (reading === 'accepted') return { ...data, ResponseCode: '0' };
    if (reading === 'rejected') {
      const error = toApiError(spec, response.status, response.body);
      this.ctx.log.error('request failed', {
        operation,
        status: response.status,
        errorMessage: error.errorMessage,
      });
      throw error;
    }
    const message = `[daraja] ${operation}: Daraja answered ${response.status} without a ResponseCode.`;
    return this.unreadable(spec, response.status, '[unreadable answer]', message);
  }

  /** @internal The PayBill or till shortcode of a C2B or pull call: the call's, else the client's. */
  protected collectionShortcode(value: string | number | undefined): string {
    const shortcode = value ?? this.ctx.shortcode;
    requireSettings([
      [
        'shortcode',
        shortcode === undefined,
        'missing: pass `shortcode` to this call or to new Daraja() (MPESA_SHORTCODE).',
      ],
    ]);
    return digitsField('shortcode', shortcode, 5, 8, 'the PayBill or till shortcode');
  }
}
