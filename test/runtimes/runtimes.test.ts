// The main entry on the web runtimes users deploy to: Bun, Deno and Cloudflare's workerd, each installed
// from the npm registry (devDependencies `bun`, `deno`, `workerd`). One app (test/runtimes/app.ts), bundled
// by esbuild for the browser platform (a Node built-in would fail the bundle), pushes an STK prompt
// through the payment flow to the simulator over real HTTP, takes the simulator's callback through
// `createWebCallbackHandler`, and answers a status check; a second payment whose callback never comes is
// repaired by the status check's STK query.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { testLogger } from '../helpers/logger.js';

const root = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const CREDENTIALS = {
  CONSUMER_KEY: 'runtime-consumer-key',
  CONSUMER_SECRET: 'runtime-consumer-secret',
  SHORTCODE: '174379',
  PASSKEY: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
};

let dir: string;
let sim: Simulator;
let nodeBuiltins: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'daraja-runtimes-'));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const result = await build({
    entryPoints: [join(root, 'test/runtimes/app.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outfile: join(dir, 'app.mjs'),
    define: { __DARAJA_SDK_VERSION__: JSON.stringify(version) },
    metafile: true,
    logLevel: 'silent',
  });
  // platform 'browser' fails the build on a Node built-in it must resolve; one marked external would
  // show up here.
  nodeBuiltins = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((i) => i.external).map((i) => i.path),
  );
  for (const entry of ['bun-entry.mjs', 'deno-entry.mjs', 'workerd-entry.mjs']) {
    writeFileSync(join(dir, entry), readFileSync(join(root, 'test/runtimes', entry)));
  }
  sim = await createSimulator({
    consumerKey: CREDENTIALS.CONSUMER_KEY,
    consumerSecret: CREDENTIALS.CONSUMER_SECRET,
    shortcode: CREDENTIALS.SHORTCODE,
    passkey: CREDENTIALS.PASSKEY,
    callbackDelayMs: 50,
    logger: testLogger,
  });
}, 60_000);

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function workerdConfig(port: number, env: Record<string, string>): string {
  const bindings = Object.entries(env)
    .map(([name, value]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`)
    .join(', ');
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "entry", esModule = embed "workerd-entry.mjs"),
    (name = "./app.mjs", esModule = embed "app.mjs"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [${bindings}],
);
`;
}

const RUNTIMES = [
  {
    name: 'Bun',
    binary: bin('bun'),
    command: (entry: string) => [bin('bun'), ['run', entry]] as const,
    entry: 'bun-entry.mjs',
  },
  {
    name: 'Deno',
    binary: bin('deno'),
    command: (entry: string) => [bin('deno'), ['run', '--allow-net', '--allow-env', entry]] as const,
    entry: 'deno-entry.mjs',
  },
  {
    name: 'workerd',
    binary: bin('workerd'),
    command: (config: string) => [bin('workerd'), ['serve', config]] as const,
    entry: 'workerd.capnp',
  },
] as const;

interface Started {
  url: string;
  child: ChildProcess;
  output: () => string;
}

async function startRuntime(runtime: (typeof RUNTIMES)[number]): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...CREDENTIALS, SIMULATOR_URL: sim.url, PUBLIC_URL: url, PORT: String(port) };
  if (runtime.name === 'workerd') writeFileSync(join(dir, 'workerd.capnp'), workerdConfig(port, env));
  const [command, args] = runtime.command(join(dir, runtime.entry));
  const child = spawn(command, [...args], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: dir,
      DENO_NO_UPDATE_CHECK: '1',
      DENO_NO_PROMPT: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  // Ready when it answers HTTP (workerd prints nothing when it listens).
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${runtime.name} exited (${child.exitCode}):\n${output}`);
    const ready = await fetch(`${url}/payment?id=none`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, child, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${runtime.name} did not answer on ${url} within 20 s:\n${output}`);
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  return (await response.json()) as Record<string, unknown>;
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 150; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)} after 15 s`);
}

it('bundles the main entry for the browser platform with no Node built-in', () => {
  expect(nodeBuiltins).toEqual([]);
});

for (const runtime of RUNTIMES) {
  const missing = existsSync(runtime.binary)
    ? undefined
    : `${runtime.binary} is not installed (npm ci installs it)`;
  if (missing) console.warn(`Skipping the ${runtime.name} runtime test: ${missing}`);
  describe.skipIf(missing !== undefined)(`on ${runtime.name} (from the npm registry)`, () => {
    let app: Started;
    beforeAll(async () => {
      app = await startRuntime(runtime);
    }, 30_000);
    afterAll(() => {
      app?.child.kill('SIGKILL');
    });

    it('pushes, takes the callback through the web-standard handler, fulfils once, and answers a status check', async () => {
      const started = await fetch(`${app.url}/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ownerId: 'user-1', phoneNumber: '0708374149', amount: 10 }),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
      expect(started, app.output()).toMatchObject({ outcome: 'sent', status: 'pending' });
      const id = String(started['paymentId']);
      const paid = await until(
        `${runtime.name}: payment ${id}`,
        () => getJson(`${app.url}/payment?id=${id}`),
        (p) => p['status'] === 'completed' && p['fulfilled'] === 1,
      );
      expect(paid['receipt']).toMatch(/^[A-Z0-9]{10}$/);
      expect(String(paid['runtime']).toLowerCase()).toContain(runtime.name.toLowerCase());
      expect(await getJson(`${app.url}/status?id=${id}&owner=user-1`)).toEqual({ status: 'completed' });
      // Another owner learns nothing.
      expect(await getJson(`${app.url}/status?id=${id}&owner=user-2`)).toEqual({ status: null });
      await new Promise((r) => setTimeout(r, 200));
      expect((await getJson(`${app.url}/payment?id=${id}`))['fulfilled']).toBe(1);
    });

    it('repairs a lost callback: the status check queries Daraja and settles the payment', async () => {
      // Phone numbers ending in 05: paid, and the simulator never sends the callback.
      const started = await fetch(`${app.url}/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ownerId: 'user-1', phoneNumber: '0708374105', amount: 10 }),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
      expect(started, app.output()).toMatchObject({ outcome: 'sent' });
      const id = String(started['paymentId']);
      await until(
        `${runtime.name}: status check of ${id}`,
        () => getJson(`${app.url}/status?id=${id}&owner=user-1`),
        (s) => s['status'] === 'completed',
      );
      await until(
        `${runtime.name}: fulfilment of ${id}`,
        () => getJson(`${app.url}/payment?id=${id}`),
        (p) => p['fulfilled'] === 1,
      );
    });
  });
}
