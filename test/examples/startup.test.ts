import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNextBuild } from '../../examples/nextjs/build.js';
import { configFromEnv, SettingsError } from '../../examples/shared/config.js';
import { type ExampleProcess, START_TIMEOUT_MS, spawnExampleServer } from '../helpers/example-apps.js';

// The first minutes of a new user: a busy port, a missing setting, a second `npm start` on the same data
// folder. Each is one clear message and exit code 1, never a stack trace or a silent success.
const STACK = /^\s+at .+[:(]/m;
const started: ExampleProcess[] = [];
const folders: string[] = [];
afterAll(async () => {
  for (const p of started) p.kill('SIGKILL');
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
};
const start = (...args: Parameters<typeof spawnExampleServer>) => {
  const p = spawnExampleServer(...args);
  started.push(p);
  return p;
};

const COMMANDS = {
  express: 'npm start',
  fastify: 'npm run start:fastify',
  hono: 'npm run start:hono',
  nextjs: 'npm run start:nextjs',
} as const;

// Next.js's server.ts builds first when its sources changed (examples/nextjs/build.ts, shared with the other
// test files); the build is done before its cases, so that they see only what a start prints.
describe.each(['express', 'fastify', 'hono', 'nextjs'] as const)('%s server start-up', (framework) => {
  beforeAll(async () => {
    if (framework === 'nextjs') await ensureNextBuild();
  }, START_TIMEOUT_MS);
  it(
    'on a busy port: exits 1 with one line saying so, no stack trace',
    async () => {
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as { port: number }).port;
      try {
        const app = start(framework, { PORT: String(port), DATA_DIR: 'memory' });
        expect(await app.exited).toBe(1);
        expect(app.output().trim()).toBe(
          `Port ${port} is in use; stop the other process or start with PORT=${port + 1} ${COMMANDS[framework]}`,
        );
        expect(app.output()).not.toMatch(STACK);
        expect(app.output()).not.toMatch(/listening on/);
      } finally {
        blocker.close();
      }
    },
    START_TIMEOUT_MS,
  );

  it(
    'reads ./.env (the environment wins) and reports every missing real-Daraja setting at once',
    async () => {
      const cwd = tempDir('daraja-env-');
      writeFileSync(
        join(cwd, '.env'),
        '# real Daraja, half set up\nMPESA_CONSUMER_KEY=abc123\nMPESA_ENVIRONMENT=sandbox\nRECONCILE_INTERVAL_MS=often\nLOG_LEVEL=chatty\n',
      );
      // LOG_LEVEL is set in the environment too: that value wins, so it is not reported.
      const app = start(framework, { DATA_DIR: 'memory', LOG_LEVEL: 'warn' }, cwd);
      expect(await app.exited).toBe(1);
      const out = app.output();
      expect(out).not.toMatch(STACK);
      expect(out).toMatch(/^Cannot start: \d+ settings are missing or invalid for the real Daraja/m);
      for (const variable of [
        'MPESA_CONSUMER_SECRET',
        'MPESA_SHORTCODE',
        'MPESA_PASSKEY',
        'PUBLIC_URL',
        'CALLBACK_SECRET',
        'RECONCILE_INTERVAL_MS',
      ]) {
        expect(out).toMatch(new RegExp(`^  - ${variable}: \\S`, 'm'));
      }
      expect(out).not.toContain('LOG_LEVEL');
      expect(out).not.toContain('abc123'); // no value of a credential is echoed
      expect(out).toContain('or unset the MPESA_* variables to use the simulator');
    },
    START_TIMEOUT_MS,
  );
});

describe('.env on embedded defaults', () => {
  it('starts with the settings of ./.env, naming (not showing) them', async () => {
    const cwd = tempDir('daraja-env-ok-');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    writeFileSync(join(cwd, '.env'), `PORT=${port}\nDATA_DIR=memory\n`);
    const app = start('express', {}, cwd);
    expect(await app.listening()).toBe(`http://127.0.0.1:${port}`);
    expect(app.output()).toMatch(/^Settings from .env: (PORT, DATA_DIR|DATA_DIR, PORT)$/m);
    app.kill();
    expect(await app.exited, app.output()).toBe(0);
  }, 60_000);
});

describe('configFromEnv', () => {
  it('reports every invalid setting in one SettingsError', () => {
    let error: unknown;
    try {
      configFromEnv({ PORT: '99999', RATE_LIMIT_WINDOW_MS: '0', DATABASE_QUERY_TIMEOUT_MS: '-1' }, 'x');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).issues.map((i) => i.variable)).toEqual([
      'PORT',
      'DATABASE_QUERY_TIMEOUT_MS',
      'RATE_LIMIT_WINDOW_MS',
    ]);
    // A secret without its key is not a silent fall-back to the simulator.
    expect(() => configFromEnv({ MPESA_CONSUMER_SECRET: 's' }, 'x')).toThrow(/MPESA_CONSUMER_KEY/);
    // Complete real-Daraja settings pass.
    expect(
      configFromEnv(
        {
          MPESA_ENVIRONMENT: 'sandbox',
          MPESA_CONSUMER_KEY: 'k',
          MPESA_CONSUMER_SECRET: 's',
          MPESA_SHORTCODE: '174379',
          MPESA_PASSKEY: 'p',
          PUBLIC_URL: 'https://pay.example.com',
          CALLBACK_SECRET: 'x'.repeat(32),
        },
        'x',
      ).publicUrl,
    ).toBe('https://pay.example.com');
  });
});

describe('two apps on one PGlite folder', () => {
  it('the second refuses to start; a lock left by a killed process is taken over', async () => {
    const dataDir = join(tempDir('daraja-lock-'), 'data');
    const env = { PORT: '0', DATA_DIR: dataDir };
    const first = start('express', env);
    await first.listening();
    const owner = JSON.parse(readFileSync(`${dataDir}.lock`, 'utf8')).pid as number;

    const second = start('fastify', env);
    expect(await second.exited).toBe(1);
    expect(second.output().trim()).toBe(
      `The data folder ${dataDir} is in use by another running app (pid ${owner}); PGlite allows one process per folder. Stop the other process, or start this one with another folder, e.g. DATA_DIR=${dataDir}-2.`,
    );
    expect(second.output()).not.toMatch(STACK);

    first.kill('SIGKILL'); // no clean-up: the lock file stays behind
    await first.exited;
    expect(existsSync(`${dataDir}.lock`)).toBe(true);

    const third = start('express', env);
    const url = await third.listening();
    expect((await fetch(`${url}/api/plans`)).status).toBe(200);
    third.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(existsSync(`${dataDir}.lock`)).toBe(false); // released on exit
  }, 120_000);

  it.skipIf(process.platform !== 'linux')(
    'a lock whose pid now belongs to another program is taken over',
    async () => {
      const dataDir = join(tempDir('daraja-lock-reused-'), 'data');
      const other = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: other.pid, since: new Date().toISOString() }));
        const app = start('express', { PORT: '0', DATA_DIR: dataDir });
        await app.listening();
        expect(JSON.parse(readFileSync(`${dataDir}.lock`, 'utf8')).pid).not.toBe(other.pid);
        app.kill();
        expect(await app.exited).toBe(0);
      } finally {
        other.kill('SIGKILL');
      }
    },
    60_000,
  );
});
