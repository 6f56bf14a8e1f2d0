import { DarajaCallbackError } from '../core/errors.js';
import { tryNormalizePhoneNumber } from '../core/utils/phone.js';
import { asList, isRecord, readAmount, readBody } from '../core/utils/readers.js';
import { parseDarajaTimestamp } from '../core/utils/timestamp.js';
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

/** A party as Daraja names it in results: `"254705912645 - NICHOLAS JOHN SONGOK"`, `"600992 - Safaricom Daraja 992"`. */
export interface PublicName {
  /** The number before the dash: a phone number or a shortcode (empty when there is none). */
  identifier: string;
  /** The name after the dash. */
  name: string;
  /** The normalised phone number, when `identifier` is a Kenyan mobile number. */
  phoneNumber: string | undefined;
  /** The value as sent. */
  raw: string;
}

/**
 * One account of a balance string. The amounts' meaning is not documented reliably (Safaricom's field table
 * is garbled); the names below follow the common reading, `name|currency|current|available|reserved|uncleared`,
 * and `amounts` keeps every amount in order.
 */
export interface AccountBalance {
  /** e.g. `Working Account`, `Utility Account`, `Charges Paid Account`. */
  name: string;
  /** e.g. `KES`. */
  currency: string;
  /** Every amount of the entry, in order. */
  amounts: readonly number[];
  /** The first amount. */
  currentBalance: number | undefined;
  /** The second amount. */
  availableBalance: number | undefined;
  /** The third amount. */
  reservedBalance: number | undefined;
  /** The fourth amount. */
  unclearedBalance: number | undefined;
}

/** A B2C payment's result. */
export interface B2cResult extends DarajaResult {
  /** `TransactionAmount`, in shillings. */
  amount: number | undefined;
  /** `TransactionReceipt`: the M-Pesa receipt. */
  receiptNumber: string | undefined;
  /** `ReceiverPartyPublicName`: the customer paid. */
  receiver: PublicName | undefined;
  /** `TransactionCompletedDateTime` (sent as `dd.MM.yyyy HH:mm:ss`, Nairobi time). */
  completedAt: Date | undefined;
  /** `B2CUtilityAccountAvailableFunds`. */
  utilityAccountAvailableFunds: number | undefined;
  /** `B2CWorkingAccountAvailableFunds`. */
  workingAccountAvailableFunds: number | undefined;
  /** `B2CChargesPaidAccountAvailableFunds`. */
  chargesPaidAccountAvailableFunds: number | undefined;
  /** `B2CRecipientIsRegisteredCustomer` (`Y`/`N`). */
  recipientIsRegisteredCustomer: boolean | undefined;
}

/** A B2B (PayBill, Buy Goods) or tax remittance result. */
export interface B2bResult extends DarajaResult {
  /** `Amount`, in shillings. */
  amount: number | undefined;
  /** `TransCompletedTime`. */
  completedAt: Date | undefined;
  /** `ReceiverPartyPublicName`. */
  receiver: PublicName | undefined;
  /** `Currency`, e.g. `KES`. */
  currency: string | undefined;
  /** `DebitAccountBalance`, parsed. */
  debitAccountBalance: readonly AccountBalance[] | undefined;
  /** `DebitPartyAffectedAccountBalance`, parsed. */
  debitPartyAffectedAccountBalance: readonly AccountBalance[] | undefined;
  /** `InitiatorAccountCurrentBalance`, parsed. */
  initiatorAccountCurrentBalance: readonly AccountBalance[] | undefined;
  /** `DebitPartyCharges`, as sent. */
  debitPartyCharges: string | undefined;
  /** `BillReferenceNumber` from `ReferenceData`: the account reference paid. */
  billReferenceNumber: string | undefined;
}

/** A transaction status result: what happened to the transaction you asked about. */
export interface TransactionStatusResult extends DarajaResult {
  /** `TransactionStatus`, e.g. `Completed`. */
  transactionStatus: string | undefined;
  /** `ReceiptNo`: the M-Pesa receipt of the transaction. */
  receiptNumber: string | undefined;
  /** `Amount`, in shillings. */
  amount: number | undefined;
  /** Every `DebitPartyName` (Daraja may send the key twice). */
  debitParties: readonly PublicName[];
  /** Every `CreditPartyName`. */
  creditParties: readonly PublicName[];
  /** `InitiatedTime`. */
  initiatedAt: Date | undefined;
  /** `FinalisedTime`. */
  finalisedAt: Date | undefined;
  /** `ReasonType`, e.g. `Business Payment to Customer via API`. */
  reasonType: string | undefined;
  /** `TransactionReason`, often sent without a value. */
  transactionReason: string | undefined;
  /** `DebitAccountType`, e.g. `Utility Account`. */
  debitAccountType: string | undefined;
  /** `DebitPartyCharges`, as sent, e.g. `Fee For B2C Payment|KES|22.40`. */
  debitPartyCharges: string | undefined;
  /** The `OriginatorConversationID` parameter: the original transaction's id. */
  transactionOriginatorConversationId: string | undefined;
  /** The `ConversationID` parameter: the original transaction's Daraja id. */
  transactionConversationId: string | undefined;
}

/** An account balance result. */
export interface AccountBalanceResult extends DarajaResult {
  /** The accounts of the `AccountBalance` string; empty when the query failed. */
  accounts: readonly AccountBalance[];
  /** `BOCompletedTime`. */
  completedAt: Date | undefined;
}

/** A reversal result. */
export interface ReversalResult extends DarajaResult {
  /** `Amount` reversed, in shillings. */
  amount: number | undefined;
  /** `OriginalTransactionID`: the receipt that was reversed. */
  originalTransactionId: string | undefined;
  /** `Charge`, in shillings. */
  charge: number | undefined;
  /** `CreditPartyPublicName`. */
  creditParty: PublicName | undefined;
  /** `DebitPartyPublicName`. */
  debitParty: PublicName | undefined;
  /** `TransCompletedTime`. */
  completedAt: Date | undefined;
  /** `DebitAccountBalance`, parsed. */
  debitAccountBalance: readonly AccountBalance[] | undefined;
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

const PARAMS = 'Result.ResultParameters.ResultParameter';

function readItems(container: unknown, field: string, path: string): ResultItem[] {
  if (container === undefined || container === null || container === '') return [];
  if (!isRecord(container))
    throw new DarajaCallbackError(`${path} must be an object.`, { reason: 'invalid_field', path });
  return asList(container[field], `${path}.${field}`).map((item, i) => {
    const at = `${path}.${field}[${i}]`;
    if (!isRecord(item) || typeof item['Key'] !== 'string')
      throw new DarajaCallbackError(`${at} must be an object with a string Key.`, {
        reason: 'invalid_field',
        path: at,
      });
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

function optionalText(r: Record<string, unknown>, key: string): string | undefined {
  const v = r[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v === undefined || v === null) return undefined;
  throw new DarajaCallbackError(`Result.${key} must be a string.`, {
    reason: 'invalid_field',
    path: `Result.${key}`,
  });
}

function envelope(body: unknown, catalogue: ResultCatalogue): DarajaResult {
  const b = readBody(body);
  const r = b['Result'];
  if (!isRecord(r))
    throw new DarajaCallbackError('the body has no Result object.', {
      reason: 'invalid_body',
      path: 'Result',
    });
  const code = optionalText(r, 'ResultCode')?.trim();
  if (!code)
    throw new DarajaCallbackError('Result.ResultCode is missing.', {
      reason: 'missing_field',
      path: 'Result.ResultCode',
    });
  const originatorConversationId = optionalText(r, 'OriginatorConversationID');
  if (!originatorConversationId)
    throw new DarajaCallbackError('Result.OriginatorConversationID is missing.', {
      reason: 'missing_field',
      path: 'Result.OriginatorConversationID',
    });
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

/** Readers of one result's parameters, typed; each names the parameter in its error. */
function readers(result: DarajaResult) {
  const get = (key: string) => result.values[key];
  const text = (key: string) => {
    const v = get(key);
    return v === undefined || v === '' ? undefined : String(v);
  };
  return {
    text,
    amount: (key: string) => readAmount(get(key), `${PARAMS}.${key}`),
    date: (key: string) => {
      const v = get(key);
      if (v === undefined || v === '') return undefined;
      const date = parseResultDate(v);
      if (!date)
        throw new DarajaCallbackError(
          `${PARAMS}.${key} is not a date (YYYYMMDDHHmmss or dd.MM.yyyy HH:mm:ss).`,
          {
            reason: 'invalid_field',
            path: `${PARAMS}.${key}`,
          },
        );
      return date;
    },
    name: (key: string) => {
      const v = text(key);
      return v === undefined ? undefined : parsePublicName(v);
    },
    balances: (key: string) => {
      const v = text(key);
      return v === undefined ? undefined : parseAccountBalances(v, `${PARAMS}.${key}`);
    },
  };
}

/**
 * @internal
 * A result date: `YYYYMMDDHHmmss` (string or number) or B2C's `dd.MM.yyyy HH:mm:ss`, both Nairobi time.
 */
export function parseResultDate(value: string | number): Date | undefined {
  const stamp = parseDarajaTimestamp(value);
  if (stamp || typeof value === 'number') return stamp;
  const m = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const [, d, mo, y, h, mi, s] = m;
  return parseDarajaTimestamp(`${y}${mo}${d}${h}${mi}${s}`);
}

/**
 * Split a public-name string such as `"254705912645 - NICHOLAS JOHN SONGOK"` (B2C, B2B, reversal and
 * transaction status results) into its number and name. The number may be a phone number: mask it
 * (see `maskPhoneNumber`) before logging.
 *
 * @param value - The value as sent.
 * @returns The identifier, name and (for a phone number) the normalised phone number.
 *
 * @example
 * ```ts
 * parsePublicName('600992 - Safaricom Daraja 992'); // { identifier: '600992', name: 'Safaricom Daraja 992', phoneNumber: undefined, … }
 * ```
 */
export function parsePublicName(value: string): PublicName {
  const m = /^\s*(\+?\d+)\s*[-–—]\s*(.*?)\s*$/.exec(value);
  const identifier = m ? m[1]! : /^\s*\+?\d+\s*$/.test(value) ? value.trim() : '';
  const name = m ? m[2]! : identifier ? '' : value.trim();
  return {
    identifier,
    name,
    phoneNumber: identifier ? tryNormalizePhoneNumber(identifier) : undefined,
    raw: value,
  };
}

/**
 * Parse an account-balance string into accounts: entries separated by `&`, fields by `|`, as in
 * `"Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|KES|0.00|0.00|0.00|0.00"`. Also reads
 * the `{Amount={CurrencyCode=KES, MinimumAmount=618683, BasicAmount=6186.83}}` form of B2B results as one
 * unnamed account.
 *
 * @param value - The string as sent.
 * @param path - Where the value came from, for the error. @defaultValue `'AccountBalance'`
 * @returns One entry per account, in order.
 * @throws {@link daraja-sdk!DarajaCallbackError} when an entry has no name and currency, or an amount is not a number.
 *
 * @example
 * ```ts
 * parseAccountBalances('Utility Account|KES|228037.00|228037.00|0.00|0.00')[0]?.availableBalance; // 228037
 * ```
 */
export function parseAccountBalances(value: string, path = 'AccountBalance'): AccountBalance[] {
  const braces = /^\{Amount=\{(.*)\}\}$/.exec(value.trim());
  if (braces) {
    const field = (name: string) => new RegExp(`(?:^|,)\\s*${name}=([^,]*)`).exec(braces[1]!)?.[1]?.trim();
    const amount = readAmount(field('BasicAmount'), `${path}.BasicAmount`);
    return [account('', field('CurrencyCode') ?? '', amount === undefined ? [] : [amount])];
  }
  return value
    .split('&')
    .filter((entry) => entry.trim() !== '')
    .map((entry, i) => {
      const [name, currency, ...amounts] = entry.split('|').map((f) => f.trim());
      if (!name || !currency)
        throw new DarajaCallbackError(`${path}: entry ${i + 1} is not "name|currency|amounts…".`, {
          reason: 'invalid_field',
          path,
        });
      return account(
        name,
        currency,
        amounts.map((a) => readAmount(a, `${path}[${i}]`) ?? 0),
      );
    });
}

function account(name: string, currency: string, amounts: number[]): AccountBalance {
  return {
    name,
    currency,
    amounts,
    currentBalance: amounts[0],
    availableBalance: amounts[1],
    reservedBalance: amounts[2],
    unclearedBalance: amounts[3],
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
 * Parse a B2C payment result: amount, receipt, receiver, completion time (from `dd.MM.yyyy HH:mm:ss`,
 * Nairobi time) and the B2C account funds. Failures (e.g. `2001`) have no parameters: those fields are
 * then `undefined`.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const result = parseB2cResult(req.body);
 * if (result.success) await markPaid(result.originatorConversationId, result.receiptNumber);
 * ```
 */
export function parseB2cResult(body: unknown): B2cResult {
  const result = envelope(body, 'b2c');
  const r = readers(result);
  const registered = r.text('B2CRecipientIsRegisteredCustomer')?.trim().toUpperCase();
  return {
    ...result,
    amount: r.amount('TransactionAmount'),
    receiptNumber: r.text('TransactionReceipt'),
    receiver: r.name('ReceiverPartyPublicName'),
    completedAt: r.date('TransactionCompletedDateTime'),
    utilityAccountAvailableFunds: r.amount('B2CUtilityAccountAvailableFunds'),
    workingAccountAvailableFunds: r.amount('B2CWorkingAccountAvailableFunds'),
    chargesPaidAccountAvailableFunds: r.amount('B2CChargesPaidAccountAvailableFunds'),
    recipientIsRegisteredCustomer: registered === 'Y' ? true : registered === 'N' ? false : undefined,
  };
}

/**
 * Parse a B2B (PayBill, Buy Goods) or tax remittance result.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const { success, amount, billReferenceNumber } = parseB2bResult(req.body);
 * ```
 */
export function parseB2bResult(body: unknown): B2bResult {
  const result = envelope(body, 'generic');
  const r = readers(result);
  const bill = result.referenceData.find((i) => i.key === 'BillReferenceNumber')?.value;
  return {
    ...result,
    amount: r.amount('Amount'),
    completedAt: r.date('TransCompletedTime'),
    receiver: r.name('ReceiverPartyPublicName'),
    currency: r.text('Currency'),
    debitAccountBalance: r.balances('DebitAccountBalance'),
    debitPartyAffectedAccountBalance: r.balances('DebitPartyAffectedAccountBalance'),
    initiatorAccountCurrentBalance: r.balances('InitiatorAccountCurrentBalance'),
    debitPartyCharges: r.text('DebitPartyCharges'),
    billReferenceNumber: bill === undefined ? undefined : String(bill),
  };
}

/**
 * Parse a transaction status result. `DebitPartyName` may be sent twice (the business and the customer):
 * every occurrence is in `debitParties`.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const status = parseTransactionStatusResult(req.body);
 * status.transactionStatus; // 'Completed'
 * ```
 */
export function parseTransactionStatusResult(body: unknown): TransactionStatusResult {
  const result = envelope(body, 'generic');
  const r = readers(result);
  const names = (key: string) =>
    result.parameters
      .filter((p) => p.key === key && p.value !== undefined)
      .map((p) => parsePublicName(String(p.value)));
  return {
    ...result,
    transactionStatus: r.text('TransactionStatus'),
    receiptNumber: r.text('ReceiptNo'),
    amount: r.amount('Amount'),
    debitParties: names('DebitPartyName'),
    creditParties: names('CreditPartyName'),
    initiatedAt: r.date('InitiatedTime'),
    finalisedAt: r.date('FinalisedTime'),
    reasonType: r.text('ReasonType'),
    transactionReason: r.text('TransactionReason'),
    debitAccountType: r.text('DebitAccountType'),
    debitPartyCharges: r.text('DebitPartyCharges'),
    transactionOriginatorConversationId: r.text('OriginatorConversationID'),
    transactionConversationId: r.text('ConversationID'),
  };
}

/**
 * Parse an account balance result, with the `AccountBalance` string split into accounts and amounts.
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const { accounts } = parseAccountBalanceResult(req.body);
 * const utility = accounts.find((a) => a.name === 'Utility Account')?.availableBalance;
 * ```
 */
export function parseAccountBalanceResult(body: unknown): AccountBalanceResult {
  const result = envelope(body, 'generic');
  const r = readers(result);
  return { ...result, accounts: r.balances('AccountBalance') ?? [], completedAt: r.date('BOCompletedTime') };
}

/**
 * Parse a reversal result. Failure codes are alphanumeric, e.g. `R000001` (already reversed) and
 * `R000002` (invalid original transaction id).
 *
 * @param body - The parsed JSON body (or its text).
 * @returns The typed result.
 * @throws {@link daraja-sdk!DarajaCallbackError} naming what is missing or malformed.
 *
 * @example
 * ```ts
 * const reversal = parseReversalResult(req.body);
 * if (reversal.resultCode === 'R000001') { ... } // already reversed
 * ```
 */
export function parseReversalResult(body: unknown): ReversalResult {
  const result = envelope(body, 'reversal');
  const r = readers(result);
  return {
    ...result,
    amount: r.amount('Amount'),
    originalTransactionId: r.text('OriginalTransactionID'),
    charge: r.amount('Charge'),
    creditParty: r.name('CreditPartyPublicName'),
    debitParty: r.name('DebitPartyPublicName'),
    completedAt: r.date('TransCompletedTime'),
    debitAccountBalance: r.balances('DebitAccountBalance'),
  };
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
  const text = (key: string) => {
    const v = r[key];
    return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : undefined;
  };
  return {
    originatorConversationId: text('OriginatorConversationID'),
    conversationId: text('ConversationID'),
    resultCode: text('ResultCode'),
    resultDesc: text('ResultDesc'),
    raw: body,
  };
}
