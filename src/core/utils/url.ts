import { unreachableHost } from './ip.js';

/**
 * @internal
 * Check a callback URL the way Daraja will: an absolute http(s) URL without spaces, HTTPS in production.
 * With `publicOnly` (the client talks to Daraja itself, not to a simulator), the host must also be one
 * Safaricom can reach: not `localhost`, `*.local`, or a loopback, private, link-local or unspecified
 * address. Returns a message saying what to fix, or `undefined` when the URL is fine.
 */
export function validateCallbackUrl(
  value: unknown,
  production: boolean,
  publicOnly = false,
): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must be an absolute https:// URL.';
  if (/\s/.test(value))
    return 'contains whitespace; Daraja rejects it ("Invalid CallBackURL"). Remove the spaces.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid absolute URL; use e.g. https://example.com/payments/callback.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'must use https:// (or http:// in the sandbox).';
  if (production && url.protocol !== 'https:') return 'must use https:// in production.';
  if (publicOnly) {
    const why = unreachableHost(url.hostname);
    if (why)
      return (
        `Daraja cannot reach it: ${why}. Use a public URL of your app (a deployed host or a tunnel), ` +
        'or point the client at the local simulator with baseUrl (it can reach local URLs).'
      );
  }
  return undefined;
}

/**
 * @internal
 * Whether a client with this base URL talks to Daraja itself (Safaricom's sandbox or production host), as
 * opposed to a simulator or mock: only then are callback URLs held to what Safaricom can reach.
 */
export function isDarajaHost(baseUrl: string): boolean {
  try {
    const host = new URL(baseUrl).hostname.toLowerCase();
    return host === 'safaricom.co.ke' || host.endsWith('.safaricom.co.ke');
  } catch {
    return false;
  }
}
