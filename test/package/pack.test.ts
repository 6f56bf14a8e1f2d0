import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headingAnchors, markdownLinks, REPO_FILE_URL } from '../docs/markdown.js';
import { TOKEN_PREFIX } from '../fixtures/constants.js';
import { startLocalDaraja } from '../helpers/local-daraja.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
let scratch: string;
let daraja: Awaited<ReturnType<typeof startLocalDaraja>>;

// Build, `npm pack`, and install the tarball into a scratch project, as a user would.
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'daraja-sdk-pack-'));
  // `npm pack` runs the prepack build, whose output shares stdout: find the tarball on disk instead.
  await run('npm', ['pack', '--pack-destination', scratch], { cwd: root, maxBuffer: 1 << 24 });
  const filename = (await readdir(scratch)).find((f) => f.endsWith('.tgz'));
  if (!filename) throw new Error('npm pack produced no tarball');
  await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(scratch, filename)], {
    cwd: scratch,
  });
  daraja = await startLocalDaraja();
}, 180_000);

afterAll(async () => {
  await daraja?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

// Each script pushes through the installed package against a local server, so ky (inlined in the CJS
// build, imported in the ESM build) and zod really run.
const script = (load: string) => `
${load}
const d = new m.Daraja({ consumerKey: 'k', consumerSecret: 's', shortcode: '174379', passkey: 'p',
  callbackUrl: 'https://example.com/cb', baseUrl: process.env.BASE_URL });
const r = await d.stk.push({ phoneNumber: '0712345678', amount: 1, accountReference: 'PKG' });
let validation = '';
try { await d.stk.push({ phoneNumber: '0812345678', amount: 1, accountReference: 'PKG' }); } catch (e) { validation = e.name + ':' + m.isDarajaValidationError(e); }
console.log(JSON.stringify({ resolved: RESOLVED, phone: m.normalizePhoneNumber('+254 712 345 678'), checkout: r.checkoutRequestId, validation }));
`;

async function node(args: string[]) {
  const { stdout } = await run(process.execPath, args, {
    cwd: scratch,
    env: { ...process.env, BASE_URL: daraja.baseUrl },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, string>;
}

describe('the packed package', () => {
  it('works with require()', async () => {
    const code = `(async () => { ${script("const m = require('daraja-sdk'); const RESOLVED = require.resolve('daraja-sdk');")} })().catch((e) => { console.error(e); process.exit(1); });`;
    const out = await node(['-e', code]);
    expect(out.resolved).toMatch(/node_modules\/daraja-sdk\/dist\/index\.cjs$/);
    expect(out.phone).toBe('254712345678');
    expect(out.checkout).toMatch(/^ws_CO_/);
    expect(out.validation).toBe('DarajaValidationError:true');
  });

  it('works with import()', async () => {
    const code = script(
      "const m = await import('daraja-sdk'); const RESOLVED = import.meta.resolve('daraja-sdk');",
    );
    const out = await node(['--input-type=module', '-e', code]);
    expect(out.resolved).toMatch(/node_modules\/daraja-sdk\/dist\/index\.js$/);
    expect(out.phone).toBe('254712345678');
    expect(out.checkout).toMatch(/^ws_CO_/);
    expect(out.validation).toBe('DarajaValidationError:true');
  });

  // daraja-sdk/simulator from the installed package: the installed client pushes to it and queries.
  const simulatorScript = (load: string) => `
${load}
const sim = await s.createSimulator({ callbackDelayMs: 0 });
const d = new m.Daraja({ consumerKey: sim.consumerKey, consumerSecret: sim.consumerSecret, shortcode: sim.shortcode,
  passkey: sim.passkey, callbackUrl: 'http://127.0.0.1:9/cb', baseUrl: sim.url });
const r = await d.stk.push({ phoneNumber: '0712345601', amount: 1, accountReference: 'PKG' });
await sim.idle();
const q = await d.stk.query({ checkoutRequestId: r.checkoutRequestId });
await sim.close();
console.log(JSON.stringify({ resolved: RESOLVED, status: q.status, requests: sim.requests.length }));
`;

  it('daraja-sdk/simulator works with require() and import()', async () => {
    const cjs = await node([
      '-e',
      `(async () => { ${simulatorScript("const m = require('daraja-sdk'); const s = require('daraja-sdk/simulator'); const RESOLVED = require.resolve('daraja-sdk/simulator');")} })().catch((e) => { console.error(e); process.exit(1); });`,
    ]);
    expect(cjs).toEqual({
      resolved: expect.stringMatching(/node_modules\/daraja-sdk\/dist\/simulator\.cjs$/),
      status: 'cancelled',
      requests: 3, // oauth, push, query
    });
    const esm = await node([
      '--input-type=module',
      '-e',
      simulatorScript(
        "const m = await import('daraja-sdk'); const s = await import('daraja-sdk/simulator'); const RESOLVED = import.meta.resolve('daraja-sdk/simulator');",
      ),
    ]);
    expect(esm).toEqual({
      resolved: expect.stringMatching(/node_modules\/daraja-sdk\/dist\/simulator\.js$/),
      status: 'cancelled',
      requests: 3, // oauth, push, query
    });
  });

  it.each(['postgres', 'mysql', 'mongodb', 'redis', 'testing', 'results', 'journal', 'messages'])(
    'daraja-sdk/%s loads with require() and import()',
    async (entry) => {
      // Each subpath entry exposes working code in both module systems (a smoke call per entry).
      const probe = {
        postgres: "typeof m.PostgresPaymentStore === 'function' && m.MIGRATIONS.length > 0",
        mongodb: "typeof m.MongoPaymentStore === 'function'",
        redis: "typeof m.createRedisTokenCache({ call: async () => null }).lock === 'function'",
        mysql: "typeof m.MySqlPaymentStore === 'function' && m.MYSQL_MIGRATIONS.length > 0",
        testing: "m.buildStkCallback({ checkoutRequestId: 'ws_CO_1' }).Body.stkCallback.ResultCode === 0",
        results: "m.c2bAccept().ResultCode === '0' && typeof m.createResultHandler === 'function'",
        journal: "typeof m.FileCallbackJournal === 'function'",
        messages: "m.payerMessage({ status: 'cancelled', resultCode: 1032 }, 'sw').title.length > 0",
      }[entry];
      const cjs = await node([
        '-e',
        `const m = require('daraja-sdk/${entry}'); console.log(JSON.stringify({ ok: String(${probe}), resolved: require.resolve('daraja-sdk/${entry}') }));`,
      ]);
      const esm = await node([
        '--input-type=module',
        '-e',
        `const m = await import('daraja-sdk/${entry}'); console.log(JSON.stringify({ ok: String(${probe}), resolved: import.meta.resolve('daraja-sdk/${entry}') }));`,
      ]);
      expect(cjs).toEqual({
        ok: 'true',
        resolved: expect.stringMatching(new RegExp(`dist/${entry}\\.cjs$`)),
      });
      expect(esm).toEqual({ ok: 'true', resolved: expect.stringMatching(new RegExp(`dist/${entry}\\.js$`)) });
    },
  );

  it('the main entry does not load the simulator', async () => {
    const dist = join(scratch, 'node_modules', 'daraja-sdk', 'dist');
    for (const entry of ['index.js', 'index.cjs']) {
      const source = await readFile(join(dist, entry), 'utf8');
      const chunks = [...source.matchAll(/(?:from |require\()['"]\.\/([\w.-]+)['"]/g)].map((m) => m[1]!);
      for (const file of [entry, ...chunks]) {
        const code = await readFile(join(dist, file), 'utf8');
        expect(code, file).not.toMatch(/createSimulator|node:http/);
      }
    }
  });

  it('installs the daraja-sim command', async () => {
    const bin = join(scratch, 'node_modules', '.bin', 'daraja-sim');
    const { stdout } = await run(bin, ['--help'], { cwd: scratch });
    expect(stdout).toMatch(/^Usage: daraja-sim \[options\]/);
    const source = await readFile(
      join(scratch, 'node_modules', 'daraja-sdk', 'dist', 'simulator-bin.js'),
      'utf8',
    );
    expect(source.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  // The `daraja` command from the installed tarball. `pg` is not installed in the scratch project, as
  // for most users: `daraja migrate` must say how to install it.
  async function darajaBin(args: string[], env: Record<string, string> = {}) {
    const bin = join(scratch, 'node_modules', '.bin', 'daraja');
    try {
      const { stdout, stderr } = await run(bin, args, {
        cwd: scratch,
        env: { PATH: process.env['PATH'] ?? '', ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  it('installs the daraja command: help, version, doctor and migrate', async () => {
    const help = await darajaBin(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npx daraja-sdk <command> \[options\]/);
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect((await darajaBin(['--version'])).stdout).toBe(`${pkg.version}\n`);
    expect(
      (await readFile(join(scratch, 'node_modules', 'daraja-sdk', 'dist', 'cli.js'), 'utf8')).startsWith(
        '#!/usr/bin/env node\n',
      ),
    ).toBe(true);

    const doctor = await darajaBin(['doctor', '--json'], {
      MPESA_BASE_URL: daraja.baseUrl,
      MPESA_CONSUMER_KEY: 'k',
      MPESA_CONSUMER_SECRET: 's',
      MPESA_SHORTCODE: '174379',
      MPESA_PASSKEY: 'p',
      MPESA_CALLBACK_URL: 'http://127.0.0.1:9/cb',
    });
    expect(doctor.code).toBe(0);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ command: 'doctor', ok: true, exitCode: 0 });
    expect(doctor.stdout).not.toContain(TOKEN_PREFIX);

    const migrate = await darajaBin([
      'migrate',
      '--database-url',
      'postgres://u:pw_never_shown@127.0.0.1:1/db',
    ]);
    expect(migrate.code).toBe(4);
    expect(migrate.stderr).toMatch(/npm install pg/);
    expect(migrate.stderr).not.toContain('pw_never_shown');
  });

  // As a user types it: `npx daraja-sdk …` in their project finds the installed binary (npm is told to stay
  // offline, so it cannot fetch anything instead), and without credentials doctor says what is missing,
  // with exit code 3.
  async function npx(args: string[], env: Record<string, string> = {}) {
    try {
      const { stdout, stderr } = await run('npx', args, {
        cwd: scratch,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? scratch,
          npm_config_offline: 'true',
          npm_config_update_notifier: 'false',
          ...env,
        },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  it('npx daraja-sdk: --help, doctor without settings (exit 3, what is missing), doctor with a .env', async () => {
    const help = await npx(['daraja-sdk', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npx daraja-sdk <command> \[options\]/);
    expect(help.stdout).toMatch(/doctor/);

    const bare = await npx(['daraja-sdk', 'doctor']);
    expect(bare.code, bare.stderr).toBe(3);
    expect(bare.stderr).not.toMatch(/command not found|could not determine executable/i);
    for (const name of ['MPESA_CONSUMER_KEY', 'MPESA_CONSUMER_SECRET', 'MPESA_SHORTCODE', 'MPESA_PASSKEY'])
      expect(bare.stdout).toMatch(new RegExp(`MISSING\\s+${name}`));
    expect(bare.stdout).toMatch(/Not ready: 4 required variables missing \(exit code 3\)/);

    // The settings from ./.env, as getting-started says; against the local Daraja every check passes.
    const env = join(scratch, '.env');
    await writeFile(
      env,
      [
        `MPESA_BASE_URL=${daraja.baseUrl}`,
        'MPESA_CONSUMER_KEY=k',
        'MPESA_CONSUMER_SECRET=s',
        'MPESA_SHORTCODE=174379',
        'MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
        'MPESA_CALLBACK_URL=http://127.0.0.1:9/api/subscription/payment-callback',
      ].join('\n'),
    );
    try {
      const doctor = await npx(['daraja-sdk', 'doctor', '--json']);
      expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
      expect(JSON.parse(doctor.stdout)).toMatchObject({ command: 'doctor', ok: true, exitCode: 0 });
      expect(doctor.stdout).not.toContain(TOKEN_PREFIX);
    } finally {
      await rm(env, { force: true });
    }
  });

  it('package.json says where the repository, the docs and the issues are', async () => {
    const pkg = JSON.parse(
      await readFile(join(scratch, 'node_modules', 'daraja-sdk', 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(pkg['repository']).toEqual({
      type: 'git',
      url: 'git+https://github.com/daraja-sdk/daraja-sdk.git',
    });
    expect(pkg['homepage']).toBe('https://daraja-sdk.github.io/daraja-sdk/');
    expect(pkg['bugs']).toEqual({ url: 'https://github.com/daraja-sdk/daraja-sdk/issues' });
    expect(pkg['bin']).toMatchObject({ 'daraja-sdk': './dist/cli.js', daraja: './dist/cli.js' });
  });

  it('the packed README links only absolutely, and its links into the repository exist', async () => {
    // On npmjs.com only the packed files exist: a relative link, or one to a file that is not in the
    // repository on main, is a dead link on the package page.
    const readme = await readFile(join(scratch, 'node_modules', 'daraja-sdk', 'README.md'), 'utf8');
    const links = markdownLinks(readme);
    expect(links.length).toBeGreaterThan(20);
    const ownAnchors = headingAnchors(readme);
    const problems: string[] = [];
    for (const link of links) {
      if (link.startsWith('#')) {
        if (!ownAnchors.has(link.slice(1))) problems.push(`${link}: no such heading in README.md`);
        continue;
      }
      if (!/^https?:\/\//.test(link)) {
        problems.push(`${link}: not absolute`);
        continue;
      }
      const repo = REPO_FILE_URL.exec(link);
      if (
        link.startsWith('https://github.com/daraja-sdk/daraja-sdk/') &&
        !repo &&
        !/\/(issues|security)\b|\.git$|daraja-sdk\/?$/.test(link)
      )
        problems.push(`${link}: links into the repository, but not to blob/main or tree/main`);
      if (!repo) continue;
      const path = decodeURIComponent(repo[1]!).replace(/\/$/, '');
      if (!existsSync(join(root, path))) problems.push(`${link}: ${path} is not in the repository`);
      else if (
        repo[2] &&
        path.endsWith('.md') &&
        !headingAnchors(await readFile(join(root, path), 'utf8')).has(repo[2])
      )
        problems.push(`${link}: no heading #${repo[2]} in ${path}`);
    }
    expect(problems).toEqual([]);
  });

  it('the main entry does not load the daraja command', async () => {
    const dist = join(scratch, 'node_modules', 'daraja-sdk', 'dist');
    for (const entry of ['index.js', 'index.cjs']) {
      const source = await readFile(join(dist, entry), 'utf8');
      const chunks = [...source.matchAll(/(?:from |require\()['"]\.\/([\w.-]+)['"]/g)].map((m) => m[1]!);
      for (const file of [entry, ...chunks]) {
        const code = await readFile(join(dist, file), 'utf8');
        // The command's texts (its usage, its verdict, how to install pg), not the probe body the flow knows.
        expect(code, file).not.toMatch(
          /Usage: npx daraja-sdk|Not ready: |npm install pg|import\(['"]pg['"]\)/,
        );
      }
    }
  });

  it('ships only dist, README, CHANGELOG and package.json', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
    const files = (
      JSON.parse(stdout.slice(stdout.indexOf('['))) as [{ files: { path: string }[] }]
    )[0].files.map((f) => f.path);
    for (const f of files) expect(f).toMatch(/^(dist\/|README\.md$|CHANGELOG\.md$|package\.json$|LICENSE$)/);
    expect(files).toContain('dist/index.cjs');
    expect(files).toContain('dist/index.d.cts');
    for (const f of [
      'simulator.js',
      'simulator.cjs',
      'simulator.d.ts',
      'simulator.d.cts',
      'simulator-bin.js',
      'cli.js',
    ])
      expect(files).toContain(`dist/${f}`);
  });
});
