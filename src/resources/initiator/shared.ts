import { REMARKS_MAX } from '../../core/limits.js';
import { ApiResource, requireSettings } from '../../core/resource.js';
import { digitsField, optionalText, textField, urlField } from '../../core/utils/validate.js';

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

/** @internal The validated common part of an initiator call. */
export interface InitiatorBasics {
  initiator: string;
  credential: string;
  partyA: string;
  remarks: string;
  resultUrl: string;
  queueTimeoutUrl: string;
}

const CALL = 'to the call or to new Daraja()';

/** @internal Advice of an unknown-outcome error for money-moving calls that Daraja cannot deduplicate. */
export const NOT_RESENT_ADVICE =
  'It was NOT resent: Daraja cannot tell a resend from a new payment. Wait for the result on your ResultURL, or check with transactions.status().';

/** @internal Parameters shared by the initiator calls that send an `Occasion`. */
interface WithOccasion extends InitiatorCallParams {
  occasion?: string;
}

/**
 * @internal
 * The base of the initiator resources (B2C, B2B, tax, transaction status, balance, reversal): the
 * initiator settings every call needs, checked once per call, and the fields every body carries.
 */
export abstract class InitiatorResource extends ApiResource {
  /**
   * @internal
   * Validate the common part of an initiator call: every missing client setting in one
   * `DarajaConfigError`, then the call's own fields.
   */
  protected basics(p: InitiatorCallParams, defaultRemarks: string): InitiatorBasics {
    const ctx = this.ctx;
    const shortcode = p.shortcode ?? ctx.initiatorShortcode;
    const resultUrl = p.resultUrl ?? ctx.resultUrl;
    const queueTimeoutUrl = p.queueTimeoutUrl ?? ctx.queueTimeoutUrl;
    const missing = (what: string, env: string) => `missing: pass ${what} (env ${env}).`;
    requireSettings([
      [
        'initiatorName',
        ctx.initiatorName === undefined,
        missing('`initiatorName` to new Daraja()', 'MPESA_INITIATOR_NAME'),
      ],
      [
        'initiatorPassword',
        ctx.securityCredential === undefined,
        missing(
          '`initiatorPassword` with `certificate`, or a `securityCredential`, to new Daraja()',
          'MPESA_INITIATOR_PASSWORD and MPESA_CERTIFICATE_PATH',
        ),
      ],
      [
        'shortcode',
        shortcode === undefined,
        missing(
          '`shortcode` to the call or `initiatorShortcode` to new Daraja()',
          'MPESA_INITIATOR_SHORTCODE',
        ),
      ],
      ['resultUrl', resultUrl === undefined, missing(`\`resultUrl\` ${CALL}`, 'MPESA_RESULT_URL')],
      [
        'queueTimeoutUrl',
        queueTimeoutUrl === undefined,
        missing(`\`queueTimeoutUrl\` ${CALL}`, 'MPESA_QUEUE_TIMEOUT_URL'),
      ],
    ]);
    return {
      initiator: ctx.initiatorName!,
      credential: ctx.securityCredential!,
      partyA: digitsField('shortcode', shortcode, 5, 7, 'your organisation shortcode'),
      remarks: textField('remarks', p.remarks ?? defaultRemarks, 2, REMARKS_MAX),
      resultUrl: urlField('resultUrl', resultUrl, ctx.production),
      queueTimeoutUrl: urlField('queueTimeoutUrl', queueTimeoutUrl, ctx.production),
    };
  }

  /** @internal The `Occasion` of a call (up to 100 characters), as a body fragment. */
  protected occasion(p: WithOccasion, key = 'Occasion'): Record<string, string> {
    const occasion = optionalText('occasion', p.occasion, { min: 1, max: REMARKS_MAX });
    return occasion === undefined ? {} : { [key]: occasion };
  }

  /** @internal The first fields of every initiator body: the initiator, its credential, the command. */
  protected head(basics: InitiatorBasics, commandId: string) {
    return { Initiator: basics.initiator, SecurityCredential: basics.credential, CommandID: commandId };
  }

  /** @internal The last fields of a query or reversal body: where the result goes, and the remarks. */
  protected replyTo(basics: InitiatorBasics) {
    return {
      ResultURL: basics.resultUrl,
      QueueTimeOutURL: basics.queueTimeoutUrl,
      Remarks: basics.remarks,
    };
  }
}
