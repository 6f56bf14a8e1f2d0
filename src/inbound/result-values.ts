// The values inside initiator results: public names (`"2547… - NAME"`), account-balance strings, result
// dates, and the typed readers of a result's parameters that the operation parsers (`result-kinds.ts`) use.
import { tryNormalizePhoneNumber } from '../core/utils/phone.js';
import { fail, readAmount } from '../core/utils/readers.js';
import { parseDarajaTimestamp } from '../core/utils/timestamp.js';
import type { DarajaResult } from './result.js';

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

const PARAMS = 'Result.ResultParameters.ResultParameter';

/**
 * @internal
 * Readers of one result's parameters, typed; each names the parameter in its error.
 */
export function parameterReaders(result: DarajaResult) {
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
        fail(
          'invalid_field',
          `${PARAMS}.${key} is not a date (YYYYMMDDHHmmss or dd.MM.yyyy HH:mm:ss).`,
          `${PARAMS}.${key}`,
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
        fail('invalid_field', `${path}: entry ${i + 1} is not "name|currency|amounts…".`, path);
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
