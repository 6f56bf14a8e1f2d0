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
 * Keywords Safaricom's C2B Register URL documentation (the Daraja portal's API page) says to avoid in
 * URLs ("Avoid the keywords M-PESA/MPesa/Safaricom/exe/exec/cmd/SQL/query in URLs"). No recorded Daraja
 * traffic shows the rule applied to the STK CallBackURL or to result URLs: there it is advice.
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
