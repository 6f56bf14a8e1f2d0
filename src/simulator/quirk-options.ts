import { randomInt } from 'node:crypto';
import {
  type ActiveSimulatorQuirks,
  type ActiveStkQueryQuirks,
  type CallbackPhoneNumberForm,
  OFF,
  QUERY_QUIRKS,
  SANDBOX_QUERY_RATE,
  SIMULATOR_QUIRK_PRESETS,
  type SimulatorQuirkRule,
  type SimulatorQuirks,
  type SimulatorQuirksPreset,
  type SpikeArrestRate,
  type StkCallbackQuirks,
} from './quirks.js';
import { withoutUndefined } from './validation.js';

// Reading a `quirks` value: presets, switches, rules, the rate limit and the seed, every problem named.

/** @internal One problem with a quirks value, named by its path (`quirks.stkQuery.stillProcessing.every`). */
export interface QuirkIssue {
  field: string;
  message: string;
}

const PHONE_FORMS: readonly CallbackPhoneNumberForm[] = ['full', 'masked', 'hashed', 'omitted'];
const PRESETS: readonly SimulatorQuirksPreset[] = ['documented', 'realistic'];
const MAX_MS = 2_147_483_647;
const MAX_SEED = 2 ** 32 - 1;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isWhole = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Where problems go: the field's path and what is wrong. */
type Add = (field: string, message: string) => void;

/** Report the keys of `value` that are not `known`. */
function unknownKeys(value: Record<string, unknown>, known: readonly string[], at: string, add: Add): void {
  for (const key of Object.keys(value))
    if (!known.includes(key)) add(`${at}.${key}`, 'unknown quirk; check its spelling.');
}

/**
 * @internal
 * Check a `quirks` value (from options, a test or the control API's JSON) and spell it out: the preset
 * applied, every switch a rule or `false`, a seed chosen when none is given.
 *
 * @returns The quirks in effect, or every problem found (unknown keys included).
 */
export function activeQuirks(
  input: unknown,
  path = 'quirks',
): { quirks: ActiveSimulatorQuirks; issues?: undefined } | { quirks?: undefined; issues: QuirkIssue[] } {
  const issues: QuirkIssue[] = [];
  const add: Add = (field, message) => issues.push({ field, message });
  let spec: Record<string, unknown> = {};
  if (typeof input === 'string') spec = { preset: input };
  else if (isObject(input)) spec = input;
  else if (input !== undefined) add(path, 'must be "documented", "realistic" or an object of quirks.');
  unknownKeys(spec, ['preset', 'stkQuery', 'stkQueryRateLimit', 'stkCallback', 'seed'], path, add);

  let preset: SimulatorQuirksPreset | undefined;
  if (spec['preset'] !== undefined) {
    if (PRESETS.includes(spec['preset'] as SimulatorQuirksPreset))
      preset = spec['preset'] as SimulatorQuirksPreset;
    else add(`${path}.preset`, 'must be "documented" or "realistic".');
  }
  const base = preset === undefined ? undefined : SIMULATOR_QUIRK_PRESETS[preset];
  const stkQuery = queryQuirksOf(spec['stkQuery'], base, path, add);
  const rate = rateOf(spec['stkQueryRateLimit'] ?? base?.stkQueryRateLimit, path, add);
  const stkCallback = callbackQuirksOf(spec['stkCallback'], base, path, add);
  let seed = randomInt(MAX_SEED);
  if (spec['seed'] !== undefined) {
    if (isWhole(spec['seed'], 0, MAX_SEED)) seed = spec['seed'];
    else add(`${path}.seed`, `must be a whole number from 0 to ${MAX_SEED}.`);
  }
  if (issues.length > 0) return { issues };
  return { quirks: Object.freeze({ preset, stkQuery, stkQueryRateLimit: rate, stkCallback, seed }) };
}

/** STK query quirks: each given switch replaces the preset's. */
function queryQuirksOf(
  query: unknown,
  base: SimulatorQuirks | undefined,
  path: string,
  add: Add,
): ActiveStkQueryQuirks {
  const stkQuery: Record<string, SimulatorQuirkRule | false> = { ...OFF };
  for (const name of QUERY_QUIRKS) {
    const fromPreset = base?.stkQuery?.[name];
    if (fromPreset !== undefined) stkQuery[name] = ruleOf(fromPreset, '', () => {});
  }
  if (query !== undefined) {
    if (!isObject(query)) add(`${path}.stkQuery`, 'must be an object of STK query quirks.');
    else {
      unknownKeys(query, QUERY_QUIRKS, `${path}.stkQuery`, add);
      for (const name of QUERY_QUIRKS) {
        if (query[name] !== undefined) stkQuery[name] = ruleOf(query[name], `${path}.stkQuery.${name}`, add);
      }
    }
  }
  return Object.freeze(stkQuery as unknown as ActiveStkQueryQuirks);
}

/** The rate limit: `true` is the sandbox's, an object overrides parts of it. */
function rateOf(given: unknown, path: string, add: Add): Required<SpikeArrestRate> | false {
  if (given === true) return SANDBOX_QUERY_RATE;
  if (isObject(given)) {
    const at = `${path}.stkQueryRateLimit`;
    unknownKeys(given, ['messagesPerPeriod', 'periodMs', 'burst'], at, add);
    const r = { ...SANDBOX_QUERY_RATE, ...withoutUndefined(given) } as Record<string, unknown>;
    if (!isWhole(r['messagesPerPeriod'], 1, 1_000_000))
      add(`${at}.messagesPerPeriod`, 'must be a whole number from 1.');
    if (!isWhole(r['periodMs'], 1, MAX_MS))
      add(`${at}.periodMs`, `must be a whole number of ms from 1 to ${MAX_MS}.`);
    if (!isWhole(r['burst'], 1, 1_000_000)) add(`${at}.burst`, 'must be a whole number from 1.');
    return Object.freeze(r as Required<SpikeArrestRate>);
  }
  if (given !== undefined && given !== false) {
    add(`${path}.stkQueryRateLimit`, 'must be true, false or { messagesPerPeriod, periodMs, burst }.');
  }
  return false;
}

/** The shape of callbacks: the Balance item and the phone number's form. */
function callbackQuirksOf(
  callback: unknown,
  base: SimulatorQuirks | undefined,
  path: string,
  add: Add,
): Required<StkCallbackQuirks> {
  let balanceItem = base?.stkCallback?.balanceItem ?? true;
  let phoneNumber: Required<StkCallbackQuirks>['phoneNumber'] = base?.stkCallback?.phoneNumber ?? 'full';
  if (callback !== undefined) {
    const at = `${path}.stkCallback`;
    if (!isObject(callback)) add(at, 'must be an object of callback quirks.');
    else {
      unknownKeys(callback, ['balanceItem', 'phoneNumber'], at, add);
      if (callback['balanceItem'] !== undefined) {
        if (typeof callback['balanceItem'] === 'boolean') balanceItem = callback['balanceItem'];
        else add(`${at}.balanceItem`, 'must be true or false.');
      }
      const form = callback['phoneNumber'];
      if (form !== undefined) {
        if (typeof form === 'function' || PHONE_FORMS.includes(form as CallbackPhoneNumberForm)) {
          phoneNumber = form as Required<StkCallbackQuirks>['phoneNumber'];
        } else
          add(`${at}.phoneNumber`, `must be one of ${PHONE_FORMS.join(', ')}, or a function returning one.`);
      }
    }
  }
  return Object.freeze({ balanceItem, phoneNumber });
}

/** A switch as a rule (`true` → `{}`), or `false`; problems go to `add`. */
function ruleOf(
  value: unknown,
  at: string,
  add: (field: string, message: string) => void,
): SimulatorQuirkRule | false {
  if (value === false) return false;
  if (value === true) return Object.freeze({});
  if (!isObject(value)) {
    add(at, 'must be true, false or { withinMs, every, probability }.');
    return false;
  }
  for (const key of Object.keys(value)) {
    if (!['withinMs', 'every', 'probability'].includes(key))
      add(`${at}.${key}`, 'unknown condition; check its spelling.');
  }
  const { withinMs, every, probability } = value;
  if (withinMs !== undefined && !isWhole(withinMs, 0, MAX_MS))
    add(`${at}.withinMs`, `must be a whole number of ms from 0 to ${MAX_MS}.`);
  if (every !== undefined && !isWhole(every, 1, Number.MAX_SAFE_INTEGER))
    add(`${at}.every`, 'must be a whole number from 1.');
  if (
    probability !== undefined &&
    !(typeof probability === 'number' && Number.isFinite(probability) && probability >= 0 && probability <= 1)
  ) {
    add(`${at}.probability`, 'must be a number from 0 to 1.');
  }
  return Object.freeze(withoutUndefined({ withinMs, every, probability }) as SimulatorQuirkRule);
}
