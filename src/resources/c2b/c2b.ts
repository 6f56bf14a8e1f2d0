import { DarajaConfigError } from '../../core/errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import {
  C2B_BILL_REF_MAX,
  type C2bApiVersion,
  type C2bCommandId,
  type C2bResponseType,
  STK_MAX_AMOUNT,
} from '../../core/limits.js';
import { type AnswerWithoutCode, ApiResource, type PostSpec } from '../../core/resource.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import {
  invalid,
  oneOf,
  optionalText,
  requireParams,
  urlField,
  wholeShillings,
} from '../../core/utils/validate.js';

/** Input of {@link C2b.registerUrls}. */
export interface C2bRegisterUrlsParams {
  /** Where M-Pesa POSTs each completed payment. HTTPS in production. */
  confirmationUrl: string;
  /** Where M-Pesa asks you to accept or reject a payment (external validation, enabled by Safaricom on request). */
  validationUrl: string;
  /** `Completed` (accept) or `Cancelled` (reject) when the validation URL does not answer. @defaultValue `'Completed'` */
  responseType?: C2bResponseType;
  /** The PayBill or till shortcode receiving payments. @defaultValue the client's `shortcode` */
  shortcode?: string | number;
  /** API version. Safaricom support currently steers integrators to v1. @defaultValue `'v1'` */
  version?: C2bApiVersion;
}

/** Input of {@link C2b.simulate}. */
export interface C2bSimulateParams {
  /** The paying customer's phone number, in any Kenyan form (sandbox test numbers such as `254708374149`). */
  phoneNumber: string | number;
  /** Whole shillings, 1 to 250,000. */
  amount: number;
  /** `CustomerPayBillOnline` or `CustomerBuyGoodsOnline`. @defaultValue `'CustomerPayBillOnline'` */
  commandId?: C2bCommandId;
  /** The account number the customer types (PayBill; up to 20 characters). Required for PayBill, unused for Buy Goods. */
  billRefNumber?: string;
  /** The shortcode paid. @defaultValue the client's `shortcode` */
  shortcode?: string | number;
  /** API version. @defaultValue `'v1'` */
  version?: C2bApiVersion;
}

/** Daraja's answer to a C2B register or simulate call. */
export interface C2bResponse {
  /** Daraja's id of the request (from its misspelt `OriginatorCoversationID`); may be empty. */
  originatorConversationId: string;
  /**
   * `"0"` when accepted, also when Daraja answered in an older shape with no `ResponseCode` whose
   * `ResponseDescription` says it succeeded ("success", "Accept the service request successfully.").
   */
  responseCode: string;
  /** e.g. "success" or "Accept the service request successfully." */
  responseDescription: string;
}

/**
 * Older C2B answers with no `ResponseCode` are still definite (Daraja was seen to send them in sandbox and
 * production, 2019–2024; test/unit/resources/c2b/c2b.test.ts replays them): register success
 * `{"ConversationID":"","OriginatorCoversationID":"","ResponseDescription":"success"}`, simulate
 * acceptance "Accept the service request successfully.", and, at HTTP 200, "Validation and Confirmation
 * URLs are already registered": the URLs are registered, reported like `500.003.1001` "Urls are already
 * registered" (a DarajaApiError saying so).
 */
const readC2bAnswerWithoutCode: AnswerWithoutCode = (description) => {
  const text = description.trim();
  if (
    /^success(ful(ly)?)?\.?$/i.test(text) ||
    /^accept(ed)? the service request successfully\.?$/i.test(text)
  )
    return 'accepted';
  if (/urls are already registered/i.test(text)) return 'rejected';
  return undefined;
};

// Safaricom's Register URL rules (its C2B Register URL documentation): "Avoid the keywords M-PESA/MPesa/
// Safaricom/exe/exec/cmd/SQL/query in URLs" and "Do not use ngrok, mockbin or requestbin (usually blocked)".
const FORBIDDEN_IN_URL = /m-?pesa|safaricom|exec|exe|cmd|sql|query/i;
const BLOCKED_HOST_WORDS = /ngrok|mockbin|requestbin/i;

/** Why Safaricom would refuse this C2B URL under its documented rules, or `undefined`. */
function registerUrlProblem(value: string): string | undefined {
  const word = FORBIDDEN_IN_URL.exec(value)?.[0];
  if (word)
    return (
      `contains "${word}". Safaricom's Register URL rules say to avoid the keywords M-PESA, MPesa, ` +
      'Safaricom, exe, exec, cmd, SQL and query in C2B URLs; use a path without them, e.g. /payments/c2b/confirmation.'
    );
  let host = '';
  try {
    host = new URL(value).hostname;
  } catch {
    return undefined; // reported by the URL check
  }
  if (BLOCKED_HOST_WORDS.test(host))
    return (
      `is on ${host}. Safaricom's Register URL rules say not to use ngrok, mockbin or requestbin (usually ` +
      'blocked); register a URL on your own domain.'
    );
  return undefined;
}

const VERSIONS: readonly C2bApiVersion[] = ['v1', 'v2'];
const COMMAND_IDS: readonly C2bCommandId[] = ['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'];
const REGISTER_ADVICE =
  'It was NOT resent (registration is one-time). Call again: "Urls are already registered" means the first call worked.';

/**
 * C2B (customer to business): register the URLs M-Pesa calls when customers pay your PayBill or till, and
 * simulate payments in the sandbox. Use it as `daraja.c2b`. Parse what arrives on those URLs with
 * {@link daraja-sdk/results!parseC2bPayload}, and answer validation requests with {@link daraja-sdk/results!c2bAccept} / {@link daraja-sdk/results!c2bReject}.
 */
export class C2b extends ApiResource {
  /**
   * Register your confirmation and validation URLs for a shortcode (`POST /mpesa/c2b/v1/registerurl`).
   *
   * In production this is **one-time**: a second registration fails with "Urls are already registered"
   * (delete them on the Daraja portal first). Daraja says so as `500.003.1001`, or in an older shape as
   * HTTP 200 "Validation and Confirmation URLs are already registered" with no `ResponseCode`; both throw
   * a {@link DarajaApiError} saying the URLs are registered. So it is not resent after an ambiguous failure
   * either: you get {@link DarajaUnknownOutcomeError}, and calling again tells you (an "already registered"
   * answer means the first call worked). The sandbox allows re-registering; do it before each simulation.
   *
   * @param params - The two URLs and optional overrides.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's answer.
   * When the client talks to Daraja (no `baseUrl`, or a safaricom.co.ke one), the URLs are held to
   * Safaricom's documented Register URL rules: no keywords M-PESA, MPesa, Safaricom, exe, exec, cmd, SQL or
   * query (in any case), and no ngrok, mockbin or requestbin hosts. Against a simulator any URL is sent.
   *
   * @throws {@link DarajaValidationError} for bad URLs (spaces, http in production, or what Safaricom's
   * rules above forbid), {@link DarajaConfigError} without a
   * shortcode, {@link DarajaApiError}, {@link DarajaProductNotEnabledError} when the app lacks the
   * Customer To Business product (or this API version), {@link DarajaUnknownOutcomeError}.
   *
   * @example
   * ```ts
   * await daraja.c2b.registerUrls({
   *   confirmationUrl: 'https://shop.example.com/payments/c2b/confirmation',
   *   validationUrl: 'https://shop.example.com/payments/c2b/validation',
   * });
   * ```
   */
  async registerUrls(params: C2bRegisterUrlsParams, options: RequestOptions = {}): Promise<C2bResponse> {
    const ctx = this.ctx;
    const p = requireParams(params, '{ confirmationUrl, validationUrl }');
    const shortcode = this.collectionShortcode(p.shortcode);
    const version = oneOf('version', p.version ?? 'v1', VERSIONS);
    const url = (field: 'confirmationUrl' | 'validationUrl') => {
      const value = urlField(field, p[field], ctx.production);
      // Safaricom's own rules; a simulator or mock behind `baseUrl` accepts any URL.
      const problem = ctx.darajaHost ? registerUrlProblem(value) : undefined;
      return problem ? invalid(field, problem) : value;
    };
    const body = {
      ShortCode: shortcode,
      ResponseType: oneOf('responseType', p.responseType ?? 'Completed', ['Completed', 'Cancelled'] as const),
      ConfirmationURL: url('confirmationUrl'),
      ValidationURL: url('validationUrl'),
    };
    const path = `/mpesa/c2b/${version}/registerurl`;
    return this.#send(
      { operation: 'c2b.registerUrls', path, body, unknownOutcomeAdvice: REGISTER_ADVICE },
      options,
    );
  }

  /**
   * Simulate a customer paying your shortcode (`POST /mpesa/c2b/v1/simulate`). **Sandbox only**:
   * Daraja refuses it in production, and so does the SDK, before sending anything. M-Pesa then calls your
   * registered URLs. Not resent after an ambiguous failure.
   *
   * @param params - Phone number, amount, and the account number for PayBill.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's answer.
   * @throws {@link DarajaConfigError} in production or without a shortcode, {@link DarajaValidationError},
   * {@link DarajaApiError}, {@link DarajaProductNotEnabledError}, {@link DarajaUnknownOutcomeError}.
   *
   * @example
   * ```ts
   * await daraja.c2b.simulate({ phoneNumber: '254708374149', amount: 10, billRefNumber: 'INV-7' });
   * ```
   */
  async simulate(params: C2bSimulateParams, options: RequestOptions = {}): Promise<C2bResponse> {
    if (this.ctx.production)
      throw new DarajaConfigError([
        {
          field: 'environment',
          message:
            'c2b.simulate is sandbox-only ("Simulation is not supported on production"): use a sandbox client.',
        },
      ]);
    const p = requireParams(params, '{ phoneNumber, amount, billRefNumber }');
    const shortcode = this.collectionShortcode(p.shortcode);
    const version = oneOf('version', p.version ?? 'v1', VERSIONS);
    const commandId = oneOf('commandId', p.commandId ?? 'CustomerPayBillOnline', COMMAND_IDS);
    const billRef = optionalText('billRefNumber', p.billRefNumber, { min: 1, max: C2B_BILL_REF_MAX });
    if (commandId === 'CustomerPayBillOnline' && billRef === undefined)
      invalid(
        'billRefNumber',
        'is required for CustomerPayBillOnline: the account number (up to 20 characters).',
      );
    const body = {
      ShortCode: Number(shortcode),
      CommandID: commandId,
      Amount: wholeShillings('amount', p.amount, STK_MAX_AMOUNT),
      Msisdn: Number(normalizePhoneNumber(p.phoneNumber, 'phoneNumber')),
      BillRefNumber: billRef ?? null,
    };
    const path = `/mpesa/c2b/${version}/simulate`;
    const unknownOutcomeAdvice = 'It was NOT resent. Watch your confirmation URL.';
    return this.#send({ operation: 'c2b.simulate', path, body, unknownOutcomeAdvice }, options);
  }

  /** Send a C2B call: money-moving (never resent), older answers without a code read as Daraja means them. */
  async #send(
    call: Omit<PostSpec, 'moneyMoving' | 'product'>,
    options: RequestOptions,
  ): Promise<C2bResponse> {
    const spec = {
      ...call,
      product: 'Customer To Business',
      moneyMoving: true,
      answerWithoutCode: readC2bAnswerWithoutCode,
    };
    const { conversationId: _, ...answer } = await this.accept(spec, options);
    return answer;
  }
}
