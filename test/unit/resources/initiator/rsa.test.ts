import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateDer,
  certificatePublicKey,
  type RsaPublicKey,
  rsaEncryptPkcs1,
} from '../../../../src/resources/initiator/rsa.js';
import { generateCertificate, type TestCertificate } from '../../../helpers/certificate.js';

const bigint = (b64url: string) => BigInt(`0x${Buffer.from(b64url, 'base64url').toString('hex')}`);

/** base^exponent mod modulus, recursively (an oracle written differently from the SDK's loop). */
function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (exponent === 0n) return 1n;
  const half = modPow(base, exponent / 2n, modulus);
  const square = (half * half) % modulus;
  return exponent % 2n === 0n ? square : (square * base) % modulus;
}

/**
 * Raw RSA decryption with the private exponent (Node >= 20.11 refuses PKCS#1 v1.5 private decryption,
 * CVE-2023-46809), then the EME-PKCS1-v1_5 block checked by hand: 00 02, at least 8 non-zero random
 * bytes, 00, the message.
 */
function decrypt(ciphertext: Uint8Array, key: { n: bigint; d: bigint; size: number }): Uint8Array {
  expect(ciphertext.length).toBe(key.size);
  const m = modPow(BigInt(`0x${Buffer.from(ciphertext).toString('hex')}`), key.d, key.n);
  const block = Buffer.from(m.toString(16).padStart(key.size * 2, '0'), 'hex');
  expect([block[0], block[1]]).toEqual([0x00, 0x02]);
  const end = block.indexOf(0x00, 2);
  expect(end).toBeGreaterThanOrEqual(10);
  expect(block.subarray(2, end).includes(0)).toBe(false);
  return new Uint8Array(block.subarray(end + 1));
}

function rsaKeys(bits: number) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pub = publicKey.export({ format: 'jwk' });
  const priv = privateKey.export({ format: 'jwk' });
  const n = bigint(pub.n!);
  const size = bits / 8;
  return {
    public: { n, e: bigint(pub.e!), size } satisfies RsaPublicKey,
    private: { n, d: bigint(priv.d!), size },
  };
}

describe('RSA PKCS#1 v1.5 encryption in TypeScript', () => {
  it.each([1024, 2048, 4096])(
    '%d-bit key: the private key decrypts it back; two encryptions differ',
    (bits) => {
      const keys = rsaKeys(bits);
      const message = new TextEncoder().encode('Safaricom999!*!');
      const a = rsaEncryptPkcs1(keys.public, message);
      const b = rsaEncryptPkcs1(keys.public, message);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
      expect(decrypt(a, keys.private)).toEqual(message);
      expect(decrypt(b, keys.private)).toEqual(message);
    },
  );

  it('encrypts the longest message a key takes (its size minus 11 bytes), an empty one, and refuses longer', () => {
    const keys = rsaKeys(1024);
    const longest = new Uint8Array(128 - 11).fill(0x61);
    expect(decrypt(rsaEncryptPkcs1(keys.public, longest), keys.private)).toEqual(longest);
    expect(decrypt(rsaEncryptPkcs1(keys.public, new Uint8Array(0)), keys.private)).toEqual(new Uint8Array(0));
    expect(() => rsaEncryptPkcs1(keys.public, new Uint8Array(118))).toThrow(RangeError);
  });

  it('pads with non-zero bytes even when the random source gives zeros', () => {
    const keys = rsaKeys(1024);
    const real = crypto.getRandomValues.bind(crypto);
    let calls = 0;
    const spy = (array: Uint8Array) => {
      calls += 1;
      return calls === 1 ? array.fill(0) : real(array); // the first fill is all zeros
    };
    const original = crypto.getRandomValues;
    crypto.getRandomValues = spy as typeof crypto.getRandomValues;
    try {
      const message = new TextEncoder().encode('pw');
      expect(decrypt(rsaEncryptPkcs1(keys.public, message), keys.private)).toEqual(message);
    } finally {
      crypto.getRandomValues = original;
    }
    expect(calls).toBeGreaterThan(1);
  });
});

describe('the public key of an X.509 certificate', () => {
  let rsa: TestCertificate;
  let ec: TestCertificate;
  beforeAll(() => {
    rsa = generateCertificate('rsa');
    ec = generateCertificate('ec');
  });

  it('reads n and e as node:crypto does, from PEM text, PEM bytes and DER bytes', () => {
    const jwk = new X509Certificate(rsa.certPem).publicKey.export({ format: 'jwk' });
    const expected = { n: bigint(jwk.n!), e: bigint(jwk.e!), size: 256 };
    for (const input of [rsa.certPem, Buffer.from(rsa.certPem), new Uint8Array(rsa.certDer)])
      expect(certificatePublicKey(certificateDer(input))).toEqual(expected);
  });

  it('names the key type of a certificate that holds no RSA key', () => {
    expect(certificatePublicKey(certificateDer(ec.certPem))).toEqual({ type: 'ec' });
  });

  it.each([
    ['an empty PEM', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----'],
    ['a length past the end', new Uint8Array([0x30, 0x82, 0x01])],
    ['trailing bytes', new Uint8Array([0x30, 0x00, 0x00])],
    ['an indefinite length', new Uint8Array([0x30, 0x80, 0x00, 0x00])],
    ['an empty sequence', new Uint8Array([0x30, 0x00])],
    ['no bytes', new Uint8Array(0)],
  ])('refuses %s', (_name, input) => {
    expect(() => certificatePublicKey(certificateDer(input))).toThrow();
  });

  it('refuses a certificate cut anywhere', () => {
    for (let end = 0; end < rsa.certDer.length; end += 7)
      expect(() =>
        certificatePublicKey(certificateDer(new Uint8Array(rsa.certDer.subarray(0, end)))),
      ).toThrow();
  });
});
