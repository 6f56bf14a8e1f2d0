import {
  DARAJA_BASE_URLS,
  DARAJA_ENV_VARS,
  Daraja,
  type DarajaEnvironment,
  type DarajaOptions,
} from '../client.js';
import { type DarajaConfigIssue, isDarajaConfigError } from '../core/errors.js';
import { isSecretKey, maskPhoneNumbersInText } from '../core/utils/mask.js';

/** The public sandbox shortcode and passkey (daraja-api.md §17): never right in production. */
const SANDBOX_SHORTCODE = '174379';
const SANDBOX_PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';

/** What each variable is for, and how to fix it. Variables added to the SDK later get a generic text. */
const VARIABLE_HELP: Readonly<Record<string, { purpose: string; fix: string }>> = {
  MPESA_ENVIRONMENT: {
    purpose: 'sandbox or production; sandbox when unset',
    fix: 'Set MPESA_ENVIRONMENT=sandbox or MPESA_ENVIRONMENT=production (or unset it for the sandbox).',
  },
  MPESA_CONSUMER_KEY: {
    purpose: "your Daraja app's consumer key",
    fix: 'Copy the Consumer Key of your app on developer.safaricom.co.ke (My Apps) into MPESA_CONSUMER_KEY. Sandbox and production apps have different keys.',
  },
  MPESA_CONSUMER_SECRET: {
    purpose: "your Daraja app's consumer secret",
    fix: 'Copy the Consumer Secret of the same app into MPESA_CONSUMER_SECRET. Keep it in a secret store, not in code.',
  },
  MPESA_SHORTCODE: {
    purpose: 'the PayBill number, or the store number for Buy Goods',
    fix: 'Set MPESA_SHORTCODE to your PayBill number, or your store number for Buy Goods (5 to 7 digits); 174379 in the sandbox.',
  },
  MPESA_PASSKEY: {
    purpose: 'the Lipa na M-Pesa Online passkey',
    fix: "Set MPESA_PASSKEY to the Lipa na M-Pesa Online passkey of that shortcode: in the sandbox the one on the Daraja portal's test credentials page (it goes with 174379); in production your shortcode's own.",
  },
  MPESA_CALLBACK_URL: {
    purpose: 'the default STK callback URL; stk.push needs one, createPaymentFlow takes its own',
    fix: 'Set MPESA_CALLBACK_URL to the public URL of your callback route, e.g. https://example.com/api/payments/callback: no spaces, https:// in production.',
  },
  MPESA_BASE_URL: {
    purpose: "overrides the environment's Daraja URL, e.g. the local simulator",
    fix: "Unset MPESA_BASE_URL to use the environment's Daraja URL, or set it to an absolute http(s) URL without a path, e.g. http://127.0.0.1:4010 for `npx daraja-sdk sim`.",
  },
  MPESA_TILL_NUMBER: {
    purpose: 'the till number for Buy Goods; unset for PayBill',
    fix: 'Set MPESA_TILL_NUMBER to your till number (5 to 8 digits), or unset it for PayBill.',
  },
  MPESA_INITIATOR_NAME: {
    purpose: 'the API initiator for B2C, B2B, tax, status, balance and reversal',
    fix: 'Set MPESA_INITIATOR_NAME to the initiator username created on the M-Pesa org portal (in the sandbox, the test credentials page).',
  },
  MPESA_INITIATOR_PASSWORD: {
    purpose: "the initiator's password, encrypted into the SecurityCredential with MPESA_CERTIFICATE",
    fix: 'Set MPESA_INITIATOR_PASSWORD together with MPESA_CERTIFICATE or MPESA_CERTIFICATE_PATH, or set MPESA_SECURITY_CREDENTIAL instead.',
  },
  MPESA_CERTIFICATE: {
    purpose: "Safaricom's public certificate (PEM text) for the SecurityCredential",
    fix: 'Paste the PEM certificate of your environment (sandbox and production differ) or use MPESA_CERTIFICATE_PATH.',
  },
  MPESA_CERTIFICATE_PATH: {
    purpose: "a file holding Safaricom's certificate (PEM or DER)",
    fix: 'Point MPESA_CERTIFICATE_PATH at the .cer file downloaded from the Daraja portal for this environment.',
  },
  MPESA_SECURITY_CREDENTIAL: {
    purpose: 'a precomputed SecurityCredential (instead of password + certificate)',
    fix: 'Generate it on the Daraja portal test credentials page, or unset it and give the password and certificate.',
  },
  MPESA_INITIATOR_SHORTCODE: {
    purpose: 'the shortcode initiator calls act for (PartyA); MPESA_SHORTCODE when unset',
    fix: 'Set MPESA_INITIATOR_SHORTCODE to the B2C / B2B shortcode (5 to 7 digits), or unset it.',
  },
  MPESA_RESULT_URL: {
    purpose: 'where initiator calls send their asynchronous Result',
    fix: 'Set MPESA_RESULT_URL to a public HTTPS URL of your result route.',
  },
  MPESA_QUEUE_TIMEOUT_URL: {
    purpose: 'where Daraja reports initiator calls that timed out in its queue',
    fix: 'Set MPESA_QUEUE_TIMEOUT_URL to a public HTTPS URL (it may be the result route).',
  },
};

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

/** @internal Is this URL's host on this machine or a private network? */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h.endsWith('.local') ||
    h === '::1' ||
    h === '0.0.0.0' ||
    /^127\./.test(h) ||
    /^10\./.test(h) ||
    /^192\.168\./.test(h) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(h) ||
    /^169\.254\./.test(h) ||
    /^f[cd][0-9a-f]{2}:/.test(h)
  );
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

/** @internal Show a URL with the values of its query parameters hidden (they may be tokens). */
export function showUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.username || url.password) {
      url.username = url.username ? '***' : '';
      url.password = url.password ? '***' : '';
    }
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
    const shown = url.toString().replace(/%2A%2A%2A/g, '***');
    // `new URL('http://host')` prints `http://host/`: keep the form the user wrote.
    return url.pathname === '/' && !url.search && !url.hash && !value.trim().endsWith('/')
      ? shown.replace(/\/$/, '')
      : shown;
  } catch {
    return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  }
}

/**
 * The shape of every Daraja passkey known: the public sandbox one (daraja-api.md §17) is 64 hexadecimal
 * characters. The reference documents no format for production passkeys, so another shape is a warning,
 * not an error (except with the sandbox shortcode, whose passkey is known exactly).
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

/**
 * @internal
 * Inspect every `MPESA_*` variable the SDK reads: missing and invalid ones (all of them, each with its
 * fix), warnings, and the client when the configuration is usable.
 */
export function inspectConfig(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<DarajaOptions>,
): ConfigInspection {
  const names = Object.values(DARAJA_ENV_VARS) as string[];
  const required = requiredVariables();
  let daraja: Daraja | undefined;
  let issues: readonly DarajaConfigIssue[] = [];
  try {
    daraja = Daraja.fromEnv(env as Record<string, string | undefined>, overrides);
  } catch (error) {
    if (!isDarajaConfigError(error)) throw error;
    issues = error.issues;
  }

  const get = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const issuesOf = (name: string) => issues.filter((i) => i.field === name);
  const rawEnvironment = get(DARAJA_ENV_VARS.environment);
  const environment: DarajaEnvironment = rawEnvironment === 'production' ? 'production' : 'sandbox';
  const baseUrlValid =
    get(DARAJA_ENV_VARS.baseUrl) !== undefined && issuesOf(DARAJA_ENV_VARS.baseUrl).length === 0;
  const baseUrl = (baseUrlValid ? get(DARAJA_ENV_VARS.baseUrl)! : DARAJA_BASE_URLS[environment]).replace(
    /\/+$/,
    '',
  );
  const production = environment === 'production' && !baseUrlValid;
  let local = false;
  try {
    local = isLocalHost(new URL(baseUrl).hostname);
  } catch {
    local = false;
  }

  const variables: VariableReport[] = names.map((name) => {
    const help = VARIABLE_HELP[name];
    const fix = help?.fix ?? `Check ${name}.`;
    const raw = env[name];
    const value = get(name);
    const report: VariableReport = {
      name,
      required: required.has(name),
      status: 'ok',
      value: value === undefined ? undefined : displayValue(name, value),
      purpose: help?.purpose ?? (required.has(name) ? 'required' : 'optional'),
      problems: [],
      warnings: [],
    };
    for (const issue of issuesOf(name)) {
      const missing = issue.message.startsWith('is not set');
      report.status = missing && report.status === 'ok' ? 'missing' : 'invalid';
      report.problems.push({
        message: missing && raw !== undefined && raw.trim() === '' ? 'is set but empty.' : issue.message,
        fix,
      });
    }
    if (report.problems.length === 0 && value === undefined) report.status = 'unset';
    // Pasting mistakes: never echo the value, name the variable and describe the problem.
    if (raw !== undefined && value !== undefined) {
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
    }
    return report;
  });
  const byName = new Map(variables.map((v) => [v.name, v]));
  const problem = (name: string, message: string) => {
    const v = byName.get(name);
    if (!v) return;
    v.status = 'invalid';
    v.problems.push({ message, fix: VARIABLE_HELP[name]?.fix ?? `Check ${name}.` });
  };
  const warn = (name: string, message: string) => byName.get(name)?.warnings.push(message);

  if (production) {
    // The SDK may report these itself; say it once.
    if (
      get(DARAJA_ENV_VARS.shortcode) === SANDBOX_SHORTCODE &&
      issuesOf(DARAJA_ENV_VARS.shortcode).length === 0
    ) {
      problem(
        DARAJA_ENV_VARS.shortcode,
        'is 174379, the sandbox shortcode, but MPESA_ENVIRONMENT is production. Use your production shortcode.',
      );
    }
    if (get(DARAJA_ENV_VARS.passkey) === SANDBOX_PASSKEY && issuesOf(DARAJA_ENV_VARS.passkey).length === 0) {
      problem(
        DARAJA_ENV_VARS.passkey,
        'is the public sandbox passkey, but MPESA_ENVIRONMENT is production. Use the passkey of your production shortcode.',
      );
    }
  }
  const passkey = get(DARAJA_ENV_VARS.passkey);
  if (passkey !== undefined && wrappingQuote(passkey) === undefined) {
    const sandboxForReal = environment === 'sandbox' && !baseUrlValid;
    if (
      sandboxForReal &&
      get(DARAJA_ENV_VARS.shortcode) === SANDBOX_SHORTCODE &&
      passkey !== SANDBOX_PASSKEY
    ) {
      problem(
        DARAJA_ENV_VARS.passkey,
        `is not the public sandbox passkey, but MPESA_SHORTCODE is 174379, the sandbox shortcode: Daraja will answer every STK push with "Wrong credentials". The sandbox passkey is 64 hexadecimal characters${PASSKEY_FORMAT.test(passkey) ? '' : `; this value is ${describePasskey(passkey)}`}.`,
      );
    } else if (!PASSKEY_FORMAT.test(passkey)) {
      warn(
        DARAJA_ENV_VARS.passkey,
        `is ${describePasskey(passkey)}, but Daraja passkeys are 64 hexadecimal characters (0-9, a-f), like the public sandbox one. Check that you copied the whole passkey, and not the STK password or the consumer secret.`,
      );
    }
  }
  // Result URLs get the same advice as the STK callback URL (the callback URL has a check of its own).
  for (const name of [DARAJA_ENV_VARS.resultUrl, DARAJA_ENV_VARS.queueTimeoutUrl]) {
    const url = get(name);
    const v = byName.get(name);
    if (url === undefined || !v || v.problems.length > 0) continue;
    try {
      for (const w of checkCallbackUrl(url, { production, local }, () => undefined, 'result').warnings)
        warn(name, w);
    } catch {
      // not a URL: the SDK reported it already
    }
  }
  if (environment === 'production' && baseUrlValid) {
    warn(
      DARAJA_ENV_VARS.baseUrl,
      `overrides the production URL: requests go to ${showUrl(baseUrl)}, not ${DARAJA_BASE_URLS.production}.`,
    );
  }
  // A typo in a variable name leaves the real one unset: name the likely intended variable.
  for (const name of Object.keys(env)) {
    if (!name.startsWith('MPESA_') || byName.has(name)) continue;
    const near = names.find((known) => levenshtein(name, known) <= 2);
    if (near) warn(near, `${name} is set but the SDK does not read it: did you mean ${near}?`);
  }
  for (const v of variables) if (v.status === 'ok' && v.warnings.length > 0) v.status = 'warning';

  const otherProblems = issues
    .filter((i) => !byName.has(i.field))
    .map((i) => ({ message: `${i.field}: ${i.message}`, fix: 'Check the configuration.' }));
  const hasProblems = otherProblems.length > 0 || variables.some((v) => v.problems.length > 0);

  // The token needs only the credentials, the environment and the base URL: check it even when, say,
  // the passkey is missing, so one run reports as much as it can.
  let credentialsClient: Daraja | undefined;
  const credentialNames = [
    DARAJA_ENV_VARS.consumerKey,
    DARAJA_ENV_VARS.consumerSecret,
    DARAJA_ENV_VARS.environment,
    DARAJA_ENV_VARS.baseUrl,
  ];
  if (hasProblems && credentialNames.every((n) => (byName.get(n)?.problems.length ?? 0) === 0)) {
    const key = get(DARAJA_ENV_VARS.consumerKey);
    const secret = get(DARAJA_ENV_VARS.consumerSecret);
    if (key !== undefined && secret !== undefined) {
      credentialsClient = new Daraja({
        ...overrides,
        consumerKey: key,
        consumerSecret: secret,
        environment,
        ...(baseUrlValid ? { baseUrl } : {}),
      });
    }
  }
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
    credentialsClient: hasProblems ? credentialsClient : daraja,
  };
}

/**
 * Keywords Safaricom's C2B Register URL documentation says to avoid in URLs ("Avoid the keywords
 * M-PESA/MPesa/Safaricom/exe/exec/cmd/SQL/query in URLs", daraja-api.md §6). No capture shows the rule
 * applied to the STK CallBackURL or to result URLs: there it is advice.
 */
const URL_KEYWORDS = ['m-pesa', 'mpesa', 'safaricom', 'exec', 'exe', 'cmd', 'sql', 'query'];
/** Tunnels and bins Safaricom's C2B documentation says are usually blocked. */
const BLOCKED_HOSTS = ['ngrok', 'mockbin', 'requestbin'];

/**
 * @internal
 * Which URL is checked: the STK `CallBackURL`, an initiator API's result or queue-timeout URL, or a C2B
 * confirmation / validation URL (the only ones Safaricom's keyword and host rules are documented for).
 */
export type CheckedUrlKind = 'stk' | 'result' | 'c2b';

/** @internal The result of the callback URL check. */
export interface CallbackUrlCheck {
  /** A reason Daraja will reject the URL, or undefined. */
  error: string | undefined;
  /** Things Safaricom's rules or experience advise against. */
  warnings: string[];
}

/**
 * @internal
 * Sanity-check a callback URL beyond what the SDK enforces: Safaricom's keyword and host rules (errors for
 * C2B URLs, where they are documented; advice elsewhere), addresses Daraja cannot reach, http in the
 * sandbox, an uppercase host.
 */
export function checkCallbackUrl(
  value: string,
  target: { production: boolean; local: boolean },
  validate: (value: string, production: boolean) => string | undefined,
  kind: CheckedUrlKind = 'stk',
): CallbackUrlCheck {
  const error = validate(value, target.production);
  const warnings: string[] = [];
  if (error) return { error, warnings };
  const url = new URL(value);
  const text = `${url.hostname}${url.pathname}${url.search}`.toLowerCase();
  const found = URL_KEYWORDS.filter((k) => text.includes(k)).filter(
    (k, _, all) => !(k === 'exe' && all.includes('exec')) && !(k === 'mpesa' && all.includes('m-pesa')),
  );
  const errors: string[] = [];
  const rule =
    'Safaricom documents, for C2B Register URL: "Avoid the keywords M-PESA/MPesa/Safaricom/exe/exec/cmd/SQL/query in URLs"';
  if (found.length > 0) {
    const words = found.map((k) => `"${k}"`).join(', ');
    if (kind === 'c2b') {
      errors.push(`contains ${words}: ${rule}. Rename the route.`);
    } else {
      warnings.push(
        `contains ${words}: ${rule}. For the ${kind === 'stk' ? 'STK CallBackURL' : 'result URLs'} the rule is not documented and no rejection has been seen, so this is advice: consider renaming the route.`,
      );
    }
  }
  if (BLOCKED_HOSTS.some((h) => url.hostname.toLowerCase().includes(h))) {
    const blocked =
      'is a tunnel or request bin (ngrok, mockbin, requestbin): Safaricom documents, for C2B Register URL, "Do not use ngrok, mockbin or requestbin (usually blocked)"';
    if (kind === 'c2b') errors.push(`${blocked}. Use your own domain.`);
    else
      warnings.push(
        `${blocked}. For the ${kind === 'stk' ? 'STK CallBackURL' : 'result URLs'} this is not documented, so this is advice: use your own domain in production.`,
      );
  }
  if (errors.length > 0) return { error: errors.join(' '), warnings };
  if (!target.local && isLocalHost(url.hostname)) {
    warnings.push(
      `points at ${url.hostname}, which Daraja cannot reach: callbacks will not arrive. Use a public URL (local addresses only work with the simulator).`,
    );
  }
  if (!target.production && !target.local && url.protocol === 'http:') {
    warnings.push('uses http://: the sandbox accepts it, production requires https://.');
  }
  const rawHost = /^[a-z]+:\/\/(?:[^@/]*@)?([^/:?#]+)/i.exec(value)?.[1] ?? '';
  if (rawHost !== rawHost.toLowerCase()) {
    warnings.push(
      'has uppercase letters in the host, suspected (unverified) to cause "Invalid CallBackURL". Use lowercase.',
    );
  }
  return { error: undefined, warnings };
}
