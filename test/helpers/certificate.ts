import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed X.509 certificate and its private key, generated for a test (never bundled). */
export interface TestCertificate {
  /** The certificate, PEM. */
  certPem: string;
  /** The certificate, DER bytes (the binary `.cer` form). */
  certDer: Buffer;
  /** The private key, PEM (to decrypt what the SDK encrypted). */
  keyPem: string;
}

/** Generate a certificate with openssl: RSA 2048 (like Safaricom's), or an EC key for the wrong-key case. */
export function generateCertificate(kind: 'rsa' | 'ec' = 'rsa'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'daraja-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const der = join(dir, 'cert.cer');
    const newkey =
      kind === 'rsa'
        ? ['-newkey', 'rsa:2048']
        : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        ...newkey,
        '-nodes',
        '-subj',
        '/CN=daraja-sdk test',
        '-days',
        '2',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      {
        stdio: 'ignore',
      },
    );
    execFileSync('openssl', ['x509', '-in', cert, '-outform', 'DER', '-out', der], { stdio: 'ignore' });
    return {
      certPem: readFileSync(cert, 'utf8'),
      certDer: readFileSync(der),
      keyPem: readFileSync(key, 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
