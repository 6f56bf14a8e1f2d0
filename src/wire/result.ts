// Daraja's initiator results (B2C, B2B, tax, transaction status, account balance, reversal): the `Result`
// envelope POSTed to `ResultURL`, typed as each operation's documented samples type it. B2B, tax and
// balance send string codes; B2C, status and reversal numbers (alphanumeric codes stay strings).

/** @internal One `ResultParameters.ResultParameter` (or `ReferenceData.ReferenceItem`) entry. */
export interface ResultItem {
  Key: string;
  Value?: string | number;
}

/** @internal Which operation's result shape: each has its own typing and reference data. */
export type ResultShape = 'b2c' | 'b2b' | 'status' | 'balance' | 'reversal';

/** @internal What a result carries. */
export interface ResultFields {
  shape: ResultShape;
  originatorConversationId: string;
  conversationId: string;
  transactionId: string;
  /** The result code as text: `"0"`, `"2001"`, `"R000002"`… */
  code: string;
  desc: string;
  /** `ResultParameters.ResultParameter`: an array, or (as Daraja sometimes sends) a single object. */
  parameters?: ResultItem[] | ResultItem;
  /** B2B's `AccountReference`, echoed as `BillReferenceNumber`. */
  billReference?: string;
  /** Transaction status's `Occasion`, echoed in `ReferenceData`. */
  occasion?: string;
}

// Daraja's own ReferenceData URLs, as its result samples show them.
const INTERNAL = 'https://internalsandbox.safaricom.co.ke/mpesa';
const QUEUE_PATHS: Record<'b2c' | 'balance' | 'reversal', string> = {
  b2c: 'b2cresults',
  balance: 'abresults',
  reversal: 'reversalresults',
};

/** A numeric code as a number, an alphanumeric one as a string. */
const numericCode = (code: string) => (/^\d+$/.test(code) ? Number(code) : code);

/** @internal The `Result` envelope of one initiator result. */
export function resultBody(f: ResultFields): { Result: Record<string, unknown> } {
  const params = f.parameters === undefined ? {} : { ResultParameters: { ResultParameter: f.parameters } };
  const ids = {
    OriginatorConversationID: f.originatorConversationId,
    ConversationID: f.conversationId,
    TransactionID: f.transactionId,
  };
  if (f.shape === 'status') {
    // In the documented sample's (alphabetical) order, with a Key-only Occasion when none was sent.
    return {
      Result: {
        ConversationID: f.conversationId,
        OriginatorConversationID: f.originatorConversationId,
        ReferenceData: {
          ReferenceItem: f.occasion ? { Key: 'Occasion', Value: f.occasion } : { Key: 'Occasion' },
        },
        ResultCode: numericCode(f.code),
        ResultDesc: f.desc,
        ...params,
        ResultType: 0,
        TransactionID: f.transactionId,
      },
    };
  }
  const textual = f.shape === 'b2b' || f.shape === 'balance';
  const head = {
    ResultType: textual ? '0' : 0,
    ResultCode: textual ? f.code : numericCode(f.code),
    ResultDesc: f.desc,
  };
  return { Result: { ...head, ...ids, ...params, ReferenceData: referenceData(f) } };
}

/** B2B: ReferenceItem as an array, with the bill reference; the others one QueueTimeoutURL item. */
function referenceData(f: ResultFields): { ReferenceItem: ResultItem | ResultItem[] } {
  if (f.shape === 'b2b') {
    return {
      ReferenceItem: [
        ...(f.billReference ? [{ Key: 'BillReferenceNumber', Value: f.billReference }] : []),
        { Key: 'QueueTimeoutURL', Value: `${INTERNAL}/b2bresults/v1/submit` },
      ],
    };
  }
  const path = QUEUE_PATHS[f.shape as keyof typeof QUEUE_PATHS];
  return { ReferenceItem: { Key: 'QueueTimeoutURL', Value: `${INTERNAL}/${path}/v1/submit` } };
}

/**
 * @internal
 * What goes to `QueueTimeOutURL` when a request times out in M-Pesa's queue. Daraja does not document
 * this payload: a `Result` envelope without parameters, with result code 26 (system busy), as peer
 * simulators model it.
 */
export function queueTimeoutBody(ids: { originatorConversationId: string; conversationId: string }): unknown {
  return {
    Result: {
      ResultType: 0,
      ResultCode: 26,
      ResultDesc: "System is busy: the request timed out in M-Pesa's queue and was not processed.",
      OriginatorConversationID: ids.originatorConversationId,
      ConversationID: ids.conversationId,
    },
  };
}
