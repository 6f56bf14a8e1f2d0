import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
const q = await d.stk.query(r.checkoutRequestId);
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

  it.each(['postgres', 'testing', 'results'])(
    'daraja-sdk/%s loads with require() and import()',
    async (entry) => {
      // Each subpath entry exposes working code in both module systems (a smoke call per entry).
      const probe = {
        postgres: "typeof m.PostgresPaymentStore === 'function' && m.MIGRATIONS.length > 0",
        testing: "m.buildStkCallback({ checkoutRequestId: 'ws_CO_1' }).Body.stkCallback.ResultCode === 0",
        results: "m.c2bAccept().ResultCode === '0' && typeof m.createResultHandler === 'function'",
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
    ])
      expect(files).toContain(`dist/${f}`);
  });
});
