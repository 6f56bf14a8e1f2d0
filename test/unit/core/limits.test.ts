import { describe, expect, it } from 'vitest';
import { CALLBACK_BODY_MAX_BYTES as LIMIT } from '../../../src/core/limits.js';
import { parseB2bExpressResult } from '../../../src/inbound/index.js';
import { readBodyText } from '../../../src/inbound/web-request.js';
import { CALLBACK_BODY_MAX_BYTES, parseStkCallback } from '../../../src/index.js';
import { auditedBody } from '../../../src/payments/audit.js';
import { DOC_B2B_EXPRESS_SUCCESS } from '../../fixtures/b2b-express.js';
import { SUCCESS } from '../../fixtures/stk-callbacks.js';

// The one callback body limit (src/core/limits.ts), at its edge, in every place that applies it: the
// web handlers' body reader, the two parsers that bound body text, and the audit copy of a body.

/** `value` as JSON text padded with trailing spaces to exactly `length` characters. */
function jsonOfLength(value: unknown, length: number): string {
  const text = JSON.stringify(value);
  expect(text.length).toBeLessThanOrEqual(length);
  return text.padEnd(length, ' ');
}

const post = (text: string) => new Request('https://merchant.example.com/cb', { method: 'POST', body: text });

describe('CALLBACK_BODY_MAX_BYTES', () => {
  it('is 64 KiB and public from the main entry', () => {
    expect(CALLBACK_BODY_MAX_BYTES).toBe(65_536);
    expect(LIMIT).toBe(CALLBACK_BODY_MAX_BYTES);
  });

  it('bounds what a web handler reads: the limit is read, one byte more is not', async () => {
    expect(await readBodyText(post('x'.repeat(LIMIT)))).toHaveLength(LIMIT);
    expect(await readBodyText(post('x'.repeat(LIMIT + 1)))).toBeUndefined();
  });

  it.each([
    ['parseStkCallback', (body: string) => parseStkCallback(body), SUCCESS],
    ['parseB2bExpressResult', (body: string) => parseB2bExpressResult(body), DOC_B2B_EXPRESS_SUCCESS],
  ] as const)(
    'bounds the body text %s reads: the limit parses, one character more is too_large',
    (_name, parse, sample) => {
      expect(parse(jsonOfLength(sample, LIMIT)).status).toBe('completed');
      expect(() => parse(jsonOfLength(sample, LIMIT + 1))).toThrow(
        expect.objectContaining({
          reason: 'too_large',
          message: `[daraja] Invalid callback: the body is larger than ${LIMIT} bytes.`,
        }),
      );
    },
  );

  it('bounds the audit copy: a longer body is kept as its text, truncated to the limit', () => {
    const atLimit = jsonOfLength({ note: 'x' }, LIMIT);
    expect(auditedBody(atLimit).body).toBe(atLimit);
    const large = { note: 'x'.repeat(LIMIT) };
    const kept = auditedBody(large).body;
    expect(kept).toBe(JSON.stringify(large).slice(0, LIMIT));
    expect(auditedBody({ note: 'x'.repeat(LIMIT - 20) }).body).toEqual({ note: 'x'.repeat(LIMIT - 20) });
  });
});
