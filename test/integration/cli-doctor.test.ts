import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/context.js';
import type { DoctorReport } from '../../src/cli/doctor.js';
import { fixFor } from '../../src/cli/doctor-checks.js';
import { checkCallbackUrl } from '../../src/cli/url-check.js';
import { toApiError } from '../../src/core/http/api-errors.js';
import { validateCallbackUrl } from '../../src/core/utils/url.js';
import { DARAJA_ENV_VARS, maskPhoneNumbersInText } from '../../src/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, PASSKEY, SHORTCODE } from '../fixtures/constants.js';
import { expectNoLeaks, parseJson, runDaraja } from '../helpers/cli.js';
import { testLogger } from '../helpers/logger.js';

const REQUIRED = ['MPESA_CONSUMER_KEY', 'MPESA_CONSUMER_SECRET', 'MPESA_SHORTCODE', 'MPESA_PASSKEY'];
const ALL = Object.values(DARAJA_ENV_VARS) as string[];
const CALLBACK = 'http://127.0.0.1:9/daraja/cb';
const FAST = ['--interval-ms', '20'];

let sim: Simulator;
let simEnv: Record<string, string>;

beforeAll(async () => {
  sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    shortcode: SHORTCODE,
    passkey: PASSKEY,
    callbackDelayMs: 60,
    callbackTimeoutMs: 500,
    logger: testLogger,
  });
  simEnv = { ...sim.env, MPESA_CALLBACK_URL: CALLBACK };
});
beforeEach(() => {
  sim.reset();
  sim.mode = 'auto';
});
afterAll(async () => {
  await sim?.close();
});

describe('daraja doctor with nothing configured', () => {
  it('lists every missing required variable, with its fix, and exits 3', async () => {
    const result = await runDaraja(['doctor']);
    expect(result.code).toBe(EXIT_CODES.config);
    for (const name of REQUIRED) expect(result.stdout).toMatch(new RegExp(`MISSING\\s+${name}\\b`));
    for (const name of ALL) expect(result.stdout).toContain(name);
    expect(result.stdout.match(/fix: /g)?.length).toBeGreaterThanOrEqual(REQUIRED.length);
    expect(result.stdout).toMatch(/Not ready: 4 required variables missing \(exit code 3\)/);
    expect(result.stdout).toMatch(/skip\s+access-token/);
    expect(result.stderr).toBe('');
    expectNoLeaks(result);
  });

  it('--json: one object with every variable, the checks and the exit code', async () => {
    const result = await runDaraja(['doctor', '--json']);
    expect(result.code).toBe(EXIT_CODES.config);
    const report = parseJson<DoctorReport>(result);
    expect(report).toMatchObject({
      command: 'doctor',
      ok: false,
      exitCode: 3,
      environment: 'sandbox',
      baseUrl: 'https://sandbox.safaricom.co.ke',
      baseUrlSource: 'MPESA_ENVIRONMENT',
    });
    expect(report.variables.map((v) => v.name)).toEqual(ALL);
    for (const v of report.variables) {
      if (REQUIRED.includes(v.name)) {
        expect(v).toMatchObject({ required: true, status: 'missing' });
        expect(v.problems[0]!.message).toMatch(/is not set/);
        expect(v.problems[0]!.fix).toContain(v.name);
      } else {
        expect(v).toMatchObject({ required: false, status: 'unset', problems: [] });
      }
      expect(v).not.toHaveProperty('value');
    }
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['configuration', 'failed'],
      ['phone-number', 'ok'],
      ['access-token', 'skipped'],
      ['callback-url', 'skipped'],
    ]);
    expect(report.checks[0]!.message).toBe(`missing: ${REQUIRED.join(', ')}`);
    expect(report).not.toHaveProperty('push');
  });

  it('an empty value counts as missing', async () => {
    const result = await runDaraja(['doctor', '--json'], {
      env: { ...simEnv, MPESA_PASSKEY: '   ' },
    });
    expect(result.code).toBe(EXIT_CODES.config);
    const passkey = parseJson<DoctorReport>(result).variables.find((v) => v.name === 'MPESA_PASSKEY')!;
    expect(passkey).toMatchObject({ status: 'missing', problems: [{ message: 'is set but empty.' }] });
  });
});

describe('daraja doctor with invalid values', () => {
  it('names each invalid variable with its fix, all at once', async () => {
    const result = await runDaraja(['doctor', '--json'], {
      env: {
        MPESA_ENVIRONMENT: 'staging',
        MPESA_CONSUMER_KEY: CONSUMER_KEY,
        MPESA_CONSUMER_SECRET: CONSUMER_SECRET,
        MPESA_SHORTCODE: '17a379',
        MPESA_PASSKEY: PASSKEY,
        MPESA_CALLBACK_URL: 'https://example.com/pay ments/cb',
        MPESA_BASE_URL: 'ftp://127.0.0.1:4010',
        MPESA_TILL_NUMBER: '12',
      },
    });
    expect(result.code).toBe(EXIT_CODES.config);
    const report = parseJson<DoctorReport>(result);
    const byName = Object.fromEntries(report.variables.map((v) => [v.name, v]));
    const invalid = [
      ['MPESA_ENVIRONMENT', /"sandbox" or "production"/, /MPESA_ENVIRONMENT=sandbox/],
      ['MPESA_SHORTCODE', /5 to 7 digits/, /PayBill number/],
      ['MPESA_CALLBACK_URL', /whitespace/, /no spaces/],
      ['MPESA_BASE_URL', /absolute http\(s\) URL/, /npx daraja-sdk sim/],
      ['MPESA_TILL_NUMBER', /5 to 8 digits/, /till number/],
    ] as const;
    for (const [name, problem, fix] of invalid) {
      expect(byName[name]!.status, name).toBe('invalid');
      expect(byName[name]!.problems[0]!.message, name).toMatch(problem);
      expect(byName[name]!.problems[0]!.fix, name).toMatch(fix);
    }
    expect(byName['MPESA_CONSUMER_KEY']).toMatchObject({ status: 'ok', value: 'set (24 characters)' });
    expect(byName['MPESA_PASSKEY']).toMatchObject({ status: 'ok', value: 'set (64 characters)' });
    expect(report.checks.find((c) => c.name === 'configuration')!.message).toBe(
      `invalid: ${invalid.map(([n]) => n).join(', ')}`,
    );
    // The environment and base URL are invalid, so the token is not fetched from a guess.
    expect(report.checks.find((c) => c.name === 'access-token')!.status).toBe('skipped');

    const text = await runDaraja(['doctor'], { env: { MPESA_SHORTCODE: '17a379' } });
    expect(text.stdout).toMatch(
      /INVALID\s+MPESA_SHORTCODE\s+17a379\n\s+MPESA_SHORTCODE must be 5 to 7 digits/,
    );
    expect(text.stdout).toMatch(/fix: Set MPESA_SHORTCODE to your PayBill number/);
    expectNoLeaks(result);
  });

  it('production with the sandbox shortcode and passkey is a configuration error', async () => {
    const result = await runDaraja(['doctor', '--json'], {
      env: {
        MPESA_ENVIRONMENT: 'production',
        MPESA_CONSUMER_KEY: CONSUMER_KEY,
        MPESA_CONSUMER_SECRET: CONSUMER_SECRET,
        MPESA_SHORTCODE: '174379',
        MPESA_PASSKEY: PASSKEY,
        MPESA_CALLBACK_URL: 'http://example.com/cb',
      },
      // No request may leave for the real Daraja from a test.
      context: { fetch: async () => Response.json({ errorMessage: 'no network in tests' }, { status: 503 }) },
    });
    expect(result.code).toBe(EXIT_CODES.config);
    const report = parseJson<DoctorReport>(result);
    expect(report).toMatchObject({ environment: 'production', baseUrl: 'https://api.safaricom.co.ke' });
    const byName = Object.fromEntries(report.variables.map((v) => [v.name, v]));
    expect(byName['MPESA_SHORTCODE']!.problems[0]!.message).toMatch(/sandbox (test )?shortcode/);
    // Said once, whether the SDK or doctor notices it.
    expect(byName['MPESA_SHORTCODE']!.problems).toHaveLength(1);
    expect(byName['MPESA_PASSKEY']!.problems).toHaveLength(1);
    expect(byName['MPESA_PASSKEY']!.problems[0]!.message).toMatch(/public sandbox passkey/);
    expect(byName['MPESA_CALLBACK_URL']!.problems[0]!.message).toMatch(/https:\/\/ in production/);
    expectNoLeaks(result);
  });

  it('warns about a misspelt variable without failing', async () => {
    const result = await runDaraja(['doctor', '--json'], {
      env: { ...simEnv, MPESA_TILL_NUMBR: '123456' },
    });
    expect(result.code).toBe(EXIT_CODES.ok);
    const report = parseJson<DoctorReport>(result);
    const byName = Object.fromEntries(report.variables.map((v) => [v.name, v]));
    expect(byName['MPESA_TILL_NUMBER']!.warnings[0]).toMatch(
      /MPESA_TILL_NUMBR is set but the SDK does not read it: did you mean MPESA_TILL_NUMBER\?/,
    );
    expect(report.checks[0]).toMatchObject({ name: 'configuration', status: 'warning' });
  });
});

describe('daraja doctor against the simulator', () => {
  it('passes every check and exits 0, showing where it talks to', async () => {
    const result = await runDaraja(['doctor'], { env: simEnv });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toContain(`Daraja: ${sim.url} (from MPESA_BASE_URL; environment sandbox`);
    for (const check of ['configuration', 'phone-number', 'access-token', 'callback-url']) {
      expect(result.stdout).toMatch(new RegExp(`\\n  ok\\s+${check}: `));
    }
    expect(result.stdout).not.toMatch(/FAIL|MISSING|INVALID|warn/);
    expect(result.stdout).toMatch(/All checks passed\.\n$/);
    expect(result.tokens).toHaveLength(1);
    expect(sim.requests.map((r) => r.operation)).toEqual(['oauth']);
    expectNoLeaks(result);

    const json = parseJson<DoctorReport>(await runDaraja(['doctor', '--json'], { env: simEnv }));
    expect(json).toMatchObject({ ok: true, exitCode: 0, baseUrl: sim.url, baseUrlSource: 'MPESA_BASE_URL' });
    expect(json.checks.every((c) => c.status === 'ok')).toBe(true);
  });

  it('--push to a number the simulator pays: waits, reports completed, exits 0', async () => {
    const result = await runDaraja(['doctor', '--push', '0712 345 678', ...FAST], { env: simEnv });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toMatch(/ok\s+phone-number: 0712 \*\*5 678 normalises to 2547\*\*\*\*5678\n/);
    expect(result.stdout).toMatch(/stk-push: accepted, 1 KES requested from 2547\*\*\*\*5678/);
    expect(result.stdout).toMatch(/ok\s+stk-push: completed: ResultCode 0, /);
    expect(result.stdout).toMatch(/All checks passed; the test payment completed\.\n$/);
    const [transaction] = sim.transactions;
    expect(transaction).toMatchObject({ amount: 1, accountReference: 'DOCTOR', status: 'completed' });
    // Shown with the payer's digits Daraja embeds in it masked.
    expect(result.stdout).toContain(maskPhoneNumbersInText(transaction!.checkoutRequestId));
    expect(result.stdout).not.toContain(transaction!.checkoutRequestId);
    expectNoLeaks(result, '254712345678', '0712 345 678');
  });

  it('--push --json: the push report with the final status and result code', async () => {
    const result = await runDaraja(
      ['doctor', '--push', '+254712345678', '--amount', '7', '--json', ...FAST],
      {
        env: simEnv,
      },
    );
    expect(result.code).toBe(EXIT_CODES.ok);
    const report = parseJson<DoctorReport>(result);
    expect(report.push).toMatchObject({
      phoneNumber: '2547****5678',
      amount: 7,
      callbackUrl: CALLBACK,
      status: 'completed',
      resultCode: '0',
      checkoutRequestId: maskPhoneNumbersInText(sim.transactions[0]!.checkoutRequestId),
    });
    expect(report.push!.queries).toBeGreaterThanOrEqual(1);
    expect(report.checks.at(-1)).toMatchObject({ name: 'stk-push', status: 'ok' });
    expect(sim.transactions[0]!.amount).toBe(7);
    expectNoLeaks(result, '254712345678');
  });

  it.each([
    ['0712345601', 'cancelled', '1032', /cancelled on the phone/],
    ['0712345602', 'timeout', '1037', /In the sandbox nobody answers the prompt/],
    ['0712345603', 'failed', '1', /too little on M-Pesa/],
    ['0712345604', 'failed', '2001', /wrong M-Pesa PIN/],
  ])('--push %s: reports %s (%s) and exits 1', async (phone, status, code, fix) => {
    const result = await runDaraja(['doctor', '--push', phone, ...FAST], { env: simEnv });
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stdout).toMatch(new RegExp(`FAIL\\s+stk-push: ${status}: ResultCode ${code}, `));
    expect(result.stdout).toMatch(fix);
    expect(result.stdout).toMatch(/Not ready: failed: stk-push \(exit code 1\)/);
    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--push', phone, '--json', ...FAST], { env: simEnv }),
    );
    expect(report).toMatchObject({ ok: false, exitCode: 1, push: { status, resultCode: code } });
    expectNoLeaks(result, phone);
  });

  it('--push with a slow outcome: keeps querying while "being processed", then reports the final status', async () => {
    sim.mode = 'manual';
    const running = runDaraja(['doctor', '--push', '0712345678', '--json', ...FAST], { env: simEnv });
    // Let the doctor see "being processed" several times before the customer answers.
    await expect
      .poll(() => sim.requests.filter((r) => r.operation === 'stk.query').length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(3);
    const [transaction] = sim.transactions;
    expect(transaction!.status).toBe('pending');
    sim.resolve(transaction!.checkoutRequestId, 'success');
    const result = await running;
    expect(result.code).toBe(EXIT_CODES.ok);
    const report = parseJson<DoctorReport>(result);
    expect(report.push).toMatchObject({ status: 'completed', resultCode: '0' });
    expect(report.push!.queries).toBeGreaterThanOrEqual(4);
  });

  it('--push: shows "being processed" while it waits (text)', async () => {
    sim.mode = 'manual';
    const running = runDaraja(['doctor', '--push', '0712345678', ...FAST], {
      env: simEnv,
      onStdout: (all) => {
        const open = sim.transactions.find((t) => t.status === 'pending');
        if (open && /being processed\n(?:.*\n)*.*being processed/.test(all))
          sim.resolve(open.checkoutRequestId, 'wrong-pin');
      },
    });
    const result = await running;
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stdout).toMatch(/\d+ ms: The transaction is being processed\n/);
    expect(result.stdout).toMatch(/FAIL\s+stk-push: failed: ResultCode 2001/);
  });

  it('--push with no final status before --timeout-ms: reports it still pending and exits 1', async () => {
    sim.mode = 'manual';
    const result = await runDaraja(
      ['doctor', '--push', '0712345678', '--timeout-ms', '150', '--interval-ms', '40', '--json'],
      { env: simEnv },
    );
    expect(result.code).toBe(EXIT_CODES.failed);
    const report = parseJson<DoctorReport>(result);
    expect(report.push).toMatchObject({ status: 'pending' });
    expect(report.push!.queries).toBeGreaterThanOrEqual(2);
    expect(report.checks.at(-1)!.message).toMatch(/^no final status within 150 ms/);
    expect(report.checks.at(-1)!.fix).toMatch(/may still be answered/);
  });

  it("bad credentials: the auth failure with its class, Daraja's message and the fix; exits 1", async () => {
    const env = { ...simEnv, MPESA_CONSUMER_SECRET: 'cs_TEST_SECRET_wrong_0000000000' };
    const result = await runDaraja(['doctor', '--push', '0712345678'], { env });
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stdout).toMatch(/FAIL\s+access-token: DarajaAuthError: /);
    expect(result.stdout).toMatch(/fix: Daraja rejected MPESA_CONSUMER_KEY \/ MPESA_CONSUMER_SECRET/);
    expect(result.stdout).toMatch(/skip\s+stk-push: not sent: fix the access token first/);
    expect(sim.transactions).toHaveLength(0);
    expectNoLeaks(result, 'cs_TEST_SECRET_wrong_0000000000');

    const report = parseJson<DoctorReport>(await runDaraja(['doctor', '--json'], { env }));
    expect(report.exitCode).toBe(1);
    expect(report.checks.find((c) => c.name === 'access-token')).toMatchObject({
      status: 'failed',
      error: { class: 'DarajaAuthError', status: 400 },
    });
  });

  it('checks the token even when another variable is missing', async () => {
    const { MPESA_PASSKEY: _, ...env } = simEnv;
    const report = parseJson<DoctorReport>(await runDaraja(['doctor', '--json'], { env }));
    expect(report.exitCode).toBe(EXIT_CODES.config);
    expect(report.checks.find((c) => c.name === 'access-token')!.status).toBe('ok');
  });

  it("a passkey that does not match the shortcode: the push is rejected with Daraja's error", async () => {
    const wrongPasskey = 'a'.repeat(64);
    const env = { ...simEnv, MPESA_PASSKEY: wrongPasskey };
    const result = await runDaraja(['doctor', '--push', '0712345678', '--json', ...FAST], { env });
    expect(result.code).toBe(EXIT_CODES.failed);
    const report = parseJson<DoctorReport>(result);
    expect(report.push!.status).toBe('not-sent');
    expect(report.checks.at(-1)).toMatchObject({
      name: 'stk-push',
      status: 'failed',
      error: { class: 'DarajaApiError', errorCode: '500.001.1001' },
    });
    expect(report.checks.at(-1)!.fix).toMatch(/MPESA_SHORTCODE and MPESA_PASSKEY do not belong together/);
    expectNoLeaks(result, wrongPasskey);
  });

  it('nothing listening at MPESA_BASE_URL: a network error and a hint to start the simulator', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const env = { ...simEnv, MPESA_BASE_URL: `http://127.0.0.1:${port}` };
    const result = await runDaraja(['doctor'], { env });
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stdout).toMatch(/FAIL\s+access-token: DarajaNetworkError: /);
    expect(result.stdout).toMatch(/Start the simulator \(`npx daraja-sdk sim`\) or fix MPESA_BASE_URL/);
  });

  it('a --push number that is not Kenyan: the phone check fails and nothing is sent', async () => {
    const result = await runDaraja(['doctor', '--push', '0812345678'], { env: simEnv });
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stdout).toMatch(/FAIL\s+phone-number: "0812\*\*5678" is not a Kenyan mobile number/);
    expect(result.stdout).toMatch(/skip\s+stk-push: not sent: fix the phone number first/);
    expect(sim.transactions).toHaveLength(0);
    expectNoLeaks(result);
  });

  it('--push without a callback URL fails the callback check; --callback-url supplies one', async () => {
    const { MPESA_CALLBACK_URL: _, ...env } = simEnv;
    const without = await runDaraja(['doctor', '--push', '0712345678'], { env });
    expect(without.code).toBe(EXIT_CODES.failed);
    expect(without.stdout).toMatch(/FAIL\s+callback-url: --push needs a callback URL/);
    const withFlag = await runDaraja(
      ['doctor', '--push', '0712345678', '--callback-url', 'http://127.0.0.1:9/other', '--json', ...FAST],
      { env },
    );
    // The push completes; the probe of --callback-url finds nothing listening there, so the run fails.
    const report = parseJson<DoctorReport>(withFlag);
    expect(report.push).toMatchObject({ status: 'completed' });
    expect(report.checks.find((c) => c.name === 'callback-probe')).toMatchObject({ status: 'failed' });
    expect(withFlag.code).toBe(EXIT_CODES.failed);
    expect(sim.transactions.at(-1)!.callbackUrl).toBe('http://127.0.0.1:9/other');
  });

  it('callback URL warnings do not fail the run', async () => {
    const env = {
      ...simEnv,
      MPESA_CALLBACK_URL: 'https://example.com/mpesa/callback?token=abcdefabcdefabcdef',
    };
    const result = await runDaraja(['doctor'], { env });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toMatch(
      /warn\s+callback-url: https:\/\/example\.com\/mpesa\/callback\?token=\*\*\*/,
    );
    expect(result.stdout).toMatch(/warning: contains "mpesa"/);
    expect(result.stdout).toMatch(/All checks passed \(1 with warnings\)\./);
    expect(result.stdout).not.toContain('abcdefabcdefabcdef');
  });
});

describe('daraja doctor usage errors (exit 2)', () => {
  it.each([
    [['doctor', '--bogus']],
    [['doctor', '--push']],
    [['doctor', '--push', '0712345678', '--amount', '0']],
    [['doctor', '--push', '0712345678', '--amount', '1.5']],
    [['doctor', '--push', '0712345678', '--timeout-ms', 'soon']],
    [['doctor', '--amount', '5']],
    [['doctor', 'extra']],
  ])('%j', async (argv) => {
    const result = await runDaraja(argv, { env: simEnv });
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^daraja: .+\n\nUsage: npx daraja-sdk doctor/);
    expect(sim.requests).toHaveLength(0);
  });

  it('with --json, the usage error is the JSON object on stdout', async () => {
    const result = await runDaraja(['doctor', '--json', '--amount', 'x', '--push', '0712345678'], {
      env: simEnv,
    });
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(parseJson(result)).toEqual({
      command: 'doctor',
      ok: false,
      exitCode: 2,
      error: { class: 'UsageError', message: '--amount must be a whole number from 1 to 250000, got "x".' },
    });
  });
});

describe('callback URL sanity', () => {
  const sandbox = { production: false, local: false };
  const check = (url: string, target = sandbox) => checkCallbackUrl(url, target, validateCallbackUrl);

  it("Safaricom's C2B keyword rule: advice for the STK callback and result URLs, an error for C2B URLs", () => {
    for (const [url, keyword] of [
      ['https://shop.example.com/mpesa/cb', 'mpesa'],
      ['https://shop.example.com/M-PESA/cb', 'm-pesa'],
      ['https://safaricom-pay.example.com/cb', 'safaricom'],
      ['https://shop.example.com/cb?query=1', 'query'],
      ['https://shop.example.com/exec/cb', 'exec'],
      ['https://shop.example.com/sql/cb', 'sql'],
    ] as const) {
      for (const kind of ['stk', 'result'] as const) {
        const { error, warnings } = checkCallbackUrl(url, sandbox, validateCallbackUrl, kind);
        expect(error, url).toBeUndefined();
        expect(warnings.join('\n'), url).toContain(`"${keyword}"`);
        expect(warnings.join('\n'), url).toMatch(
          /Safaricom documents, for C2B Register URL: "Avoid the keywords M-PESA\/MPesa\/Safaricom\/exe\/exec\/cmd\/SQL\/query in URLs"\. For the (STK CallBackURL|result URLs) the rule is not documented and no rejection has been seen, so this is advice/,
        );
      }
      const c2b = checkCallbackUrl(url, sandbox, validateCallbackUrl, 'c2b');
      expect(c2b.error, url).toContain(`"${keyword}"`);
      expect(c2b.error, url).toMatch(/Safaricom documents, for C2B Register URL: "Avoid the keywords/);
    }
    expect(check('https://shop.example.com/payments/callback')).toEqual({ error: undefined, warnings: [] });
    expect(
      checkCallbackUrl('https://shop.example.com/payments/c2b', sandbox, validateCallbackUrl, 'c2b'),
    ).toEqual({ error: undefined, warnings: [] });
    // Tunnels and bins: the same split.
    expect(check('https://abc.ngrok-free.app/cb').error).toBeUndefined();
    expect(
      checkCallbackUrl('https://abc.ngrok-free.app/cb', sandbox, validateCallbackUrl, 'c2b').error,
    ).toMatch(/"Do not use ngrok, mockbin or requestbin \(usually blocked\)"/);
  });

  it('result URLs from the environment get the same advice', async () => {
    const env = {
      ...simEnv,
      MPESA_RESULT_URL: 'https://shop.example.com/mpesa/results',
      MPESA_QUEUE_TIMEOUT_URL: 'https://shop.example.com/payments/timeout',
    };
    const report = parseJson<DoctorReport>(await runDaraja(['doctor', '--json'], { env }));
    const byName = Object.fromEntries(report.variables.map((v) => [v.name, v]));
    expect(byName['MPESA_RESULT_URL']).toMatchObject({ status: 'warning' });
    expect(byName['MPESA_RESULT_URL']!.warnings.join()).toMatch(/"mpesa".*this is advice/);
    expect(byName['MPESA_QUEUE_TIMEOUT_URL']).toMatchObject({ status: 'ok', warnings: [] });
    expect(report.exitCode).toBe(EXIT_CODES.ok);
  });

  it('warns on tunnels, private addresses, http in the sandbox and an uppercase host', () => {
    expect(check('https://abc.ngrok-free.app/cb').warnings.join()).toMatch(/usually blocked/);
    expect(check('https://localhost/cb').warnings.join()).toMatch(/Daraja cannot reach/);
    expect(check('https://192.168.1.10/cb').warnings.join()).toMatch(/Daraja cannot reach/);
    expect(check('http://shop.example.com/cb').warnings.join()).toMatch(/production requires https/);
    expect(check('https://Shop.Example.com/cb').warnings.join()).toMatch(/uppercase/);
    // Against a local simulator, local http callbacks are expected.
    expect(check('http://127.0.0.1:3000/cb', { production: false, local: true }).warnings).toEqual([]);
  });

  it('fails what Daraja rejects: whitespace, and http in production', () => {
    expect(check('https://shop.example.com/a b').error).toMatch(/whitespace/);
    expect(check('http://shop.example.com/cb', { production: true, local: false }).error).toMatch(
      /https:\/\/ in production/,
    );
  });
});

describe('the fix of an error', () => {
  const target = { baseUrl: 'https://sandbox.safaricom.co.ke', local: false };

  it("is the hint the SDK's error carries, after its description of Daraja's answer", () => {
    for (const [status, errorCode, errorMessage] of [
      [400, '400.002.02', 'Bad Request - Invalid PhoneNumber'],
      [500, '500.001.1001', 'Unable to lock subscriber, a transaction is already in process'],
      [500, '500.001.1001', 'Merchant does not exist'],
      [429, '500.003.02', 'Spike arrest violation'],
    ] as const) {
      const error = toApiError({ operation: 'stk.push' }, status, {
        errorCode,
        errorMessage,
        requestId: 'req-1',
      });
      const fix = fixFor(error, target);
      expect(error.message.endsWith(`. ${fix}`), errorMessage).toBe(true);
    }
  });

  it('without a hint, points to the troubleshooting guide; an error not from Daraja is unexpected', () => {
    const bare = toApiError({ operation: 'stk.push' }, 418, {
      errorCode: '418.000.01',
      errorMessage: 'Teapot',
    });
    expect(fixFor(bare, target)).toBe('See the error code in the troubleshooting guide.');
    expect(fixFor(new TypeError('boom'), target)).toMatch(/^Unexpected error/);
  });
});
