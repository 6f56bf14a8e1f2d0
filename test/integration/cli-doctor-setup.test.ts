// daraja doctor in a new user's first hour: the .env file, the passkey's shape, pasted quotes and
// whitespace. Nothing silent, no secret printed.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/context.js';
import type { DoctorReport } from '../../src/cli/doctor.js';
import type { MigrateReport } from '../../src/cli/migrate.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, PASSKEY, SHORTCODE } from '../fixtures/constants.js';
import { generateCertificate } from '../helpers/certificate.js';
import { expectNoLeaks, parseJson, runDaraja } from '../helpers/cli.js';
import { testLogger } from '../helpers/logger.js';

let sim: Simulator;
let simEnv: Record<string, string>;
let dir: string;

/** No request may leave for the real Daraja from a test. */
const offline = async () => Response.json({ errorMessage: 'no network in tests' }, { status: 400 });

beforeAll(async () => {
  sim = await createSimulator({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    shortcode: SHORTCODE,
    passkey: PASSKEY,
    logger: testLogger,
  });
  simEnv = { ...sim.env, MPESA_CALLBACK_URL: 'http://127.0.0.1:9/daraja/cb' };
  dir = await mkdtemp(join(tmpdir(), 'daraja-doctor-env-'));
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(dir, 'project-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), text);
  }
  return root;
}

const dotenv = (env: Record<string, string>) =>
  `# M-Pesa\n${Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;

describe('daraja doctor reads a .env file', () => {
  it('./.env in the current directory: its settings are used, its path printed, no value', async () => {
    const cwd = await project({ '.env': dotenv(simEnv) });
    const result = await runDaraja(['doctor'], { context: { cwd } });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toContain(
      `Environment file: ${join(cwd, '.env')} (${Object.keys(simEnv).length} variables; values already in the environment win)\n`,
    );
    expect(result.stdout).toMatch(/ok\s+access-token: /);
    expectNoLeaks(result, CONSUMER_SECRET, PASSKEY, CONSUMER_KEY);

    const report = parseJson<DoctorReport>(await runDaraja(['doctor', '--json'], { context: { cwd } }));
    expect(report).toMatchObject({
      ok: true,
      envFile: { path: join(cwd, '.env'), variables: Object.keys(simEnv).length, shadowed: [] },
    });
  });

  it('a variable already in the environment wins over the file, and doctor says so (names only)', async () => {
    const cwd = await project({
      '.env': dotenv({ ...simEnv, MPESA_CONSUMER_SECRET: 'cs_wrong_in_the_file_00' }),
    });
    const result = await runDaraja(['doctor'], {
      env: { MPESA_CONSUMER_SECRET: CONSUMER_SECRET },
      context: { cwd },
    });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toContain(
      "\n  MPESA_CONSUMER_SECRET is also set in the environment, to another value: the environment's value is used\n",
    );
    expectNoLeaks(result, CONSUMER_SECRET, 'cs_wrong_in_the_file_00');
  });

  it('--env-file reads another file, relative to the current directory', async () => {
    const cwd = await project({ 'config/daraja.env': dotenv(simEnv), '.env': 'MPESA_SHORTCODE=1\n' });
    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--json', '--env-file', 'config/daraja.env'], { context: { cwd } }),
    );
    expect(report).toMatchObject({ ok: true, envFile: { path: join(cwd, 'config/daraja.env') } });
  });

  it('no .env: says none was found, and where it looked', async () => {
    const cwd = await project({});
    const result = await runDaraja(['doctor'], { env: simEnv, context: { cwd } });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toContain(
      `Environment file: none (no .env at ${join(cwd, '.env')}; --env-file <path> reads another)\n`,
    );
    expect(
      parseJson<DoctorReport>(await runDaraja(['doctor', '--json'], { env: simEnv, context: { cwd } })),
    ).not.toHaveProperty('envFile');
  });

  it('a missing --env-file is a configuration error naming the path (exit 3), nothing checked', async () => {
    const cwd = await project({ '.env': dotenv(simEnv) });
    sim.reset();
    const result = await runDaraja(['doctor', '--env-file', '.env.local'], { context: { cwd } });
    expect(result.code).toBe(EXIT_CODES.config);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `daraja: --env-file .env.local: no such file (${join(cwd, '.env.local')}).\nfix: Check the path (it is relative to the current directory), or leave out --env-file to use ./.env when it exists.\n`,
    );
    expect(sim.requests).toHaveLength(0);

    const json = await runDaraja(['doctor', '--json', '--env-file', 'nope.env'], { context: { cwd } });
    expect(json.code).toBe(EXIT_CODES.config);
    expect(parseJson(json)).toMatchObject({
      command: 'doctor',
      ok: false,
      exitCode: 3,
      error: {
        class: 'EnvFileError',
        message: `--env-file nope.env: no such file (${join(cwd, 'nope.env')}).`,
      },
    });
  });

  it('a directory given as --env-file: a configuration error', async () => {
    const cwd = await project({ 'config/x': '' });
    const result = await runDaraja(['doctor', '--env-file', 'config'], { context: { cwd } });
    expect(result.code).toBe(EXIT_CODES.config);
    expect(result.stderr).toMatch(/is a directory, not an environment file/);
  });

  it('daraja migrate reads DATABASE_URL from ./.env too, and --env-file', async () => {
    const cwd = await project({
      '.env': 'DATABASE_URL=mysql://app:pw_in_env_file_7@db.internal/app\n',
      'other.env': 'DATABASE_URL=postgres://app:pw_other_8@127.0.0.1:1/app\n',
    });
    const result = await runDaraja(['migrate', '--json'], { context: { cwd } });
    expect(result.code).toBe(EXIT_CODES.config);
    const report = parseJson<MigrateReport>(result);
    expect(report).toMatchObject({
      envFile: { path: join(cwd, '.env'), variables: 1 },
      database: 'mysql://app:***@db.internal/app',
    });
    expect(`${result.stdout}${result.stderr}`).not.toContain('pw_in_env_file_7');

    const missing = Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const other = await runDaraja(['migrate', '--env-file', 'other.env'], {
      context: { cwd, loadPg: () => Promise.reject(missing) },
    });
    expect(other.code).toBe(EXIT_CODES.missingDependency);
    expect(other.stdout).toContain(`Environment file: ${join(cwd, 'other.env')} (1 variable;`);
    expect(`${other.stdout}${other.stderr}`).not.toContain('pw_other_8');

    const gone = await runDaraja(['migrate', '--env-file', 'gone.env'], { context: { cwd } });
    expect(gone.code).toBe(EXIT_CODES.config);
    expect(gone.stderr).toMatch(/--env-file gone\.env: no such file/);
  });
});

describe('daraja doctor and the passkey', () => {
  const variable = (report: DoctorReport) => report.variables.find((v) => v.name === 'MPESA_PASSKEY')!;

  it('a short passkey with the sandbox shortcode against the real sandbox: an error (Daraja would say "Wrong credentials")', async () => {
    const env = {
      MPESA_CONSUMER_KEY: CONSUMER_KEY,
      MPESA_CONSUMER_SECRET: CONSUMER_SECRET,
      MPESA_SHORTCODE: '174379',
      MPESA_PASSKEY: 'bfb27',
    };
    const result = await runDaraja(['doctor', '--json'], { env, context: { fetch: offline } });
    expect(result.code).toBe(EXIT_CODES.config);
    const passkey = variable(parseJson<DoctorReport>(result));
    expect(passkey.status).toBe('invalid');
    expect(passkey.problems[0]!.message).toMatch(
      /is not the public sandbox passkey, but MPESA_SHORTCODE is 174379.*"Wrong credentials".*64 hexadecimal characters; this value is 5 characters long\./,
    );
    expect(passkey.value).toBe('set (5 characters)');
    const text = await runDaraja(['doctor'], { env, context: { fetch: offline } });
    expect(text.stdout).toMatch(/INVALID\s+MPESA_PASSKEY\s+set \(5 characters\)/);
    expectNoLeaks(text, 'bfb27');
  });

  it('a passkey that is not 64 hexadecimal characters elsewhere: a warning (the reference documents no format)', async () => {
    for (const [value, shape] of [
      ['bfb27', '5 characters long'],
      [`${'z'.repeat(64)}`, '64 characters long and not all hexadecimal'],
      [`${PASSKEY}0`, '65 characters long'],
    ] as const) {
      const result = await runDaraja(['doctor', '--json'], { env: { ...simEnv, MPESA_PASSKEY: value } });
      expect(result.code, value).toBe(EXIT_CODES.ok);
      const passkey = variable(parseJson<DoctorReport>(result));
      expect(passkey.status).toBe('warning');
      expect(passkey.warnings[0]).toBe(
        `is ${shape}, but Daraja passkeys are 64 hexadecimal characters (0-9, a-f), like the public sandbox one. Check that you copied the whole passkey, and not the STK password or the consumer secret.`,
      );
      expectNoLeaks(result, value);
    }
  });

  it('a 64-hex passkey: no remark (upper case too)', async () => {
    for (const value of [PASSKEY, PASSKEY.toUpperCase(), 'a'.repeat(64)]) {
      const passkey = variable(
        parseJson<DoctorReport>(
          await runDaraja(['doctor', '--json'], { env: { ...simEnv, MPESA_PASSKEY: value } }),
        ),
      );
      expect(passkey).toMatchObject({ status: 'ok', problems: [], warnings: [] });
    }
  });
});

describe('daraja doctor and pasted quotes or whitespace', () => {
  it.each([
    ['MPESA_CONSUMER_KEY', `"${CONSUMER_KEY}"`, 'a double quote', '"'],
    ['MPESA_CONSUMER_SECRET', `'${CONSUMER_SECRET}'`, 'a single quote', "'"],
    ['MPESA_PASSKEY', `"${PASSKEY}"`, 'a double quote', '"'],
    ['MPESA_SHORTCODE', `'${SHORTCODE}'`, 'a single quote', "'"],
    ['MPESA_CALLBACK_URL', '`https://shop.example.com/cb`', 'a backquote', '`'],
  ])(
    '%s wrapped in quotes: an error naming the variable and the fix, never the value',
    async (name, value, which, quote) => {
      const result = await runDaraja(['doctor', '--json'], { env: { ...simEnv, [name]: value } });
      expect(result.code).toBe(EXIT_CODES.config);
      const v = parseJson<DoctorReport>(result).variables.find((x) => x.name === name)!;
      expect(v.status).toBe('invalid');
      expect(v.problems[0]!.message).toBe(
        `starts and ends with ${which} (${quote}): the quotes are part of the value, so Daraja receives them too.`,
      );
      expect(v.problems[0]!.fix).toMatch(
        new RegExp(`^Remove the \\${quote} around the value of ${name}\\. `),
      );
      const text = await runDaraja(['doctor'], { env: { ...simEnv, [name]: value } });
      expect(text.stdout).toMatch(new RegExp(`INVALID\\s+${name}\\b`));
      expect(text.stdout).toMatch(/Not ready: \d+ invalid/);
      if (name !== 'MPESA_SHORTCODE' && name !== 'MPESA_CALLBACK_URL')
        expectNoLeaks(text, value.slice(1, -1));
    },
  );

  it('leading or trailing whitespace: an error that says where, without the value', async () => {
    const result = await runDaraja(['doctor', '--json'], {
      env: {
        ...simEnv,
        MPESA_CONSUMER_SECRET: `${CONSUMER_SECRET}\n`,
        MPESA_SHORTCODE: ` ${SHORTCODE}`,
        MPESA_PASSKEY: `\t${PASSKEY} `,
      },
    });
    expect(result.code).toBe(EXIT_CODES.config);
    const byName = Object.fromEntries(parseJson<DoctorReport>(result).variables.map((v) => [v.name, v]));
    const expectWhitespace = (name: string, where: string) => {
      expect(byName[name]!.status, name).toBe('invalid');
      expect(byName[name]!.problems[0]!.message, name).toBe(
        `has leading or trailing whitespace (${where}): a pasted space or line break. The SDK trims it; other tools, and the same value copied elsewhere, may not.`,
      );
      expect(byName[name]!.problems[0]!.fix, name).toContain(
        `Remove the whitespace around the value of ${name}`,
      );
    };
    expectWhitespace('MPESA_CONSUMER_SECRET', 'a line break at the end');
    expectWhitespace('MPESA_SHORTCODE', 'a space at the start');
    expectWhitespace('MPESA_PASSKEY', 'a tab at the start and a space at the end');
    expectNoLeaks(result, CONSUMER_SECRET, PASSKEY);
  });

  it('a PEM certificate ending with a line break is normal', async () => {
    const { certPem } = generateCertificate();
    const result = await runDaraja(['doctor', '--json'], {
      env: {
        ...simEnv,
        MPESA_INITIATOR_NAME: 'testapi',
        MPESA_INITIATOR_PASSWORD: 'Init#Pass_TEST_7f3a9c',
        MPESA_CERTIFICATE: certPem.endsWith('\n') ? certPem : `${certPem}\n`,
      },
    });
    const certificate = parseJson<DoctorReport>(result).variables.find(
      (v) => v.name === 'MPESA_CERTIFICATE',
    )!;
    expect(certificate.problems).toEqual([]);
  });
});
