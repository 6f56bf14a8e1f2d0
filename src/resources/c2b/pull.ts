import { DarajaApiError } from '../../core/errors.js';
import { toRefusalError } from '../../core/http/api-errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import { ApiResource } from '../../core/resource.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import { isRecord } from '../../core/utils/readers.js';
import { darajaTimestamp } from '../../core/utils/timestamp.js';
import { invalid, requireParams, urlField, wholeNumber } from '../../core/utils/validate.js';

/** Input of {@link Pull.register}. */
export interface PullRegisterParams {
  /** The Safaricom number nominated to receive notifications (sent in the documented `07…` form). */
  nominatedNumber: string | number;
  /** Where Daraja POSTs pull notifications. HTTPS in production. */
  callbackUrl: string;
  /** The shortcode to register. @defaultValue the client's `shortcode` */
  shortcode?: string | number;
}

/** Daraja's answer to {@link Pull.register}. */
export interface PullRegisterResponse {
  /** `ResponseRefID`. */
  responseRefId: string;
  /** `ResponseStatus`: `1000` registered, `1001` already registered. */
  responseStatus: string;
  /** True for `1001`: the shortcode was registered before (registration is one-time). */
  alreadyRegistered: boolean;
  /** e.g. "Shortcode Registered Successfully". */
  responseDescription: string;
}

/** Input of {@link Pull.query}. */
export interface PullQueryParams {
  /** Start of the period: a `Date`, or Daraja's `YYYY-MM-DD HH:mm:ss` text (Nairobi time). */
  startDate: Date | string;
  /** End of the period, in the same forms. */
  endDate: Date | string;
  /** Rows to skip, for paging (`OffSetValue`). @defaultValue `0` */
  offset?: number;
  /** The registered shortcode. @defaultValue the client's `shortcode` */
  shortcode?: string | number;
}

/** One transaction returned by {@link Pull.query}. */
export interface PullTransaction {
  /** `transactionId`: the M-Pesa receipt. */
  transactionId: string;
  /** `trxDate`, parsed (ISO-8601 as sent); `undefined` when absent or unreadable. */
  date: Date | undefined;
  /** `msisdn` as sent (it may be masked). */
  msisdn: string;
  /** `transactiontype`, e.g. `c2b-pay-bill-debit`. */
  transactionType: string;
  /** `billreference`: the account number typed by the customer. */
  billReference: string;
  /** `amount`, in shillings. */
  amount: number | undefined;
  /** `organizationname`. */
  organizationName: string;
  /** The row as sent. */
  raw: unknown;
}

/** Daraja's answer to {@link Pull.query}: a page of the period's transactions. */
export interface PullQueryResponse {
  /** `ResponseCode`: `1000` with transactions, `1001` none. */
  responseCode: string;
  /** Daraja's message. */
  responseMessage: string;
  /** The transactions of the page (empty for `1001`). */
  transactions: PullTransaction[];
  /** The body as received. */
  raw: unknown;
}

/** Input of {@link Pull.list}: the period and shortcode of {@link PullQueryParams}; `offset` is where to start. */
export type PullListParams = PullQueryParams;

/**
 * The rows of a full page of a pull query, as the simulator serves them (Daraja does not document its
 * page size). {@link Pull.list} counts a page shorter than this (or than the longest page seen) as the
 * last.
 */
export const PULL_QUERY_PAGE_SIZE = 100;

/** @deprecated Use {@link PullQueryResponse}. */
export type PullQueryResult = PullQueryResponse;

const DATE_TEXT = /^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}$/;
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const amountOf = (v: unknown) =>
  typeof v === 'number' ? v : /^-?\d+(\.\d+)?$/.test(str(v).trim()) ? Number(str(v).trim()) : undefined;

const OFFSET_FIX = 'must be a whole number of rows, 0 or more.';

function dateField(field: string, value: unknown): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    const t = darajaTimestamp(value);
    return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}`;
  }
  if (typeof value === 'string' && DATE_TEXT.test(value.trim())) return value.trim();
  return invalid(field, 'must be a Date or "YYYY-MM-DD HH:mm:ss" (Nairobi time).');
}

/**
 * Pull transactions (production only): register a shortcode once, then fetch the C2B transactions it
 * received in a period, to reconcile what your confirmation URL missed. Use it as `daraja.pull`. Both
 * calls are safe to repeat (registering again answers `1001` "already registered"), so they are retried
 * like queries.
 */
export class Pull extends ApiResource {
  /**
   * Register a shortcode for pull transactions (`POST /pulltransactions/v1/register`). One-time: a
   * second registration answers `1001`, returned as `alreadyRegistered: true`.
   *
   * @param params - The nominated number, callback URL and optional shortcode.
   * @param options - Per-call timeout and abort signal.
   * @returns Daraja's answer.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError} without a shortcode,
   * {@link DarajaApiError}.
   *
   * @example
   * ```ts
   * await daraja.pull.register({ nominatedNumber: '0722000000', callbackUrl: 'https://shop.example.com/pull' });
   * ```
   */
  async register(params: PullRegisterParams, options: RequestOptions = {}): Promise<PullRegisterResponse> {
    const p = requireParams(params, '{ nominatedNumber, callbackUrl }');
    const body = {
      ShortCode: this.collectionShortcode(p.shortcode),
      RequestType: 'Pull',
      NominatedNumber: `0${normalizePhoneNumber(p.nominatedNumber, 'nominatedNumber').slice(3)}`,
      CallBackURL: urlField('callbackUrl', p.callbackUrl, this.ctx.production),
    };
    const answer = await this.#send(
      { operation: 'pull.register', path: '/pulltransactions/v1/register', body },
      options,
    );
    const data = answer.data;
    return {
      responseRefId: str(data['ResponseRefID']),
      responseStatus: answer.code,
      alreadyRegistered: answer.code === '1001',
      responseDescription: answer.message,
    };
  }

  /**
   * Fetch the transactions of a period (`POST /pulltransactions/v1/query`), a page at a time (`offset`).
   * `1001` (no transactions) is an empty list, not an error.
   *
   * @param params - The period, and optional offset and shortcode.
   * @param options - Per-call timeout and abort signal.
   * @returns The transactions.
   * @throws {@link DarajaValidationError}, {@link DarajaConfigError} without a shortcode,
   * {@link DarajaApiError}.
   *
   * @example
   * ```ts
   * const { transactions } = await daraja.pull.query({ startDate: new Date(Date.now() - 3_600_000), endDate: new Date() });
   * ```
   */
  async query(params: PullQueryParams, options: RequestOptions = {}): Promise<PullQueryResponse> {
    const p = requireParams(params, '{ startDate, endDate }');
    const offset = wholeNumber('offset', p.offset ?? 0, 0, Number.POSITIVE_INFINITY, OFFSET_FIX);
    const body = {
      ShortCode: this.collectionShortcode(p.shortcode),
      StartDate: dateField('startDate', p.startDate),
      EndDate: dateField('endDate', p.endDate),
      OffSetValue: String(offset),
    };
    const path = '/pulltransactions/v1/query';
    const { code, message, data } = await this.#send({ operation: 'pull.query', path, body }, options);
    const rows = Array.isArray(data['Response']) ? data['Response'].flat() : [];
    return {
      responseCode: code,
      responseMessage: message,
      transactions: rows.filter(isRecord).map(readTransaction),
      raw: data,
    };
  }

  /**
   * Every transaction of a period, page after page: {@link Pull.query} with an increasing `offset`,
   * until a page is empty (`1001`, no transactions) or shorter than a full page. Pages are fetched as
   * the loop asks for them; `options` (signal, timeout, retries, headers) applies to each.
   *
   * @param params - The period, and optional shortcode and starting offset.
   * @param options - Per-call options, for each page.
   * @returns An async iterator over the transactions.
   * @throws {@link DarajaValidationError} and {@link DarajaConfigError} at the first step, before any
   * request; {@link DarajaApiError} for a refused page, or a page that repeats the previous one.
   *
   * @example
   * ```ts
   * for await (const tx of daraja.pull.list({ startDate: new Date(Date.now() - 86_400_000), endDate: new Date() })) {
   *   console.log(tx.transactionId, tx.amount);
   * }
   * ```
   */
  async *list(
    params: PullListParams,
    options: RequestOptions = {},
  ): AsyncGenerator<PullTransaction, void, undefined> {
    const p = requireParams(params, '{ startDate, endDate }');
    let offset = wholeNumber('offset', p.offset ?? 0, 0, Number.POSITIVE_INFINITY, OFFSET_FIX);
    let fullPage = PULL_QUERY_PAGE_SIZE;
    let previousFirst: string | undefined;
    for (;;) {
      const page = await this.query({ ...p, offset }, options);
      const rows = page.transactions;
      if (rows.length === 0) return;
      const first = rows[0]?.transactionId;
      if (first !== undefined && first !== '' && first === previousFirst)
        throw new DarajaApiError(
          { operation: 'pull.query', status: 200, body: page.raw },
          `[daraja] pull.list: Daraja answered offset ${offset} with the page it gave before (first transaction ${first}); stopping rather than looping. Query smaller periods instead.`,
        );
      previousFirst = first;
      yield* rows;
      fullPage = Math.max(fullPage, rows.length);
      if (rows.length < fullPage) return;
      offset += rows.length;
    }
  }

  /**
   * Send a pull call (safe to repeat, so retried like a query) and read its answer: `1000` done, `1001`
   * already registered or no transactions; any other code is a refusal.
   */
  async #send(call: { operation: string; path: string; body: object }, options: RequestOptions) {
    const { operation } = call;
    const response = await this.post({ ...call, product: 'Pull Transactions', moneyMoving: false }, options);
    const data = isRecord(response.body) ? response.body : {};
    // register answers `ResponseStatus`/`ResponseDescription`, query `ResponseCode`/`ResponseMessage`.
    const [codeKey, otherCodeKey, textKey, otherTextKey] =
      operation === 'pull.register'
        ? ['ResponseStatus', 'ResponseCode', 'ResponseDescription', 'ResponseMessage']
        : ['ResponseCode', 'ResponseStatus', 'ResponseMessage', 'ResponseDescription'];
    const code = str(data[codeKey] ?? data[otherCodeKey]).trim();
    const message = str(data[textKey] ?? data[otherTextKey]);
    if (code !== '1000' && code !== '1001') {
      const fields = { errorCode: code || undefined, errorMessage: message || undefined };
      throw toRefusalError(operation, response.status, fields, data);
    }
    return { code, message, data };
  }
}

/** One row of a pull query answer, read. */
function readTransaction(row: Record<string, unknown>): PullTransaction {
  const date = new Date(str(row['trxDate']));
  return {
    transactionId: str(row['transactionId']),
    date: Number.isNaN(date.getTime()) ? undefined : date,
    msisdn: str(row['msisdn']),
    transactionType: str(row['transactiontype']),
    billReference: str(row['billreference']),
    amount: amountOf(row['amount']),
    organizationName: str(row['organizationname']),
    raw: row,
  };
}
