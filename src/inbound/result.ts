// The `Result` envelope Daraja POSTs to a ResultURL (shared by every initiator operation), its generic
// parser, and the lenient QueueTimeOutURL notice. The typed parsers of each operation are in
// `result-kinds.ts`, the values they read (names, balances, dates) in `result-values.ts`.
import { asList, fail, isRecord, readBody, readText, textOf } from '../core/utils/readers.js';
import { describeResultCode, type ResultCatalogue } from './result-codes.js';

/** A `Value` of a result parameter: Daraja sends strings and numbers; `Key`-only items have none. */
export type ResultValue = string | number | undefined;

/** One `{Key, Value}` item of `ResultParameters` or `ReferenceData`. */
export interface ResultItem {
  /** The `Key`, e.g. `TransactionAmount`. */
  readonly key: string;
  /** The `Value`, or `undefined` for a `Key`-only item. */
  readonly value: ResultValue;
}

/**
 * The asynchronous `Result` Daraja POSTs to a ResultURL after a B2C, B2B, tax, transaction status,
 * account balance or reversal request, parsed. Codes are normalised to strings (`0`, `"0"` → `"0"`;
 * `"R000002"` stays). `parameters` keeps every item in order, duplicated keys included.
 */
export interface DarajaResult {
  /** `ResultType`: `0` completed, `1` waiting for further messages; `undefined` when absent. */
  resultType: number | undefined;
  /** `ResultCode` as a string, e.g. `"0"`, `"2001"`, `"R000002"`. */
  resultCode: string;
  /** Daraja's `ResultDesc`. */
  resultDesc: string;
  /** True when `resultCode` is `"0"`. */
  success: boolean;
  /** The code's meaning, from the result-code catalogue (see {@link "daraja-sdk"!describeResultCode | describeResultCode}). */
  meaning: string;
  /** The id to match the request with (for B2C, the `originatorConversationId` you sent). */
  originatorConversationId: string;
  /** Daraja's `ConversationID`, when sent. */
  conversationId: string | undefined;
  /** `TransactionID`: the M-Pesa receipt, when sent. */
  transactionId: string | undefined;
  /** Every `ResultParameters.ResultParameter` item, in order (a single object becomes one item). */
  parameters: readonly ResultItem[];
  /** The parameters by key; for a key sent twice, the first value (all of them are in `parameters`). */
  values: Readonly<Record<string, ResultValue>>;
  /** Every `ReferenceData.ReferenceItem` item, in order. */
  referenceData: readonly ResultItem[];
  /** The body as received. */
  raw: unknown;
}

/**
 * What Daraja POSTs to a QueueTimeOutURL (the request waited too long in Daraja's queue). Its shape is
 * not documented; it is read leniently from a `Result` envelope (or a flat object), and every field may be
 * missing.
 */
export interface QueueTimeoutNotice {
  /** The request's `OriginatorConversationID`, when sent. */
  originatorConversationId: string | undefined;
  /** Daraja's `ConversationID`, when sent. */
  conversationId: string | undefined;
  /** `ResultCode` as a string, when sent. */
  resultCode: string | undefined;
  /** `ResultDesc`, when sent. */
  resultDesc: string | undefined;
  /** The body as received. */
  raw: unknown;
}

/** The `{Key, Value}` items of `container[field]` (`ResultParameters`, `ReferenceData`), in order. */
function readItems(container: unknown, field: string, path: string): ResultItem[] {
  if (container === undefined || container === null || container === '') return [];
  if (!isRecord(container)) fail('invalid_field', `${path} must be an object.`, path);
  return asList(container[field], `${path}.${field}`).map((item, i) => {
    const at = `${path}.${field}[${i}]`;
    if (!isRecord(item) || typeof item['Key'] !== 'string')
      fail('invalid_field', `${at} must be an object with a string Key.`, at);
    const v = item['Value'];
    const value =
      v === undefined || v === null
        ? undefined
        : typeof v === 'string' || typeof v === 'number'
          ? v
          : typeof v === 'boolean'
            ? String(v)
            : JSON.stringify(v);
    return { key: item['Key'], value };
  });
}

/** `Result[key]` as text ({@link readText}), its error naming `Result.<key>`. */
function optionalText(r: Record<string, unknown>, key: string): string | undefined {
  return readText(r[key], `Result.${key}`);
}

/**
 * @internal
 * The `Result` envelope every initiator result shares, with the code's meaning from `catalogue`: what
 * each operation's parser (`result-kinds.ts`) builds on.
 */
export function envelope(body: unknown, catalogue: ResultCatalogue): DarajaResult {
  const b = readBody(body);
  const r = b['Result'];
  if (!isRecord(r)) fail('invalid_body', 'the body has no Result object.', 'Result');
  const code = optionalText(r, 'ResultCode')?.trim();
  if (!code) fail('missing_field', 'Result.ResultCode is missing.', 'Result.ResultCode');
  const originatorConversationId = optionalText(r, 'OriginatorConversationID');
  if (!originatorConversationId)
    fail('missing_field', 'Result.OriginatorConversationID is missing.', 'Result.OriginatorConversationID');
  const type = optionalText(r, 'ResultType');
  const parameters = readItems(r['ResultParameters'], 'ResultParameter', 'Result.ResultParameters');
  const values: Record<string, ResultValue> = {};
  for (const { key, value } of parameters) {
    // defineProperty: a `__proto__` key becomes a plain own property, never a prototype.
    if (!Object.hasOwn(values, key)) Object.defineProperty(values, key, { value, enumerable: true });
  }
  const info = describeResultCode(code, catalogue);
  return {
    resultType: type !== undefined && /^\d+$/.test(type.trim()) ? Number(type) : undefined,
    resultCode: code,
    resultDesc: optionalText(r, 'ResultDesc') ?? '',
    success: info.success,
    meaning: info.meaning,
    originatorConversationId,
    conversationId: optionalText(r, 'ConversationID'),
    transactionId: optionalText(r, 'TransactionID') || undefined,
    parameters,
    values,
    referenceData: readItems(r['ReferenceData'], 'ReferenceItem', 'Result.ReferenceData'),
    raw: body,
  };
}

/**
 * Parse the asynchronous `Result` envelope shared by B2C, B2B, tax, transaction status, account balance
 * and reversal. Accepts Daraja's variations: `ResultParameter` as an array or a single object, `Key`-only
 * items, duplicated keys, `ResultCode`/`ResultType` as strings or numbers, alphanumeric codes such as
 * `R000002`, `ReferenceItem` as an object or an array. For typed fields use the parser of the operation
 * ({@link parseB2cResult}, …).
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The result, with the code's meaning from the generic catalogue.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const result = parseResult(req.body);
 * if (result.success) markDone(result.originatorConversationId);
 * ```
 */
export function parseResult(body: unknown): DarajaResult {
  return envelope(body, 'generic');
}

/**
 * Parse what Daraja POSTs to a QueueTimeOutURL. The shape is undocumented, so this is lenient: any JSON
 * object is accepted, and the usual `Result` fields are read when present.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The notice; match it to your request by `originatorConversationId`.
 * @throws {@link daraja-sdk!DarajaCallbackError} only when the body is not a JSON object.
 *
 * @example
 * ```ts
 * const { originatorConversationId } = parseQueueTimeout(req.body);
 * ```
 */
export function parseQueueTimeout(body: unknown): QueueTimeoutNotice {
  const b = readBody(body);
  const r = isRecord(b['Result']) ? b['Result'] : b;
  const text = (key: string) => textOf(r[key]);
  return {
    originatorConversationId: text('OriginatorConversationID'),
    conversationId: text('ConversationID'),
    resultCode: text('ResultCode'),
    resultDesc: text('ResultDesc'),
    raw: body,
  };
}
