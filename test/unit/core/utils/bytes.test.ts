import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromBase64Url,
  toBase64,
  toBase64Url,
  toHex,
  utf8Bytes,
  utf8Text,
} from '../../../../src/core/utils/bytes.js';

describe('bytes, text and base64 without Buffer', () => {
  it('give what Buffer gives, for random bytes and text', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ unit: 'grapheme', maxLength: 50 }),
        (bytes, text) => {
          const buffer = Buffer.from(bytes);
          expect(toBase64(bytes)).toBe(buffer.toString('base64'));
          expect(toBase64Url(bytes)).toBe(buffer.toString('base64url'));
          expect(toHex(bytes)).toBe(buffer.toString('hex'));
          expect(fromBase64Url(buffer.toString('base64url'))).toEqual(new Uint8Array(buffer));
          expect(fromBase64Url(buffer.toString('base64'))).toEqual(new Uint8Array(buffer));
          expect(utf8Bytes(text)).toEqual(new Uint8Array(Buffer.from(text, 'utf8')));
          expect(utf8Text(utf8Bytes(text))).toBe(text);
        },
      ),
    );
  });

  it('encode more than one chunk of String.fromCharCode', () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(toBase64(big)).toBe(Buffer.from(big).toString('base64'));
  });

  it.each(['a', 'ab$c', 'abc=d', '====', 'abcde'])('refuse %j as base64', (text) => {
    expect(fromBase64Url(text)).toBeUndefined();
  });

  it('drop a leading byte-order mark unless asked to keep it, as Buffer#toString does', () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
    expect(utf8Text(bytes)).toBe('{}');
    expect(utf8Text(bytes, true)).toBe(Buffer.from(bytes).toString('utf8'));
    expect(utf8Text(bytes, true)).toBe('\uFEFF{}');
  });
});
