// Daraja's clock: every timestamp on the wire is Nairobi time (East Africa Time, UTC+3, no daylight
// saving), written YYYYMMDDHHmmss. Standalone, like everything in wire/: it imports nothing of the SDK.

const EAST_AFRICA_MS = 3 * 3_600_000;

/**
 * @internal
 * A moment as Daraja writes it, `YYYYMMDDHHmmss` in Nairobi time, e.g. `20210628092408` for
 * 2021-06-28T06:24:08Z.
 */
export function nairobiTimestamp(at: Date = new Date()): string {
  // The ISO form of the shifted moment, digits only: YYYY MM DD HH mm ss (then milliseconds, dropped).
  return new Date(at.getTime() + EAST_AFRICA_MS).toISOString().replace(/\D/g, '').slice(0, 14);
}

/**
 * @internal
 * The moment a `YYYYMMDDHHmmss` Nairobi timestamp names, or `undefined` when it is not one (wrong
 * length, or an impossible date such as the 31st of February: it must write back to the same digits).
 */
export function parseNairobiTimestamp(digits: string): Date | undefined {
  const p = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(digits);
  if (!p) return undefined;
  const at = new Date(`${p[1]}-${p[2]}-${p[3]}T${p[4]}:${p[5]}:${p[6]}+03:00`);
  return Number.isNaN(at.getTime()) || nairobiTimestamp(at) !== digits ? undefined : at;
}
