import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, EXIT_CODES } from '../../src/cli/context.js';
import { DOCTOR_USAGE, type DoctorReport } from '../../src/cli/doctor.js';
import { MIGRATE_USAGE } from '../../src/cli/migrate.js';
import { USAGE } from '../../src/cli/run.js';
import { simulatorUsage } from '../../src/cli/sim.js';
import { VERSION } from '../../src/index.js';
import { createSimulator, SIMULATOR_DEFAULTS, type Simulator } from '../../src/simulator/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, PASSKEY } from '../fixtures/constants.js';
import { runDaraja } from '../helpers/cli.js';
import { scanForLeaks } from '../helpers/leak-scan.js';
import { testLogger } from '../helpers/logger.js';

const root = resolve(import.meta.dirname, '../..');

describe('daraja: help, version, unknown commands', () => {
  it('--help, -h and help list the commands and the exit codes, and exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const result = await runDaraja(argv);
      expect(result).toMatchObject({ code: 0, stdout: USAGE, stderr: '' });
    }
    for (const command of ['doctor', 'sim', 'migrate']) expect(USAGE).toMatch(new RegExp(`\\n  ${command} `));
    for (const code of [0, 1, 2, 3, 4]) expect(USAGE).toMatch(new RegExp(`\\n  ${code}  `));
  });

  it('help <command> and <command> --help show that command', async () => {
    expect((await runDaraja(['help', 'doctor'])).stdout).toBe(DOCTOR_USAGE);
    expect((await runDaraja(['doctor', '-h'])).stdout).toBe(DOCTOR_USAGE);
    expect((await runDaraja(['help', 'migrate'])).stdout).toBe(MIGRATE_USAGE);
    expect((await runDaraja(['help', 'sim'])).stdout).toBe(simulatorUsage('daraja-sdk sim'));
    expect((await runDaraja(['sim', '--help'])).stdout).toBe(simulatorUsage('daraja-sdk sim'));
    for (const usage of [DOCTOR_USAGE, MIGRATE_USAGE]) expect(usage).toMatch(/Exit codes:\n {2}0 {2}OK/);
  });

  it('the help texts show npx daraja-sdk and the new options', () => {
    expect(USAGE).toMatch(/^Usage: npx daraja-sdk <command> \[options\]\n/);
    expect(USAGE).toMatch(/`daraja <command>` is the same command/);
    expect(USAGE).toMatch(/--env-file <path>/);
    expect(USAGE).toMatch(/with --callback-url <url>, send the app's callback route a\s+probe/);
    expect(DOCTOR_USAGE).toMatch(/^Usage: npx daraja-sdk doctor \[options\]\n/);
    expect(DOCTOR_USAGE).toMatch(
      /\n {2}--env-file <path> {5}Read this environment file instead of \.\/\.env/,
    );
    expect(DOCTOR_USAGE).toMatch(
      /\n {2}--callback-url <url> {2}The callback URL to check, probe and send with --push/,
    );
    expect(MIGRATE_USAGE).toMatch(/^Usage: npx daraja-sdk migrate \[options\]\n/);
    expect(MIGRATE_USAGE).toMatch(/\n {2}--env-file <path> {5}Read this environment file/);
    for (const usage of [USAGE, DOCTOR_USAGE, MIGRATE_USAGE]) expect(usage).not.toMatch(/Usage: daraja /);
  });

  it('--version and -v print the version', async () => {
    expect(await runDaraja(['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(await runDaraja(['-v'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('no command, an unknown command or option: the usage on stderr and exit 2', async () => {
    const none = await runDaraja([]);
    expect(none).toMatchObject({ code: EXIT_CODES.usage, stdout: '', stderr: USAGE });
    for (const argv of [['deploy'], ['--verbose'], ['help', 'deploy']]) {
      const result = await runDaraja(argv);
      expect(result.code, argv.join(' ')).toBe(EXIT_CODES.usage);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^daraja: unknown (command|option) "[\w-]+"\.\n\nUsage: npx daraja-sdk <command>/,
      );
    }
  });
});

describe('error reports', () => {
  it('name the class and code, mask phone numbers, and never come out empty', () => {
    const refused = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:5432')], ''), {
      code: 'ECONNREFUSED',
    });
    expect(describeError(refused)).toEqual({
      class: 'AggregateError',
      message: 'connect ECONNREFUSED ::1:5432',
      code: 'ECONNREFUSED',
    });
    expect(describeError(new TypeError('bad 0712345678'))).toEqual({
      class: 'TypeError',
      message: 'bad 0712**5678',
    });
    expect(describeError('text', (t) => t.replace('x', '*'))).toEqual({ class: 'string', message: 'te*t' });
  });
});

describe('daraja sim', () => {
  it('starts the simulator with the same flags as daraja-sim, and stops on SIGINT', async () => {
    const signals = new EventEmitter();
    let out = '';
    let seen: (text: string) => void = () => {};
    const exit = runDaraja(['sim', '--port', '0', '--callback-delay-ms', '5', '--mode', 'manual'], {
      context: { signals: signals as unknown as Pick<NodeJS.Process, 'once' | 'off'> },
      onStdout: (all) => {
        out = all;
        seen(all);
      },
    });
    const url = await new Promise<string>((done) => {
      seen = (all) => {
        const m = /daraja-sdk sim: Daraja simulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(all);
        if (m) done(m[1]!);
      };
      seen(out);
    });
    expect(out).toContain('Mode: manual');
    expect(out).toContain(`MPESA_BASE_URL=${url}`);
    const basic = Buffer.from(`${SIMULATOR_DEFAULTS.consumerKey}:${SIMULATOR_DEFAULTS.consumerSecret}`);
    const oauth = await fetch(`${url}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: { authorization: `Basic ${basic.toString('base64')}` },
    });
    expect(oauth.status).toBe(200);
    signals.emit('SIGINT');
    const result = await exit;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('daraja-sdk sim: SIGINT received, stopping\n');
    expect(result.stdout.endsWith('daraja-sdk sim: stopped\n')).toBe(true);
    await expect(fetch(`${url}/oauth/v1/generate`)).rejects.toThrow();
  });

  it('a bad flag: exit 2 with the daraja sim usage', async () => {
    const result = await runDaraja(['sim', '--mode', 'sometimes']);
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toMatch(/^daraja-sdk sim: --mode must be "auto" or "manual"/);
    expect(result.stderr).toContain('Usage: daraja-sdk sim [options]');
  });
});

describe('daraja as a process', () => {
  // The bin bundled from source with esbuild (not `npm run build`, which the package test runs in
  // parallel), into a folder with no node_modules: `pg` cannot be found from there, as for a user who
  // has not installed it.
  let dir: string;
  let bin: string;
  let sim: Simulator;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'daraja-cli-bin-'));
    bin = join(dir, 'daraja.mjs');
    await build({
      entryPoints: [join(root, 'src/cli/bin.ts')],
      outfile: bin,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['pg'],
      logLevel: 'silent',
      absWorkingDir: root,
      // As tsup does for the published build: VERSION comes from package.json.
      define: {
        __DARAJA_SDK_VERSION__: JSON.stringify(
          JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
        ),
      },
    });
    sim = await createSimulator({
      consumerKey: CONSUMER_KEY,
      consumerSecret: CONSUMER_SECRET,
      passkey: PASSKEY,
      callbackDelayMs: 30,
      callbackTimeoutMs: 500,
      logger: testLogger,
    });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function daraja(args: string[], env: Record<string, string> = {}, cwd = dir) {
    const proc = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout!.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
    });
    proc.stderr!.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
      proc.on('close', (code) => done({ code, stdout, stderr })),
    );
  }

  it('keeps its shebang and prints its version', async () => {
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(await daraja(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('doctor with nothing configured: exit 3 and one JSON object', async () => {
    const result = await daraja(['doctor', '--json']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.variables.filter((v) => v.status === 'missing').map((v) => v.name)).toEqual([
      'MPESA_CONSUMER_KEY',
      'MPESA_CONSUMER_SECRET',
      'MPESA_SHORTCODE',
      'MPESA_PASSKEY',
    ]);
  });

  it('doctor --push against the simulator: exit 0, completed, no secret in the output', async () => {
    const result = await daraja(['doctor', '--push', '0712345678', '--interval-ms', '20'], {
      ...sim.env,
      MPESA_CALLBACK_URL: 'http://127.0.0.1:9/cb',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok\s+stk-push: completed: ResultCode 0/);
    expect(scanForLeaks([result.stdout])).toEqual([]);
  });

  it('doctor reads ./.env into the process environment; a variable already set wins', async () => {
    const project = await mkdtemp(join(dir, 'project-'));
    const { MPESA_CONSUMER_SECRET, ...rest } = sim.env;
    await writeFile(
      join(project, '.env'),
      `${Object.entries(rest)
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n')}\nMPESA_CONSUMER_SECRET=cs_wrong_in_file_000\nMPESA_CALLBACK_URL=http://127.0.0.1:9/cb\n`,
    );
    const result = await daraja(
      ['doctor', '--json'],
      { MPESA_CONSUMER_SECRET: MPESA_CONSUMER_SECRET! },
      project,
    );
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.envFile).toEqual({
      path: join(project, '.env'),
      variables: Object.keys(rest).length + 2,
      shadowed: ['MPESA_CONSUMER_SECRET'],
    });
    // The token was issued: the secret came from the environment, not the file's wrong one.
    expect(report.checks.find((c) => c.name === 'access-token')!.status).toBe('ok');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('cs_wrong_in_file_000');
  });

  it('migrate where pg is not installed: exit 4 and how to install it', async () => {
    const result = await daraja(['migrate', '--database-url', 'postgres://app:pw_hidden_9@127.0.0.1:1/app']);
    expect(result.code).toBe(EXIT_CODES.missingDependency);
    expect(result.stderr).toMatch(/needs the PostgreSQL driver "pg", which is not installed/);
    expect(result.stderr).toMatch(/npm install pg/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('pw_hidden_9');
  });
});
