import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toHex } from '../../../../src/core/utils/bytes.js';
import {
  hmacSha256,
  pureHmacSha256,
  pureSha256,
  pureTimingSafeEqual,
  sha256,
  timingSafeEqual,
} from '../../../../src/core/utils/sha256.js';

const hex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf"), including the empty message, a
// two-block message, and a million "a"s.
const SHA_VECTORS: Array<[string, string | Uint8Array, string]> = [
  ['empty', '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['"abc"', 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    '448 bits (padding takes a second block)',
    'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  [
    '896 bits',
    'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
    'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  ],
  ['one byte 0xbd', hex('bd'), '68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b'],
  ['55 zero bytes', new Uint8Array(55), '02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7'],
  ['56 zero bytes', new Uint8Array(56), 'd4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb'],
  [
    '1000 bytes of 0x41',
    new Uint8Array(1000).fill(0x41),
    'c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4',
  ],
  [
    'a million "a"',
    'a'.repeat(1_000_000),
    'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
  ],
];

// RFC 4231 test cases 1, 2, 4, 6 (a 131-byte key, hashed first) and 7.
const HMAC_VECTORS: Array<[string, Uint8Array | string, Uint8Array | string, string]> = [
  [
    'case 1',
    new Uint8Array(20).fill(0x0b),
    'Hi There',
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  ],
  [
    'case 2',
    'Jefe',
    'what do ya want for nothing?',
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  ],
  [
    'case 4',
    hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
    new Uint8Array(50).fill(0xcd),
    '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  ],
  [
    'case 6',
    new Uint8Array(131).fill(0xaa),
    'Test Using Larger Than Block-Size Key - Hash Key First',
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  ],
  [
    'case 7',
    new Uint8Array(131).fill(0xaa),
    'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  ],
];

afterEach(() => vi.resetModules());

/** The module loaded where the runtime offers no node:crypto (as on workerd or in a browser). */
async function withoutNodeCrypto() {
  vi.resetModules();
  vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined as never);
  return import('../../../../src/core/utils/sha256.js');
}

describe('SHA-256', () => {
  it.each(SHA_VECTORS)('%s: the pure and the native path give the NIST digest', (_name, data, digest) => {
    expect(toHex(pureSha256(data))).toBe(digest);
    expect(toHex(sha256(data))).toBe(digest);
  });

  it.each(HMAC_VECTORS)('HMAC, RFC 4231 %s: both paths give the expected MAC', (_name, key, data, mac) => {
    expect(toHex(pureHmacSha256(key, data))).toBe(mac);
    expect(toHex(hmacSha256(key, data))).toBe(mac);
  });

  it('the pure path equals node:crypto for random inputs (empty, one block, many blocks, long keys)', () => {
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 });
    fc.assert(
      fc.property(bytes, bytes, fc.string({ maxLength: 100 }), (data, key, text) => {
        expect(toHex(pureSha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
        expect(toHex(pureSha256(text))).toBe(createHash('sha256').update(text).digest('hex'));
        expect(toHex(pureHmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'));
        expect(toHex(pureHmacSha256(text, text))).toBe(createHmac('sha256', text).update(text).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('without node:crypto, the exported functions take the pure path and still give the vectors', async () => {
    const m = await withoutNodeCrypto();
    expect(m.nativeCrypto()).toBeNull();
    for (const [, data, digest] of SHA_VECTORS.slice(0, 4)) expect(toHex(m.sha256(data))).toBe(digest);
    for (const [, key, data, mac] of HMAC_VECTORS) expect(toHex(m.hmacSha256(key, data))).toBe(mac);
    expect(m.timingSafeEqual(hex('0102'), hex('0102'))).toBe(true);
    expect(m.timingSafeEqual(hex('0102'), hex('0103'))).toBe(false);
  });

  it('with node:crypto, it is used (loaded once, without a static import)', async () => {
    vi.resetModules();
    const spy = vi.spyOn(process, 'getBuiltinModule');
    const m = await import('../../../../src/core/utils/sha256.js');
    expect(spy).not.toHaveBeenCalled(); // no import-time work
    m.sha256('a');
    m.hmacSha256('k', 'a');
    expect(spy.mock.calls).toEqual([['node:crypto']]);
    expect(m.nativeCrypto()).not.toBeNull();
  });
});

describe('constant-time comparison', () => {
  it.each([
    ['equal', '00ff10', '00ff10', true],
    ['different last byte', '00ff10', '00ff11', false],
    ['different first byte', '01ff10', '00ff10', false],
    ['empty', '', '', true],
    ['different lengths', '00ff', '00ff10', false],
    ['a prefix of zero bytes', '', '00', false],
  ])('%s', (_name, a, b, equal) => {
    expect(pureTimingSafeEqual(hex(a), hex(b))).toBe(equal);
    expect(timingSafeEqual(hex(a), hex(b))).toBe(equal);
  });
});
