/**
 * @internal
 * Check a callback URL the way Daraja will: an absolute http(s) URL without spaces, HTTPS in production.
 * Returns a message saying what to fix, or `undefined` when the URL is fine.
 */
export function validateCallbackUrl(value: unknown, production: boolean): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must be an absolute https:// URL.';
  if (/\s/.test(value))
    return 'contains whitespace; Daraja rejects it ("Invalid CallBackURL"). Remove the spaces.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid absolute URL; use e.g. https://example.com/mpesa/callback.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'must use https:// (or http:// in the sandbox).';
  if (production && url.protocol !== 'https:') return 'must use https:// in production.';
  return undefined;
}
