import * as z from 'zod/mini';
import type { DarajaConfigIssue } from '../../core/errors.js';
import { validateCallbackUrl } from '../../core/utils/url.js';
import { type DarajaCertificate, encryptWithKey, readCertificateKey } from './credential.js';

/**
 * Client options for the initiator APIs (B2C, B2B, tax, transaction status, account balance, reversal).
 * All are optional, so STK-only users need none of them.
 *
 * The security credential is either built once by the client from `initiatorPassword` and `certificate`
 * (or `certificatePath`), or passed precomputed as `securityCredential` (e.g. from the portal's test
 * credentials page, or {@link encryptSecurityCredential}).
 */
export interface InitiatorOptions {
  /** The initiator (API operator) username from the M-Pesa org portal. Env: `MPESA_INITIATOR_NAME`. */
  initiatorName?: string;
  /** The initiator password, encrypted once with `certificate` into the security credential. Never logged. Env: `MPESA_INITIATOR_PASSWORD`. */
  initiatorPassword?: string;
  /**
   * Safaricom's certificate for this environment (sandbox and production differ), as PEM text or a
   * Buffer holding the `.cer` file (PEM or DER). Download it from the Daraja portal; none is bundled.
   * Env: `MPESA_CERTIFICATE` (PEM text; literal `\n` sequences are accepted).
   */
  certificate?: DarajaCertificate;
  /**
   * Path of the certificate file, read once at construction. Needs a runtime with `node:fs` (Node, Bun,
   * Deno); on workerd or in a browser pass `certificate` or `securityCredential` instead. Env:
   * `MPESA_CERTIFICATE_PATH`.
   */
  certificatePath?: string;
  /** A precomputed security credential, instead of `initiatorPassword` + `certificate`. Never logged. Env: `MPESA_SECURITY_CREDENTIAL`. */
  securityCredential?: string;
  /** Your organisation's shortcode for the initiator APIs (`PartyA`; `ReceiverParty` of a reversal). Env: `MPESA_INITIATOR_SHORTCODE`. */
  initiatorShortcode?: string | number;
  /** Default `ResultURL` of the initiator APIs: where Daraja POSTs the asynchronous result. Env: `MPESA_RESULT_URL`. */
  resultUrl?: string;
  /** Default `QueueTimeOutURL` of the initiator APIs: where Daraja POSTs a queue timeout. Env: `MPESA_QUEUE_TIMEOUT_URL`. */
  queueTimeoutUrl?: string;
}

const text = (what: string) =>
  z
    .string({ error: `must be ${what}.` })
    .check(z.refine((s) => s.trim() !== '', { error: 'is empty; set it or leave it out.' }));

/** @internal The zod fields of {@link InitiatorOptions}, merged into the client's strict schema. */
export const INITIATOR_OPTION_FIELDS = {
  initiatorName: z.optional(text('the initiator username')),
  initiatorPassword: z.optional(text('the initiator password')),
  certificate: z.optional(
    z.custom<DarajaCertificate>((v) => typeof v === 'string' || v instanceof Uint8Array, {
      error: 'must be the certificate as a PEM string or a Buffer (PEM or DER).',
    }),
  ),
  certificatePath: z.optional(text('a file path')),
  securityCredential: z.optional(text('the security credential')),
  initiatorShortcode: z.optional(
    z.union([z.string(), z.number()], { error: 'must be the shortcode digits, e.g. "600992".' }).check(
      z.refine((v) => /^\d{5,7}$/.test(String(v).trim()), {
        error: 'must be 5 to 7 digits, e.g. "600992".',
      }),
    ),
  ),
  resultUrl: z.optional(z.string({ error: 'must be a URL string.' })),
  queueTimeoutUrl: z.optional(z.string({ error: 'must be a URL string.' })),
};

const NO_FILE_SYSTEM =
  'cannot be read: this runtime has no node:fs (workerd, browsers). Pass certificate instead (the PEM text, e.g. from MPESA_CERTIFICATE, or the bytes of the .cer file), or a precomputed securityCredential.';

/**
 * `readFileSync` of `node:fs`, loaded without a static import (so the main entry bundles for web
 * runtimes), or `undefined` where the runtime has no file system.
 */
function nodeReadFileSync(): ((path: string) => Uint8Array) | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const fs = proc?.getBuiltinModule?.('node:fs') as
      | { readFileSync?: (path: string) => Uint8Array }
      | undefined;
    return typeof fs?.readFileSync === 'function' ? fs.readFileSync : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @internal
 * Check the initiator options together and build the security credential. Problems are returned (with
 * option names as fields), never thrown, so the client can report them with every other problem at once.
 * The password and credential never appear in a message.
 */
export function resolveInitiatorOptions(
  o: InitiatorOptions,
  production: boolean,
): { issues: DarajaConfigIssue[]; securityCredential: string | undefined } {
  const issues: DarajaConfigIssue[] = [];
  const issue = (field: string, message: string) => issues.push({ field, message });
  const hasCertificate = o.certificate !== undefined || o.certificatePath !== undefined;
  const hasPassword = typeof o.initiatorPassword === 'string';

  if (o.securityCredential !== undefined && (hasPassword || hasCertificate))
    issue('securityCredential', 'pass either securityCredential or initiatorPassword with certificate.');
  if (o.certificate !== undefined && o.certificatePath !== undefined)
    issue('certificatePath', 'pass either certificate or certificatePath.');
  if (hasPassword && !hasCertificate)
    issue(
      'certificate',
      "required with initiatorPassword: Safaricom's .cer for this environment (MPESA_CERTIFICATE_PATH).",
    );
  if (hasCertificate && !hasPassword && o.securityCredential === undefined)
    issue('initiatorPassword', 'required with a certificate (MPESA_INITIATOR_PASSWORD).');
  if ((hasPassword || o.securityCredential !== undefined) && o.initiatorName === undefined)
    issue('initiatorName', 'required with an initiator password or credential (MPESA_INITIATOR_NAME).');
  for (const field of ['resultUrl', 'queueTimeoutUrl'] as const) {
    const value = o[field];
    const problem = typeof value === 'string' ? validateCallbackUrl(value, production) : undefined;
    if (problem) issue(field, problem);
  }

  let securityCredential = typeof o.securityCredential === 'string' ? o.securityCredential.trim() : undefined;
  // Read the certificate even when other options are wrong, so every problem is reported at once.
  if (hasPassword && hasCertificate && !(o.certificate !== undefined && o.certificatePath !== undefined)) {
    let certificate: unknown = o.certificate;
    const field = o.certificatePath === undefined ? 'certificate' : 'certificatePath';
    if (o.certificatePath !== undefined) {
      const readFileSync = nodeReadFileSync();
      if (!readFileSync) {
        issue(field, NO_FILE_SYSTEM);
        return { issues, securityCredential: undefined };
      }
      try {
        certificate = readFileSync(String(o.certificatePath));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        issue(
          field,
          `cannot be read${typeof code === 'string' ? ` (${code})` : ''}. Check the path and permissions.`,
        );
        return { issues, securityCredential: undefined };
      }
    }
    const key = readCertificateKey(certificate);
    if (typeof key === 'string') {
      issue(field, key);
    } else {
      const result = encryptWithKey(o.initiatorPassword, key);
      if ('problem' in result) issue('initiatorPassword', result.problem);
      else securityCredential = result.credential;
    }
  }
  return { issues, securityCredential: issues.length > 0 ? undefined : securityCredential };
}
