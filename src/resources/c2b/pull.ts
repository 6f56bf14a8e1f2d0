import { DarajaApiError, DarajaConfigError, DarajaValidationError } from '../../core/errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import { isRecord } from '../../core/utils/readers.js';
import { darajaTimestamp } from '../../core/utils/timestamp.js';
import { digitsField, requireParams, urlField } from '../../core/utils/validate.js';
import type { OperationsContext } from '../initiator/shared.js';

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

/** The result of {@link Pull.query}. */
export interface PullQueryResult {
  /** `ResponseCode`: `1000` with transactions, `1001` none. */
  responseCode: string;
  /** Daraja's message. */
  responseMessage: string;
  /** The transactions of the page (empty for `1001`). */
  transactions: PullTransaction[];
  /** The body as received. */
  raw: unknown;
}

const DATE_TEXT = /^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}$/;
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const amountOf = (v: unknown) =>
  typeof v === 'number' ? v : /^-?\d+(\.\d+)?$/.test(str(v).trim()) ? Number(str(v).trim()) : undefined;

function dateField(field: string, value: unknown): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    const t = darajaTimestamp(value);
    return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}`;
  }
  if (typeof value === 'string' && DATE_TEXT.test(value.trim())) return value.trim();
  throw new DarajaValidationError(field, 'must be a Date or "YYYY-MM-DD HH:mm:ss" (Nairobi time).');
}

/**
 * Pull transactions (production only): register a shortcode once, then fetch the C2B transactions it
 * received in a period, to reconcile what your confirmation URL missed. Use it as `daraja.pull`. Both
 * calls are safe to repeat (registering again answers `1001` "already registered"), so they are retried
 * like queries.
 */
export class Pull {
  readonly #ctx: OperationsContext;

  /** @internal */
  constructor(context: OperationsContext) {
    this.#ctx = context;
  }

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
      ShortCode: this.#shortcode(p.shortcode),
      RequestType: 'Pull',
      NominatedNumber: `0${normalizePhoneNumber(p.nominatedNumber, 'nominatedNumber').slice(3)}`,
      CallBackURL: urlField('callbackUrl', p.callbackUrl, this.#ctx.production),
    };
    const { status, body: data } = await this.#send(
      'pull.register',
      '/pulltransactions/v1/register',
      body,
      options,
    );
    const code = str(data['ResponseStatus'] ?? data['ResponseCode']).trim();
    const description = str(data['ResponseDescription'] ?? data['ResponseMessage']);
    if (code !== '1000' && code !== '1001')
      throw new DarajaApiError({
        operation: 'pull.register',
        status,
        errorCode: code || undefined,
        errorMessage: description || undefined,
        body: data,
      });
    return {
      responseRefId: str(data['ResponseRefID']),
      responseStatus: code,
      alreadyRegistered: code === '1001',
      responseDescription: description,
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
  async query(params: PullQueryParams, options: RequestOptions = {}): Promise<PullQueryResult> {
    const p = requireParams(params, '{ startDate, endDate }');
    const offset = p.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0)
      throw new DarajaValidationError('offset', 'must be a whole number of rows, 0 or more.');
    const body = {
      ShortCode: this.#shortcode(p.shortcode),
      StartDate: dateField('startDate', p.startDate),
      EndDate: dateField('endDate', p.endDate),
      OffSetValue: String(offset),
    };
    const { status, body: data } = await this.#send(
      'pull.query',
      '/pulltransactions/v1/query',
      body,
      options,
    );
    const code = str(data['ResponseCode'] ?? data['ResponseStatus']).trim();
    const message = str(data['ResponseMessage'] ?? data['ResponseDescription']);
    if (code !== '1000' && code !== '1001')
      throw new DarajaApiError({
        operation: 'pull.query',
        status,
        errorCode: code || undefined,
        errorMessage: message || undefined,
        body: data,
      });
    const rows = Array.isArray(data['Response']) ? data['Response'].flat() : [];
    return {
      responseCode: code,
      responseMessage: message,
      transactions: rows.filter(isRecord).map((row) => {
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
      }),
      raw: data,
    };
  }

  async #send(operation: string, path: string, body: unknown, options: RequestOptions) {
    const response = await this.#ctx.transport.send(
      { operation, method: 'POST', path, body, auth: 'bearer', moneyMoving: false },
      options,
    );
    const data = isRecord(response.body) ? response.body : {};
    return { status: response.status, body: data };
  }

  #shortcode(value: string | number | undefined): string {
    const shortcode = value ?? this.#ctx.shortcode;
    if (shortcode === undefined)
      throw new DarajaConfigError([
        {
          field: 'shortcode',
          message: 'missing: pass `shortcode` to this call or to new Daraja() (MPESA_SHORTCODE).',
        },
      ]);
    return digitsField('shortcode', shortcode, 5, 8, 'the PayBill or till shortcode');
  }
}
