import {
  DARAJA_BASE_URLS,
  DARAJA_ENV_VARS,
  Daraja,
  type DarajaEnvironment,
  type DarajaOptions,
} from '../client.js';
import { SANDBOX_PASSKEY, SANDBOX_SHORTCODE } from '../client-checks.js';
import { type DarajaConfigIssue, isDarajaConfigError } from '../core/errors.js';
import { isSecretKey, maskPhoneNumbersInText } from '../core/utils/mask.js';
import { checkCallbackUrl, isLocalHost, showUrl } from './url-check.js';
import { VARIABLE_HELP } from './variable-help.js';

/** @internal The state of one environment variable. */
export type VariableStatus = 'ok' | 'warning' | 'missing' | 'invalid' | 'unset';

/** @internal One problem with a variable and how to fix it. */
export interface VariableProblem {
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** @internal The report of one `MPESA_*` variable. */
export interface VariableReport {
  /** The variable, e.g. `MPESA_CONSUMER_KEY`. */
  name: string;
  /** Whether `Daraja.fromEnv` needs it. */
  required: boolean;
  /** `ok`, `warning` (usable, but look), `missing` (required, unset), `invalid`, or `unset` (optional). */
  status: VariableStatus;
  /** What it is for. */
  purpose: string;
  /** The value as shown: secrets as `set (N characters)`, never their text. Absent when unset. */
  value?: string | undefined;
  /** Every problem, each with its fix. */
  problems: VariableProblem[];
  /** Things to look at that do not stop the SDK. */
  warnings: string[];
}

/** @internal What doctor learnt from the environment. */
export interface ConfigInspection {
  /** One report per variable the SDK reads, in `DARAJA_ENV_VARS` order. */
  variables: VariableReport[];
  /** Problems not tied to one variable. */
  otherProblems: VariableProblem[];
  /** True when a required variable is missing or any variable is invalid. */
  hasProblems: boolean;
  /** The environment in use (`sandbox` when unset or invalid). */
  environment: DarajaEnvironment;
  /** The base URL requests go to. */
  baseUrl: string;
  /** Where the base URL comes from. */
  baseUrlSource: 'MPESA_BASE_URL' | 'MPESA_ENVIRONMENT';
  /** Production for real: `production` and no base URL override. */
  production: boolean;
  /** The base URL is on this machine (a local simulator). */
  local: boolean;
  /** The client from `Daraja.fromEnv`, when the configuration is valid. */
  daraja: Daraja | undefined;
  /**
   * A client with only the credentials, when they are usable but something else is not: the token can
   * still be checked.
   */
  credentialsClient: Daraja | undefined;
}

/** The variables `Daraja.fromEnv` requires, learnt from the SDK itself so that new ones are included. */
function requiredVariables(): Set<string> {
  try {
    Daraja.fromEnv({});
  } catch (error) {
    if (isDarajaConfigError(error)) {
      return new Set(error.issues.filter((i) => i.message.startsWith('is not set')).map((i) => i.field));
    }
  }
  return new Set(['MPESA_CONSUMER_KEY', 'MPESA_CONSUMER_SECRET', 'MPESA_SHORTCODE', 'MPESA_PASSKEY']);
}

/**
 * The shape of every Daraja passkey known: the public sandbox one is 64 hexadecimal characters. Daraja
 * documents no format for production passkeys, so another shape is a warning, not an error (except with
 * the sandbox shortcode, whose passkey is known exactly).
 */
const PASSKEY_FORMAT = /^[0-9a-f]{64}$/i;

/** Variables whose values are PEM text, where a final line break is normal. */
const PEM_VARIABLES = new Set<string>([DARAJA_ENV_VARS.certificate]);

/** The quote character a value starts and ends with, if any (the value itself is never shown). */
function wrappingQuote(value: string): string | undefined {
  const first = value[0];
  return value.length >= 2 && (first === '"' || first === "'" || first === '`') && value.endsWith(first)
    ? first
    : undefined;
}

/** Describe where the whitespace around a value is, without showing the value. */
function describeWhitespace(raw: string): string {
  const lead = raw.length - raw.trimStart().length;
  const trail = raw.length - raw.trimEnd().length;
  const kind = (text: string) =>
    /[\r\n]/.test(text) ? 'a line break' : /\t/.test(text) ? 'a tab' : 'a space';
  return [
    lead > 0 ? `${kind(raw.slice(0, lead))} at the start` : '',
    trail > 0 ? `${kind(raw.slice(raw.length - trail))} at the end` : '',
  ]
    .filter(Boolean)
    .join(' and ');
}

/** A passkey's length and alphabet, never its characters. */
function describePasskey(passkey: string): string {
  const length = `${passkey.length} character${passkey.length === 1 ? '' : 's'} long`;
  return /^[0-9a-f]*$/i.test(passkey) ? length : `${length} and not all hexadecimal`;
}

function displayValue(name: string, raw: string): string {
  const value = raw.trim();
  if (isSecretKey(name) || /CERTIFICATE/.test(name))
    return `set (${value.length} character${value.length === 1 ? '' : 's'})`;
  if (/URL$/.test(name)) return /\s/.test(value) ? JSON.stringify(value) : showUrl(value);
  return maskPhoneNumbersInText(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** What the environment says, read once and shared by the steps of {@link inspectConfig}. */
interface EnvReading {
  env: Readonly<Record<string, string | undefined>>;
  /** The trimmed value, or undefined when unset or blank. */
  get(name: string): string | undefined;
  /** The SDK's own configuration issues about this variable. */
  issuesOf(name: string): DarajaConfigIssue[];
  environment: DarajaEnvironment;
  baseUrl: string;
  baseUrlValid: boolean;
  production: boolean;
  local: boolean;
}

function readEnv(
  env: Readonly<Record<string, string | undefined>>,
  issues: readonly DarajaConfigIssue[],
): EnvReading {
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const issuesOf = (name: string) => issues.filter((i) => i.field === name);
  const environment: DarajaEnvironment =
    get(DARAJA_ENV_VARS.environment) === 'production' ? 'production' : 'sandbox';
  const baseUrlValid =
    get(DARAJA_ENV_VARS.baseUrl) !== undefined && issuesOf(DARAJA_ENV_VARS.baseUrl).length === 0;
  const baseUrl = (baseUrlValid ? get(DARAJA_ENV_VARS.baseUrl)! : DARAJA_BASE_URLS[environment]).replace(
    /\/+$/,
    '',
  );
  let local = false;
  try {
    local = isLocalHost(new URL(baseUrl).hostname);
  } catch {
    local = false;
  }
  const production = environment === 'production' && !baseUrlValid;
  return { env, get, issuesOf, environment, baseUrl, baseUrlValid, production, local };
}

/** The report of one variable: the SDK's issues about it, and pasting mistakes (never echoing the value). */
function variableReport(name: string, reading: EnvReading, required: ReadonlySet<string>): VariableReport {
  const help = VARIABLE_HELP[name];
  const fix = help?.fix ?? `Check ${name}.`;
  const raw = reading.env[name];
  const value = reading.get(name);
  const report: VariableReport = {
    name,
    required: required.has(name),
    status: 'ok',
    value: value === undefined ? undefined : displayValue(name, value),
    purpose: help?.purpose ?? (required.has(name) ? 'required' : 'optional'),
    problems: [],
    warnings: [],
  };
  for (const issue of reading.issuesOf(name)) {
    const missing = issue.message.startsWith('is not set');
    report.status = missing && report.status === 'ok' ? 'missing' : 'invalid';
    report.problems.push({
      message: missing && raw !== undefined && raw.trim() === '' ? 'is set but empty.' : issue.message,
      fix,
    });
  }
  if (report.problems.length === 0 && value === undefined) report.status = 'unset';
  if (raw === undefined || value === undefined) return report;
  const quote = wrappingQuote(value);
  if (quote) {
    report.status = 'invalid';
    report.problems.unshift({
      message: `starts and ends with ${quote === '"' ? 'a double quote' : quote === "'" ? 'a single quote' : 'a backquote'} (${quote}): the quotes are part of the value, so Daraja receives them too.`,
      fix: `Remove the ${quote} around the value of ${name}. In a .env file read by dotenv, Node's --env-file or daraja doctor, ${name}=value and ${name}="value" both work; docker --env-file, systemd EnvironmentFile and hosting dashboards keep quotes, so write the value there without them.`,
    });
  }
  if (raw !== raw.trim() && !PEM_VARIABLES.has(name)) {
    report.status = 'invalid';
    report.problems.unshift({
      message: `has leading or trailing whitespace (${describeWhitespace(raw)}): a pasted space or line break. The SDK trims it; other tools, and the same value copied elsewhere, may not.`,
      fix: `Remove the whitespace around the value of ${name} where it is set (the .env file, the shell, or the hosting dashboard).`,
    });
  }
  return report;
}

/** Add a problem (the variable becomes invalid) or a warning to a variable's report. */
interface Notes {
  problem(name: string, message: string): void;
  warn(name: string, message: string): void;
}

/** The sandbox shortcode and passkey where they cannot work, and a passkey of the wrong shape. */
function checkShortcodeAndPasskey(reading: EnvReading, notes: Notes): void {
  const { get, issuesOf } = reading;
  const { shortcode, passkey: passkeyName } = DARAJA_ENV_VARS;
  if (reading.production) {
    // The SDK may report these itself; say it once.
    if (get(shortcode) === SANDBOX_SHORTCODE && issuesOf(shortcode).length === 0) {
      notes.problem(
        shortcode,
        'is 174379, the sandbox shortcode, but MPESA_ENVIRONMENT is production. Use your production shortcode.',
      );
    }
    if (get(passkeyName) === SANDBOX_PASSKEY && issuesOf(passkeyName).length === 0) {
      notes.problem(
        passkeyName,
        'is the public sandbox passkey, but MPESA_ENVIRONMENT is production. Use the passkey of your production shortcode.',
      );
    }
  }
  const passkey = get(passkeyName);
  if (passkey === undefined || wrappingQuote(passkey) !== undefined) return;
  const sandboxForReal = reading.environment === 'sandbox' && !reading.baseUrlValid;
  if (sandboxForReal && get(shortcode) === SANDBOX_SHORTCODE && passkey !== SANDBOX_PASSKEY) {
    notes.problem(
      passkeyName,
      `is not the public sandbox passkey, but MPESA_SHORTCODE is 174379, the sandbox shortcode: Daraja will answer every STK push with "Wrong credentials". The sandbox passkey is 64 hexadecimal characters${PASSKEY_FORMAT.test(passkey) ? '' : `; this value is ${describePasskey(passkey)}`}.`,
    );
  } else if (!PASSKEY_FORMAT.test(passkey)) {
    notes.warn(
      passkeyName,
      `is ${describePasskey(passkey)}, but Daraja passkeys are 64 hexadecimal characters (0-9, a-f), like the public sandbox one. Check that you copied the whole passkey, and not the STK password or the consumer secret.`,
    );
  }
}

/** Advice on the result URLs and a base URL override, and misspelt variable names. */
function checkUrlsAndNames(
  reading: EnvReading,
  byName: ReadonlyMap<string, VariableReport>,
  notes: Notes,
): void {
  const { production, local } = reading;
  // Result URLs get the same advice as the STK callback URL (the callback URL has a check of its own).
  for (const name of [DARAJA_ENV_VARS.resultUrl, DARAJA_ENV_VARS.queueTimeoutUrl]) {
    const url = reading.get(name);
    const v = byName.get(name);
    if (url === undefined || !v || v.problems.length > 0) continue;
    try {
      for (const w of checkCallbackUrl(url, { production, local }, () => undefined, 'result').warnings)
        notes.warn(name, w);
    } catch {
      // not a URL: the SDK reported it already
    }
  }
  if (reading.environment === 'production' && reading.baseUrlValid) {
    notes.warn(
      DARAJA_ENV_VARS.baseUrl,
      `overrides the production URL: requests go to ${showUrl(reading.baseUrl)}, not ${DARAJA_BASE_URLS.production}.`,
    );
  }
  // A typo in a variable name leaves the real one unset: name the likely intended variable.
  const names = [...byName.keys()];
  for (const name of Object.keys(reading.env)) {
    if (!name.startsWith('MPESA_') || byName.has(name)) continue;
    const near = names.find((known) => levenshtein(name, known) <= 2);
    if (near) notes.warn(near, `${name} is set but the SDK does not read it: did you mean ${near}?`);
  }
}

/**
 * A client with only the credentials, when they are usable but something else is not. The token needs
 * only the credentials, the environment and the base URL: check it even when, say, the passkey is
 * missing, so one run reports as much as it can.
 */
function credentialsOnlyClient(
  reading: EnvReading,
  byName: ReadonlyMap<string, VariableReport>,
  overrides: Partial<DarajaOptions>,
): Daraja | undefined {
  const credentialNames = [
    DARAJA_ENV_VARS.consumerKey,
    DARAJA_ENV_VARS.consumerSecret,
    DARAJA_ENV_VARS.environment,
    DARAJA_ENV_VARS.baseUrl,
  ];
  if (credentialNames.some((n) => (byName.get(n)?.problems.length ?? 0) > 0)) return undefined;
  const key = reading.get(DARAJA_ENV_VARS.consumerKey);
  const secret = reading.get(DARAJA_ENV_VARS.consumerSecret);
  if (key === undefined || secret === undefined) return undefined;
  return new Daraja({
    ...overrides,
    consumerKey: key,
    consumerSecret: secret,
    environment: reading.environment,
    ...(reading.baseUrlValid ? { baseUrl: reading.baseUrl } : {}),
  });
}

/**
 * @internal
 * Inspect every `MPESA_*` variable the SDK reads (the names of `DARAJA_ENV_VARS`): missing and invalid
 * ones (all of them, each with its fix), warnings, and the client when the configuration is usable.
 */
export function inspectConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<DarajaOptions>,
): ConfigInspection {
  let daraja: Daraja | undefined;
  let issues: readonly DarajaConfigIssue[] = [];
  try {
    daraja = Daraja.fromEnv(env as Record<string, string | undefined>, overrides);
  } catch (error) {
    if (!isDarajaConfigError(error)) throw error;
    issues = error.issues;
  }
  const reading = readEnv(env, issues);
  const required = requiredVariables();
  const variables = (Object.values(DARAJA_ENV_VARS) as string[]).map((name) =>
    variableReport(name, reading, required),
  );
  const byName = new Map(variables.map((v) => [v.name, v]));
  const notes: Notes = {
    problem: (name, message) => {
      const v = byName.get(name);
      if (!v) return;
      v.status = 'invalid';
      v.problems.push({ message, fix: VARIABLE_HELP[name]?.fix ?? `Check ${name}.` });
    },
    warn: (name, message) => byName.get(name)?.warnings.push(message),
  };
  checkShortcodeAndPasskey(reading, notes);
  checkUrlsAndNames(reading, byName, notes);
  for (const v of variables) if (v.status === 'ok' && v.warnings.length > 0) v.status = 'warning';

  const otherProblems = issues
    .filter((i) => !byName.has(i.field))
    .map((i) => ({ message: `${i.field}: ${i.message}`, fix: 'Check the configuration.' }));
  const hasProblems = otherProblems.length > 0 || variables.some((v) => v.problems.length > 0);
  const { environment, baseUrl, baseUrlValid, production, local } = reading;
  return {
    variables,
    otherProblems,
    hasProblems,
    environment,
    baseUrl,
    baseUrlSource: baseUrlValid ? 'MPESA_BASE_URL' : 'MPESA_ENVIRONMENT',
    production,
    local,
    daraja: hasProblems ? undefined : daraja,
    credentialsClient: hasProblems ? credentialsOnlyClient(reading, byName, overrides) : daraja,
  };
}
