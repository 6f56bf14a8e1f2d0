import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto';

/**
 * @internal
 * The RSA key pair and self-signed certificate the simulator checks `SecurityCredential` with: a client
 * encrypts the initiator password with the certificate (as it does with Safaricom's), and the simulator
 * decrypts it with the private key.
 */
export interface CredentialKeys {
  /** The certificate, PEM: what a client is given as `certificate`. */
  certificate: string;
  /** The private key matching the certificate. */
  privateKey: KeyObject;
}

// A tiny DER writer: just what an X.509 v3 certificate needs.
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const sequence = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const NULL = Buffer.from([0x05, 0x00]);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const part of rest) {
    const chunk = [part & 0x7f];
    for (let v = part >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return der(0x17, Buffer.from(text, 'ascii'));
}

const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), NULL);
const DAY_MS = 86_400_000;

/**
 * @internal
 * A self-signed X.509 v3 certificate for an RSA key, PEM: enough for `new X509Certificate()` and for the
 * SDK's `certificate` option. Valid from yesterday for ten years.
 */
export function selfSignedCertificate(
  publicKey: KeyObject,
  privateKey: KeyObject,
  commonName: string,
  now = new Date(),
): string {
  const serial = randomBytes(16);
  // A positive INTEGER in minimal DER: a leading 0x00 byte would be "illegal padding" to OpenSSL.
  serial[0] = serial[0]! & 0x7f || 0x01;
  const name = sequence(set(sequence(oid('2.5.4.3'), der(0x0c, Buffer.from(commonName, 'utf8')))));
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))), // [0] EXPLICIT version v3
    der(0x02, serial),
    SHA256_WITH_RSA,
    name,
    sequence(utcTime(new Date(now.getTime() - DAY_MS)), utcTime(new Date(now.getTime() + 3650 * DAY_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, SHA256_WITH_RSA, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const base64 = certificate.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${base64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

let generated: CredentialKeys | undefined;

/**
 * @internal
 * The simulator's default key pair and certificate: an RSA-2048 key (like Safaricom's) generated the
 * first time it is needed, then shared by every simulator in the process (generating one takes ~150 ms).
 */
export function defaultCredentialKeys(): CredentialKeys {
  if (!generated) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    generated = {
      certificate: selfSignedCertificate(publicKey, privateKey, 'daraja-sdk simulator'),
      privateKey,
    };
  }
  return generated;
}

/**
 * @internal
 * Keys from a certificate and private key given as PEM. Returns a message instead when they cannot be
 * read or do not belong together.
 */
export function credentialKeysFrom(certificate: unknown, privateKey: unknown): CredentialKeys | string {
  if (typeof certificate !== 'string' || typeof privateKey !== 'string')
    return 'certificate and privateKey must both be PEM strings.';
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(certificate);
  } catch {
    return 'certificate is not a readable PEM certificate.';
  }
  try {
    key = createPrivateKey(privateKey);
  } catch {
    return 'privateKey is not a readable PEM private key.';
  }
  if (key.asymmetricKeyType !== 'rsa' || !cert.checkPrivateKey(key))
    return 'privateKey is not the RSA key of certificate.';
  return { certificate, privateKey: key };
}

/**
 * @internal
 * Encrypt a password into a `SecurityCredential` the way Daraja expects (RSA, PKCS#1 v1.5, base64).
 */
export function encryptCredential(password: string, certificate: string): string {
  const key = new X509Certificate(certificate).publicKey;
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(password, 'utf8')).toString(
    'base64',
  );
}

/**
 * @internal
 * Does `credential` decrypt to `password` with `privateKey`? The padding (PKCS#1 v1.5, type 2) is
 * checked by hand: Node refuses PKCS#1 v1.5 private decryption since CVE-2023-46809, and the simulator
 * has no timing to hide.
 */
export function credentialMatches(credential: unknown, password: string, privateKey: KeyObject): boolean {
  if (typeof credential !== 'string') return false;
  const text = credential.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
  const encrypted = Buffer.from(text, 'base64');
  const size = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (size === 0 || encrypted.length !== size) return false;
  let block: Buffer;
  try {
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encrypted);
  } catch {
    return false;
  }
  // 0x00 0x02, at least 8 non-zero padding bytes, 0x00, then the message.
  if (block[0] !== 0 || block[1] !== 2) return false;
  const end = block.indexOf(0, 2);
  if (end < 10) return false;
  const message = block.subarray(end + 1);
  const expected = Buffer.from(password, 'utf8');
  return message.length === expected.length && timingSafeEqual(message, expected);
}
