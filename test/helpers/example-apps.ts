import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll } from 'vitest';
import { startExpressApp } from '../../examples/express/app.js';
import { startFastifyApp } from '../../examples/fastify/app.js';
import { startHonoApp } from '../../examples/hono/app.js';
import { type AppConfig, configFromEnv } from '../../examples/shared/config.js';
import type { RunningApp } from '../../examples/shared/running-app.js';
import { testLogger } from './logger.js';
import { DATABASE_URL } from './stores.js';

/**
 * Starts the Next.js example in this process, building it first when its sources changed (the build is
 * cached in examples/nextjs/.next, keyed by a hash of the sources: one build per change, shared by the
 * test files running in parallel). Imported on first use: loading Next.js costs seconds.
 */
async function startNextjs(config: AppConfig): Promise<RunningApp> {
  const { ensureNextBuild } = await import('../../examples/nextjs/build.js');
  await ensureNextBuild();
  const { startNextjsApp } = await import('../../examples/nextjs/app.js');
  return startNextjsApp(config);
}

/** The example adapters: `dir` is their folder under examples/. */
export const FRAMEWORKS = [
  { name: 'Express', dir: 'express', start: startExpressApp },
  { name: 'Fastify', dir: 'fastify', start: startFastifyApp },
  { name: 'Hono', dir: 'hono', start: startHonoApp },
  { name: 'Next.js', dir: 'nextjs', start: startNextjs },
] as const;

/**
 * The adapters that start in a second or so. Next.js needs a build and starts in seconds; its routes are
 * examples/shared/web.ts, which Hono's suites test everywhere, so only the end-to-end and browser suites
 * run it.
 */
export const QUICK_FRAMEWORKS = FRAMEWORKS.filter((f) => f.name !== 'Next.js');

/** How long a suite's `beforeAll` may take to start an app: a Next.js build on a busy machine is slow. */
export const START_TIMEOUT_MS = 300_000;

/** The databases the example tests run on: PGlite always, the PostgreSQL server when DATABASE_URL is set. */
export const DATABASES = [
  { name: 'PGlite', skip: undefined },
  {
    name: 'PostgreSQL server',
    skip: DATABASE_URL ? undefined : 'DATABASE_URL is not set; .ci/run starts PostgreSQL and sets it.',
  },
] as const;

const schemas: string[] = [];
afterAll(async () => {
  if (!DATABASE_URL || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  for (const s of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.end();
});

/** A fresh schema name on the PostgreSQL server, dropped after the test file. */
export function newSchema(): string {
  const schema = `ex_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

/**
 * Start an example app on a free port, on embedded defaults (simulator in-process), for tests. The
 * initiate rate limits are set high (tests that test them pass their own), since the end-to-end tests
 * start many payments from one user and one phone within a minute.
 */
export async function startExample(
  framework: (typeof FRAMEWORKS)[number],
  database: (typeof DATABASES)[number]['name'],
  overrides: Partial<AppConfig> = {},
): Promise<RunningApp> {
  const base = configFromEnv({}, 'test');
  const schema = database === 'PostgreSQL server' ? newSchema() : '';
  return framework.start({
    ...base,
    port: 0,
    dataDir: 'memory',
    journalDir: 'memory',
    reconcileIntervalMs: 0, // tests reconcile when they choose to
    reconcileAfterMs: 0,
    simulatorCallbackDelayMs: 20,
    initiateRateLimit: { perUser: 1000, perPhone: 1000, windowMs: 60_000 },
    logger: testLogger as AppConfig['logger'] & object,
    ...(database === 'PostgreSQL server' ? { databaseUrl: DATABASE_URL!, databaseSchema: schema } : {}),
    ...overrides,
  });
}

/** A tiny client for the example's HTTP API, acting as one of the demo users. */
export function apiFor(app: RunningApp, token = 'demo-token-alice') {
  return async (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) => {
    const auth = init.token === null ? undefined : (init.token ?? token);
    const res = await fetch(app.url + path, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      // biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON the example app answers.
      body: text ? (JSON.parse(text) as Record<string, any>) : {},
      /** The raw body, for checks that no error text leaks into it. */
      text,
      headers: res.headers,
    };
  };
}

const ROOT = resolve(import.meta.dirname, '../..');

/** An example server started as a child process, as `npm start` starts it. */
export interface ExampleProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its URL once the banner is printed; rejects if it exits first or prints nothing within 60 s. */
  listening(): Promise<string>;
  /** Its exit code (or signal) once it exits. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Send a signal to it and everything it started (its process group). */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Start `examples/<express|fastify|hono|nextjs>/server.ts` (Node with tsx's loader) in its own process group, with `env` over a
 * clean environment (no `MPESA_*`, `DATABASE_URL` or `PORT` from the test's own), in `cwd` (an empty folder
 * unless given, so no `.env` of the repository is read).
 */
export function spawnExampleServer(
  framework: (typeof FRAMEWORKS)[number]['dir'],
  env: Record<string, string>,
  cwd = mkdtempSync(join(tmpdir(), 'daraja-example-cwd-')),
): ExampleProcess {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(MPESA_|DATABASE_|PUBLIC_URL$|CALLBACK_SECRET$|PORT$|HOST$|DATA_DIR$|JOURNAL_DIR$)/.test(k),
    ),
  );
  // Node itself with tsx's loader, not the tsx command: the command relays signals to its child and
  // SIGKILLs it when the child does not acknowledge within 30 ms (seen on a loaded machine).
  const child = spawn(
    process.execPath,
    [
      '--import',
      pathToFileURL(resolve(ROOT, 'node_modules/tsx/dist/loader.mjs')).href,
      resolve(ROOT, `examples/${framework}/server.ts`),
    ],
    {
      cwd,
      env: {
        ...clean,
        TSX_TSCONFIG_PATH: resolve(ROOT, 'examples/tsconfig.json'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | NodeJS.Signals | null>((r) =>
    child.once('exit', (code, signal) => r(code ?? signal)),
  );
  return {
    child,
    output: () => output,
    exited,
    kill(signal = 'SIGTERM') {
      try {
        process.kill(-child.pid!, signal);
      } catch {}
    },
    listening: () =>
      new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${output}`)), 60_000);
        const check = () => {
          const m = /listening on (http:\/\/\S+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            listeners.delete(check);
            resolveUrl(m[1]!);
          }
        };
        listeners.add(check);
        check();
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code} before listening:\n${output}`));
        });
      }),
  };
}
