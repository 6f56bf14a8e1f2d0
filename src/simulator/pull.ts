import { randomUUID } from 'node:crypto';
import { nairobiTimestamp, parseNairobiTimestamp } from '../wire/time.js';
import { payloadMsisdn } from './c2b.js';
import { type Ledger, money, ORGANISATION_NAME } from './ledger.js';
import type { TokenStore } from './oauth.js';
import { ok, post, type RouteRequest, type RouteResponse, type SimulatorRoute } from './routes.js';
import { checks, digitsOf, type FieldRule, readFields } from './validation.js';

// Pull Transactions: register a shortcode, then list the payments it received (C2B and STK) from the
// simulator's ledger, a page at a time.

/** @internal Rows per page of a pull query. */
export const PULL_PAGE_SIZE = 100;

const PULL_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2})\d?$/;
const PULL_REGISTER_RULES: FieldRule[] = [
  { field: 'ShortCode', check: checks.digits(5, 8) },
  { field: 'RequestType', check: checks.oneOf(['Pull']) },
  { field: 'NominatedNumber', check: (v) => /^(?:0|254)[17]\d{8}$/.test(digitsOf(v) ?? '') },
  { field: 'CallBackURL', check: checks.url },
];
const PULL_QUERY_RULES: FieldRule[] = [
  { field: 'ShortCode', check: checks.digits(5, 8) },
  { field: 'StartDate', check: (v) => pullDate(v) !== undefined },
  { field: 'EndDate', check: (v) => pullDate(v) !== undefined },
  { field: 'OffSetValue', check: (v) => digitsOf(v) !== undefined },
];

/** Daraja's `YYYY-MM-DD H:mm:ss` (Nairobi time; the documented sample has a stray third seconds digit). */
function pullDate(value: unknown): Date | undefined {
  const m = typeof value === 'string' ? PULL_DATE.exec(value.trim()) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return parseNairobiTimestamp(`${y}${mo}${d}${h!.padStart(2, '0')}${mi}${s}`);
}

/** ISO-8601 in Nairobi time, as pull transactions' `trxDate`: `2020-08-05T10:19:57.000+03:00`. */
function isoNairobi(date: Date): string {
  const t = nairobiTimestamp(date);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12)}.000+03:00`;
}

/** @internal Pull Transactions' register and query routes. */
export class PullSimulation {
  readonly #tokens: TokenStore;
  readonly #ledger: Ledger;
  readonly #registered = new Set<string>();

  constructor(tokens: TokenStore, ledger: Ledger) {
    this.#tokens = tokens;
    this.#ledger = ledger;
  }

  reset(): void {
    this.#registered.clear();
  }

  routes(): SimulatorRoute[] {
    return [
      post('/pulltransactions/v1/register', 'pull.register', (r) => this.#register(r)),
      post('/pulltransactions/v1/query', 'pull.query', (r) => this.#query(r)),
    ];
  }

  #read(request: RouteRequest, rules: readonly FieldRule[]) {
    return readFields(request, rules, this.#tokens.check(request.headers));
  }

  #register(request: RouteRequest): RouteResponse {
    const read = this.#read(request, PULL_REGISTER_RULES);
    if ('error' in read) return read.error;
    const shortcode = digitsOf(read.body['ShortCode'])!;
    const again = this.#registered.has(shortcode);
    this.#registered.add(shortcode);
    return ok({
      ResponseRefID: randomUUID(),
      ResponseStatus: again ? '1001' : '1000',
      ShortCode: shortcode,
      ResponseDescription: again ? 'Shortcode already Registered' : 'Shortcode Registered Successfully',
    });
  }

  /** The C2B (and STK) payments to a shortcode completed in the period, oldest first, a page at a time. */
  #query(request: RouteRequest): RouteResponse {
    const read = this.#read(request, PULL_QUERY_RULES);
    if ('error' in read) return read.error;
    const { body } = read;
    const shortcode = digitsOf(body['ShortCode'])!;
    const start = pullDate(body['StartDate'])!.getTime();
    // Daraja's dates have whole seconds: the end second is included.
    const end = pullDate(body['EndDate'])!.getTime() + 999;
    const offset = Number(digitsOf(body['OffSetValue']));
    const rows = this.#ledger
      .list()
      .filter((e) => (e.kind === 'c2b' || e.kind === 'stk') && e.shortcode === shortcode)
      .filter((e) => e.completedAt.getTime() >= start && e.completedAt.getTime() <= end)
      .sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime())
      .slice(offset, offset + PULL_PAGE_SIZE)
      .map((e) => ({
        transactionId: e.receipt,
        trxDate: isoNairobi(e.completedAt),
        msisdn: payloadMsisdn(e.phoneNumber ?? '', 'v2'),
        sender: 'MPESA',
        transactiontype: /buy goods/i.test(e.reasonType) ? 'c2b-buy-goods-debit' : 'c2b-pay-bill-debit',
        billreference: e.billReference ?? '',
        amount: money(e.amount),
        organizationname: ORGANISATION_NAME,
      }));
    return ok({
      ResponseRefID: randomUUID(),
      ResponseCode: rows.length > 0 ? '1000' : '1001',
      ResponseMessage: rows.length > 0 ? 'Success' : 'No transactions found',
      Response: rows.length > 0 ? [rows] : [],
    });
  }
}
