import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  callbackToken,
  clientAddress,
  comparePhone,
  ipMatches,
  normalizeIp,
  verifyCallbackToken,
} from '../../../src/payments/security.js';

/**
 * The callback checks on web standards (no node:crypto, node:net or Buffer imported): the same answers
 * as the Node primitives they replace.
 */
describe('callback tokens', () => {
  it('are the base64url HMAC-SHA256 of the payment id, as node:crypto computes it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ maxLength: 40 }), (secret, id) => {
        const expected = createHmac('sha256', secret)
          .update(`daraja-sdk:stk-callback:${id}`)
          .digest('base64url');
        expect(callbackToken(secret, id)).toBe(expected);
        expect(verifyCallbackToken([secret], id, expected)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('are refused when not canonical, of another length, not base64url, or under another secret', () => {
    const token = callbackToken('secret-1', 'pay_1');
    expect(verifyCallbackToken(['old', 'secret-1'], 'pay_1', token)).toBe(true);
    for (const bad of [
      `${token}=`,
      token.slice(0, -1),
      `${token}A`,
      `${token.slice(0, -1)}+`, // standard base64, not base64url
      '',
      '!!!!',
      callbackToken('other', 'pay_1'),
    ])
      expect(verifyCallbackToken(['secret-1'], 'pay_1', bad)).toBe(false);
    expect(verifyCallbackToken(['secret-1'], 'pay_2', token)).toBe(false);
    expect(verifyCallbackToken([], 'pay_1', token)).toBe(false);
  });
});

describe('addresses', () => {
  it.each([
    ['196.201.214.200', '196.201.214.200'],
    ['::ffff:196.201.214.200', '196.201.214.200'],
    ['[::ffff:196.201.214.200]', '196.201.214.200'],
    ['::FFFF:196.201.214.200', '196.201.214.200'],
    ['2001:DB8::1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8:0:0:0:0:0:1'],
    ['  10.0.0.1 ', '10.0.0.1'],
  ])('normalise %j to %j', (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each([
    '',
    'localhost',
    '1.2.3',
    '256.0.0.1',
    '01.2.3.4',
    '1::2::3',
    '2001:db8::g',
    '::ffff:1.2.3',
    '1:2:3:4:5:6:7:8:9',
  ])('refuse %j', (input) => {
    expect(normalizeIp(input)).toBeUndefined();
  });

  it('match CIDR blocks on IPv4 only, and exact IPv6 entries in any compression form', () => {
    expect(ipMatches(['196.201.212.0/24'], '196.201.212.69')).toBe(true);
    expect(ipMatches(['196.201.212.0/24'], '196.201.213.69')).toBe(false);
    expect(ipMatches(['0.0.0.0/0'], '8.8.8.8')).toBe(true);
    expect(ipMatches(['196.201.212.0/33', '196.201.212.0/x', '2001:db8::/32'], '196.201.212.1')).toBe(false);
    expect(ipMatches(['::ffff:196.201.212.69'], '196.201.212.69')).toBe(true);
    expect(ipMatches(['2001:DB8::1'], '2001:db8::1')).toBe(true);
    expect(ipMatches(['196.201.212.69'], undefined)).toBe(false);
  });

  it('read X-Forwarded-For from the right, through trusted proxies only', () => {
    expect(clientAddress('::ffff:10.0.0.2', '1.1.1.1, 196.201.214.200', ['10.0.0.0/8'])).toBe(
      '196.201.214.200',
    );
    expect(clientAddress('203.0.113.9', '196.201.214.200', ['10.0.0.0/8'])).toBe('203.0.113.9');
  });
});

describe('phone hashes', () => {
  it('match the SHA-256 of the usual forms of the number', async () => {
    const { createHash } = await import('node:crypto');
    const hash = (s: string) => createHash('sha256').update(s).digest('hex');
    for (const form of ['254712345678', '0712345678', '+254712345678', '712345678'])
      expect(comparePhone('254712345678', hash(form))).toBe('match');
    expect(comparePhone('254712345678', hash('254700000000').toUpperCase())).toBe('unverifiable');
  });
});
