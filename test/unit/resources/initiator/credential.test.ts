import { constants, privateDecrypt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Daraja, DarajaConfigError, encryptSecurityCredential } from '../../../../src/index.js';
import {
  B2C_SHORTCODE,
  CONSUMER_KEY,
  CONSUMER_SECRET,
  INITIATOR_NAME,
  INITIATOR_PASSWORD,
  QUEUE_TIMEOUT_URL,
  RESULT_URL,
  SECURITY_CREDENTIAL,
} from '../../../fixtures/constants.js';
import { generateCertificate, type TestCertificate } from '../../../helpers/certificate.js';
import { makeClient } from '../../../helpers/client.js';
import { ACCEPTED, endpoint, fakeDaraja, useMsw } from '../../../helpers/fake-daraja.js';
import { scanForLeaks } from '../../../helpers/leak-scan.js';
import { thrown } from '../../../helpers/thrown.js';

let cert: TestCertificate;
let ecCert: TestCertificate;
let dir: string;
beforeAll(() => {
  cert = generateCertificate('rsa');
  ecCert = generateCertificate('ec');
  dir = mkdtempSync(join(tmpdir(), 'daraja-cert-path-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Decrypt with the private key. Node refuses PKCS#1 v1.5 private decryption (CVE-2023-46809), so decrypt
 * raw and check the v1.5 encryption block by hand: 00 02, at least 8 non-zero padding bytes, 00, message.
 */
function decrypt(credential: string, keyPem = cert.keyPem): string {
  const block = privateDecrypt(
    { key: keyPem, padding: constants.RSA_NO_PADDING },
    Buffer.from(credential, 'base64'),
  );
  expect([block[0], block[1]]).toEqual([0x00, 0x02]);
  const end = block.indexOf(0x00, 2);
  expect(end).toBeGreaterThanOrEqual(10);
  return block.subarray(end + 1).toString('utf8');
}

const configError = (fn: () => unknown): DarajaConfigError => thrown(DarajaConfigError, fn);

const mock = fakeDaraja();
const b2c = endpoint('/mpesa/b2c/v3/paymentrequest', { json: ACCEPTED });
useMsw(...mock.handlers, b2c.handler);

/** The variables `fromEnv` needs for STK and an initiator password. */
const requiredEnv = () => ({
  MPESA_CONSUMER_KEY: CONSUMER_KEY,
  MPESA_CONSUMER_SECRET: CONSUMER_SECRET,
  MPESA_SHORTCODE: '174379',
  MPESA_PASSKEY: 'passkey',
  MPESA_INITIATOR_NAME: INITIATOR_NAME,
  MPESA_INITIATOR_PASSWORD: INITIATOR_PASSWORD,
});

const initiator = () => ({
  initiatorName: INITIATOR_NAME,
  initiatorPassword: INITIATOR_PASSWORD,
  certificate: cert.certPem,
  initiatorShortcode: B2C_SHORTCODE,
  resultUrl: RESULT_URL,
  queueTimeoutUrl: QUEUE_TIMEOUT_URL,
});

describe('encryptSecurityCredential', () => {
  it('encrypts with the certificate: the private key decrypts it back to the password (PKCS#1 v1.5)', () => {
    const credential = encryptSecurityCredential(INITIATOR_PASSWORD, cert.certPem);
    expect(credential).toMatch(/^[A-Za-z0-9+/]{342}==$/); // 256 bytes for RSA-2048 → 344 base64 characters
    expect(decrypt(credential)).toBe(INITIATOR_PASSWORD);
  });

  it('accepts the certificate as a PEM Buffer, DER bytes, or PEM with literal \\n sequences', () => {
    for (const certificate of [
      Buffer.from(cert.certPem),
      cert.certDer,
      cert.certPem.trim().replace(/\n/g, '\\n'),
    ]) {
      expect(decrypt(encryptSecurityCredential(INITIATOR_PASSWORD, certificate))).toBe(INITIATOR_PASSWORD);
    }
  });

  it('is randomised, as PKCS#1 v1.5 is: two encryptions differ and both decrypt', () => {
    const a = encryptSecurityCredential(INITIATOR_PASSWORD, cert.certPem);
    const b = encryptSecurityCredential(INITIATOR_PASSWORD, cert.certPem);
    expect(a).not.toBe(b);
    expect([decrypt(a), decrypt(b)]).toEqual([INITIATOR_PASSWORD, INITIATOR_PASSWORD]);
  });

  it.each([
    ['garbage text', 'not a certificate', /not a PEM certificate/],
    [
      'a broken PEM',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      /not a readable X\.509 certificate/,
    ],
    ['random bytes', Buffer.from('0123456789abcdef'), /not a readable X\.509 certificate/],
    ['a number', 42, /PEM string or a Buffer/],
  ])('rejects %s with a DarajaConfigError naming the certificate', (_name, certificate, message) => {
    const e = configError(() => encryptSecurityCredential(INITIATOR_PASSWORD, certificate as never));
    expect(e.issues).toEqual([{ field: 'certificate', message: expect.stringMatching(message) }]);
    expect(e.message.startsWith('[daraja]')).toBe(true);
  });

  it('rejects a private key passed as the certificate, and a non-RSA certificate', () => {
    expect(
      configError(() => encryptSecurityCredential(INITIATOR_PASSWORD, cert.keyPem)).issues[0]?.message,
    ).toMatch(/not a PEM certificate/);
    expect(
      configError(() => encryptSecurityCredential(INITIATOR_PASSWORD, ecCert.certPem)).issues[0]?.message,
    ).toMatch(/holds a key of type ec, not RSA/);
  });

  it('rejects an empty or oversized password without echoing it', () => {
    expect(configError(() => encryptSecurityCredential('', cert.certPem)).issues[0]?.field).toBe(
      'initiatorPassword',
    );
    const long = `${INITIATOR_PASSWORD}${'x'.repeat(300)}`;
    const e = configError(() => encryptSecurityCredential(long, cert.certPem));
    expect(e.issues[0]).toMatchObject({
      field: 'initiatorPassword',
      message: expect.stringMatching(/too long/),
    });
    expect(e.message).not.toContain(INITIATOR_PASSWORD);
  });
});

describe('the client builds the credential', () => {
  it('once per client: every call sends the same credential, which decrypts to the password', async () => {
    const daraja = makeClient(initiator());
    for (let i = 0; i < 3; i++) await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 100 });
    const sent = b2c.bodies.map((b) => b['SecurityCredential'] as string);
    // PKCS#1 v1.5 is randomised: identical values prove one encryption, not one per call.
    expect(new Set(sent).size).toBe(1);
    expect(decrypt(sent[0]!)).toBe(INITIATOR_PASSWORD);
    // A second client encrypts on its own.
    b2c.bodies.length = 0;
    await makeClient(initiator()).b2c.pay({ phoneNumber: '0712345678', amount: 100 });
    expect(b2c.bodies[0]?.['SecurityCredential']).not.toBe(sent[0]);
  });

  it('uses a precomputed securityCredential as it is', async () => {
    b2c.bodies.length = 0;
    const { initiatorPassword: _, certificate: __, ...rest } = initiator();
    await makeClient({ ...rest, securityCredential: SECURITY_CREDENTIAL }).b2c.pay({
      phoneNumber: '0712345678',
      amount: 10,
    });
    expect(b2c.bodies[0]?.['SecurityCredential']).toBe(SECURITY_CREDENTIAL);
  });

  it('reads certificatePath once, at construction', async () => {
    const path = join(dir, 'SandboxCertificate.cer');
    writeFileSync(path, cert.certDer);
    const daraja = makeClient({ ...initiator(), certificate: undefined, certificatePath: path });
    rmSync(path); // the file is no longer needed
    b2c.bodies.length = 0;
    await daraja.b2c.pay({ phoneNumber: '0712345678', amount: 10 });
    expect(decrypt(b2c.bodies[0]?.['SecurityCredential'] as string)).toBe(INITIATOR_PASSWORD);
  });

  it('where the runtime has no node:fs (workerd, browsers), names certificatePath and the fix', () => {
    const path = join(dir, 'unused.cer');
    writeFileSync(path, cert.certDer);
    const real = process.getBuiltinModule.bind(process);
    vi.spyOn(process, 'getBuiltinModule').mockImplementation(((id: string) =>
      id === 'node:fs' ? undefined : real(id)) as typeof process.getBuiltinModule);
    const e = configError(() =>
      makeClient({ ...initiator(), certificate: undefined, certificatePath: path }),
    );
    expect(e.issues).toEqual([
      {
        field: 'certificatePath',
        message: expect.stringMatching(/no node:fs.*Pass certificate instead.*securityCredential/),
      },
    ]);
    const env = { ...requiredEnv(), MPESA_CERTIFICATE_PATH: path };
    const fromEnv = configError(() => Daraja.fromEnv(env));
    expect(fromEnv.message).toMatch(/MPESA_CERTIFICATE_PATH/);
    expect(fromEnv.message).toMatch(/no node:fs/);
    // The same certificate as PEM text works there.
    const { MPESA_CERTIFICATE_PATH: _, ...withoutPath } = env;
    expect(() => Daraja.fromEnv({ ...withoutPath, MPESA_CERTIFICATE: cert.certPem })).not.toThrow();
  });

  it('reports a bad certificate at construction, with every other problem', () => {
    const e = configError(() =>
      makeClient({
        ...initiator(),
        certificate: 'junk',
        resultUrl: 'https://x.example.com/a b',
        initiatorShortcode: '12',
      }),
    );
    expect(e.issues.map((i) => i.field).sort()).toEqual(['certificate', 'initiatorShortcode', 'resultUrl']);
  });

  it('checks the initiator options together', () => {
    const base = { consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET };
    const fields = (options: Record<string, unknown>) =>
      configError(() => new Daraja({ ...base, ...options } as never))
        .issues.map((i) => i.field)
        .sort();
    expect(fields({ initiatorName: INITIATOR_NAME, initiatorPassword: INITIATOR_PASSWORD })).toEqual([
      'certificate',
    ]);
    expect(fields({ initiatorName: INITIATOR_NAME, certificate: cert.certPem })).toEqual([
      'initiatorPassword',
    ]);
    expect(fields({ initiatorPassword: INITIATOR_PASSWORD, certificate: cert.certPem })).toEqual([
      'initiatorName',
    ]);
    expect(
      fields({
        initiatorName: INITIATOR_NAME,
        securityCredential: SECURITY_CREDENTIAL,
        initiatorPassword: INITIATOR_PASSWORD,
        certificate: cert.certPem,
      }),
    ).toEqual(['securityCredential']);
    expect(
      fields({
        initiatorName: INITIATOR_NAME,
        initiatorPassword: INITIATOR_PASSWORD,
        certificate: cert.certPem,
        certificatePath: '/x',
      }),
    ).toEqual(['certificatePath']);
    expect(
      fields({
        initiatorName: INITIATOR_NAME,
        initiatorPassword: INITIATOR_PASSWORD,
        certificatePath: join(dir, 'missing.cer'),
      }),
    ).toEqual(['certificatePath']);
    expect(fields({ environment: 'production', resultUrl: 'http://x.example.com/r' })).toEqual(['resultUrl']);
    // STK-only clients need none of it.
    expect(() => new Daraja(base)).not.toThrow();
  });

  it('reads MPESA_INITIATOR_* and MPESA_CERTIFICATE(_PATH) in fromEnv, naming variables in errors', async () => {
    const path = join(dir, 'env.cer');
    writeFileSync(path, cert.certPem);
    const env = {
      ...requiredEnv(),
      MPESA_CERTIFICATE_PATH: path,
      MPESA_INITIATOR_SHORTCODE: B2C_SHORTCODE,
      MPESA_RESULT_URL: RESULT_URL,
      MPESA_QUEUE_TIMEOUT_URL: QUEUE_TIMEOUT_URL,
    };
    b2c.bodies.length = 0;
    await Daraja.fromEnv(env).b2c.pay({ phoneNumber: '0712345678', amount: 10 });
    expect(b2c.bodies[0]).toMatchObject({
      InitiatorName: INITIATOR_NAME,
      PartyA: B2C_SHORTCODE,
      ResultURL: RESULT_URL,
    });
    expect(decrypt(b2c.bodies[0]?.['SecurityCredential'] as string)).toBe(INITIATOR_PASSWORD);

    const oneLine = cert.certPem.trim().replace(/\n/g, '\\n');
    const { MPESA_CERTIFICATE_PATH: _, ...withoutPath } = env;
    expect(() => Daraja.fromEnv({ ...withoutPath, MPESA_CERTIFICATE: oneLine })).not.toThrow();

    const e = configError(() =>
      Daraja.fromEnv({
        ...withoutPath,
        MPESA_CERTIFICATE: 'junk',
        MPESA_QUEUE_TIMEOUT_URL: 'ftp://x',
        MPESA_PASSKEY: '',
      }),
    );
    expect(e.issues.map((i) => i.field).sort()).toEqual([
      'MPESA_CERTIFICATE',
      'MPESA_PASSKEY',
      'MPESA_QUEUE_TIMEOUT_URL',
    ]);
  });

  it('never shows the password or the credential in errors, inspect or JSON', () => {
    const daraja = makeClient(initiator());
    const e = configError(() => makeClient({ ...initiator(), certificate: 'junk' }));
    const texts = [
      e.message,
      JSON.stringify(e),
      inspect(e, { depth: 10 }),
      inspect(daraja, { depth: 10, showHidden: true }),
      inspect(daraja.b2c, { depth: 10, showHidden: true }),
      JSON.stringify(daraja),
    ];
    for (const text of texts) {
      expect(text).not.toContain(INITIATOR_PASSWORD);
      expect(scanForLeaks([text])).toEqual([]);
    }
  });
});

describe('the log scanner', () => {
  it('catches the initiator password and security credentials', () => {
    const credential = encryptSecurityCredential(INITIATOR_PASSWORD, cert.certPem);
    expect(
      scanForLeaks([
        `x ${INITIATOR_PASSWORD} y`,
        `x ${SECURITY_CREDENTIAL}`,
        `{"c":"${credential}"}`,
        'RC6E9WDxXR4b9X2c6z3gp0oC5Th ==',
      ]).map((l) => l.kind),
    ).toEqual(['initiator password', 'security credential', 'security credential', 'security credential']);
  });
});
