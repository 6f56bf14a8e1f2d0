import { DarajaConfigError } from '../../core/errors.js';
import { toBase64, utf8Bytes } from '../../core/utils/bytes.js';
import { certificateDer, certificatePublicKey, type RsaPublicKey, rsaEncryptPkcs1 } from './rsa.js';

/** A certificate as accepted by the SDK: PEM text, or the bytes of a PEM or DER `.cer` file. */
export type DarajaCertificate = string | Uint8Array;

/**
 * @internal
 * Read the RSA public key of an X.509 certificate. Returns the key, or a message saying what is wrong
 * (never the certificate's content).
 */
export function readCertificateKey(certificate: unknown): RsaPublicKey | string {
  let input: string | Uint8Array;
  if (typeof certificate === 'string') {
    // Certificates pasted into one-line environment variables often carry literal "\n" sequences.
    input = certificate.includes('\n') ? certificate.trim() : certificate.trim().replace(/\\n/g, '\n');
    if (!input.includes('-----BEGIN CERTIFICATE-----'))
      return 'is not a PEM certificate ("-----BEGIN CERTIFICATE-----…"): pass the .cer file from the Daraja portal.';
  } else if (certificate instanceof Uint8Array) {
    input = certificate;
  } else {
    return 'must be the certificate as a PEM string or a Buffer (PEM or DER).';
  }
  let key: RsaPublicKey | { type: string };
  try {
    key = certificatePublicKey(certificateDer(input));
  } catch {
    return 'is not a readable X.509 certificate: pass the .cer file from the Daraja portal, unchanged.';
  }
  if ('type' in key) return `holds a key of type ${key.type}, not RSA: pass Daraja's certificate.`;
  return key;
}

/**
 * @internal
 * Encrypt with a key read by {@link readCertificateKey}. Returns the credential, or a message about the
 * password.
 */
export function encryptWithKey(
  password: unknown,
  key: RsaPublicKey,
): { credential: string } | { problem: string } {
  if (typeof password !== 'string' || password === '')
    return { problem: 'must be the initiator password (a non-empty string).' };
  try {
    return { credential: toBase64(rsaEncryptPkcs1(key, utf8Bytes(password))) };
  } catch {
    return { problem: "is too long to encrypt with the certificate's key." };
  }
}

/**
 * Build a Daraja `SecurityCredential`: the initiator password encrypted with the public key of Safaricom's
 * certificate (RSA, PKCS#1 v1.5 padding), base64-encoded. The client does this once for you when you pass
 * `initiatorPassword` and `certificate`; use this function to precompute the value (e.g. for the
 * `securityCredential` option) or to check a certificate.
 *
 * Sandbox and production certificates differ: download the one for your environment from the Daraja
 * portal (developer.safaricom.co.ke, "Test credentials" for the sandbox; the production certificate is
 * given at go-live). A credential encrypted with the wrong certificate is accepted by the HTTP call but
 * fails later in the result, with ResultCode `2001` "The initiator information is invalid".
 *
 * PKCS#1 v1.5 padding is randomised, so each call returns a different string for the same password; any
 * of them is valid. The password and the result are secrets: never log them.
 *
 * @param password - The initiator password set on the M-Pesa org portal.
 * @param certificate - The certificate as PEM text, or a Buffer holding a PEM or DER `.cer` file.
 * @returns The base64 `SecurityCredential`.
 * @throws {@link DarajaConfigError} when the certificate cannot be read or the password is empty. The error
 * never contains the password.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { encryptSecurityCredential } from 'daraja-sdk';
 *
 * const credential = encryptSecurityCredential(
 *   process.env.MPESA_INITIATOR_PASSWORD!,
 *   readFileSync('./SandboxCertificate.cer'),
 * );
 * ```
 */
export function encryptSecurityCredential(password: string, certificate: DarajaCertificate): string {
  const key = readCertificateKey(certificate);
  if (typeof key === 'string') throw new DarajaConfigError([{ field: 'certificate', message: key }]);
  const result = encryptWithKey(password, key);
  if ('problem' in result)
    throw new DarajaConfigError([{ field: 'initiatorPassword', message: result.problem }]);
  return result.credential;
}
