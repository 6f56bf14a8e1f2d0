import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../examples/shared/running-app.js';
import { apiFor, newSchema, QUICK_FRAMEWORKS, startExample } from '../helpers/example-apps.js';
import { captured, testLogger } from '../helpers/logger.js';
import { DATABASE_URL } from '../helpers/stores.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

// The PostgreSQL server goes away (cut: connections dropped, new ones refused) or hangs (freeze: nothing
// gets through) while an example app runs, through a TCP proxy between the two. The app must stay up,
// answer what needs no database, answer a generic 503 JSON (no PostgreSQL text) for what does, within its
// timeouts, send no STK push it cannot record, and serve everything again once the database is back.

const SKIP = DATABASE_URL
  ? undefined
  : 'DATABASE_URL is not set; .ci/run starts PostgreSQL and sets it. These tests need a server to cut off.';

/** Short timeouts, so a frozen database is an error within seconds. */
const TIMEOUTS = { connectMs: 1_000, statementMs: 1_000, queryMs: 1_500, idleMs: 60_000 };
/** What a 503 may take: the longest of the timeouts, and a margin. */
const ANSWER_WITHIN_MS = TIMEOUTS.queryMs + TIMEOUTS.connectMs + 1_500;

/** Words of PostgreSQL's, node-postgres's and Node's errors that must never be in an answer. */
const DATABASE_TEXT =
  /ECONN|terminated|timeout exceeded|read timeout|postgres|pglite|daraja_ci|127\.0\.0\.1|SQLSTATE|stack|Error:/i;

const root = resolve(import.meta.dirname, '../..');
const credentials = DATABASE_URL
  ? `${new URL(DATABASE_URL).username}:${new URL(DATABASE_URL).password}@`
  : '';

/** Fetch and time it. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (SKIP) {
  describe('example apps when PostgreSQL goes away', () => {
    it.skip(`SKIPPED: ${SKIP}`, () => {});
  });
} else {
  for (const framework of QUICK_FRAMEWORKS) {
    describe(`${framework.name} example when PostgreSQL goes away`, () => {
      let proxy: TcpProxy;
      let app: RunningApp;
      let alice: ReturnType<typeof apiFor>;
      let paymentId: string;
      beforeAll(async () => {
        proxy = await TcpProxy.forUrl(DATABASE_URL!).start();
        app = await startExample(framework, 'PostgreSQL server', {
          databaseUrl: proxy.urlFor(DATABASE_URL!),
          databaseTimeouts: TIMEOUTS,
        });
        alice = apiFor(app, 'demo-token-alice');
      }, 60_000);
      afterEach(() => proxy.restore());
      afterAll(async () => {
        await app?.service.simulator?.idle();
        await app?.close();
        await proxy?.close();
      });

      const pushes = () => app.service.simulator!.transactions.length;
      const initiate = () =>
        alice('/api/subscription/initiate-mpesa', {
          method: 'POST',
          body: { plan: 'basic', phoneNumber: '0712345678' },
        });
      /** Use the database from several requests at once, so the pool holds idle connections. */
      const warmUp = async () => {
        const answers = await Promise.all([1, 2, 3, 4].map(() => alice('/api/subscription')));
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
        expect(proxy.connections).toBeGreaterThan(0);
      };
      const expectUnavailable = (r: Awaited<ReturnType<typeof alice>>) => {
        expect(r.status, r.text).toBe(503);
        expect(r.headers.get('content-type')).toMatch(/^application\/json/);
        expect(r.body).toEqual({ error: 'unavailable', message: expect.stringMatching(/try again/i) });
        expect(r.text).not.toMatch(DATABASE_TEXT);
      };
      const expectServing = async () => {
        expect((await alice('/api/subscription')).status).toBe(200);
        const check = await alice(`/api/subscription/check-payment?paymentId=${paymentId}`);
        expect(check.status, check.text).toBe(200);
        expect(check.body['payment']).toMatchObject({ id: paymentId, status: 'completed' });
      };

      it('works through the proxy', async () => {
        const r = await initiate();
        expect(r.status, r.text).toBe(202);
        paymentId = r.body['payment'].id;
        await app.service.simulator!.idle();
        await expectServing();
      });

      it('cut: stays up, answers 503 JSON for database routes without a prompt, then serves again', async () => {
        await warmUp();
        const logStart = captured.length;
        await proxy.cut();
        // The pool's idle connections dropped: logged (masked), not a crash of this process.
        await waitFor(
          () => captured.slice(logStart).some((l) => l.includes('PostgreSQL connection lost')),
          'the connection-lost log line',
        );
        const lost = captured.slice(logStart).filter((l) => l.includes('PostgreSQL connection lost'));
        expect(lost.join('\n')).toContain('postgres://***@127.0.0.1:');
        expect(lost.join('\n')).not.toContain(credentials);

        const page = await fetch(app.url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('Subscribe with M-Pesa');
        expect((await alice('/api/plans')).status).toBe(200);

        const before = pushes();
        for (const request of [
          () => alice('/api/subscription'),
          () => alice(`/api/subscription/check-payment?paymentId=${paymentId}`),
          initiate,
        ]) {
          const { result, ms } = await timed(request);
          expectUnavailable(result);
          expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
        }
        expect(pushes()).toBe(before); // nothing sent that could not be recorded
        expect(captured.slice(logStart).some((l) => l.includes('request failed'))).toBe(true);
        expect(captured.slice(logStart).join('\n')).not.toContain(credentials);

        await proxy.restore();
        await expectServing();
        expect((await initiate()).status).toBe(202);
        await app.service.simulator!.idle();
      });

      it('freeze: answers 503 JSON within the timeouts instead of hanging, then serves again', async () => {
        await warmUp();
        await proxy.freeze();
        const before = pushes();
        for (const request of [
          () => alice('/api/subscription'), // an idle pooled connection: the query timeout
          () => alice(`/api/subscription/check-payment?paymentId=${paymentId}`),
          initiate,
        ]) {
          const { result, ms } = await timed(request);
          expectUnavailable(result);
          expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
        }
        expect(pushes()).toBe(before);
        // New connections hang too: the connect timeout.
        const burst = await timed(() => Promise.all([1, 2, 3, 4, 5].map(() => alice('/api/subscription'))));
        for (const r of burst.result) expectUnavailable(r);
        expect(burst.ms).toBeLessThan(ANSWER_WITHIN_MS * 2);

        await proxy.restore();
        await expectServing();
      });
    });
  }

  // The real entry points (`npm start`, `npm run start:fastify`, `npm run start:hono`) in a process of their own: a connection
  // dropping while idle in the pool is an `error` event, which kills a process that does not listen for it.
  for (const framework of QUICK_FRAMEWORKS) {
    describe(`${framework.name} server process when PostgreSQL goes away`, () => {
      let proxy: TcpProxy;
      let child: ChildProcess | undefined;
      const output: string[] = [];
      afterAll(async () => {
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child!.once('exit', r));
          process.kill(-child.pid!, 'SIGTERM');
          await exited;
        }
        await proxy?.close();
      });

      it('keeps running through a cut, answering 503, and serves again after restore', async () => {
        proxy = await TcpProxy.forUrl(DATABASE_URL!).start();
        const script = `examples/${framework.dir}/server.ts`;
        child = spawn(
          resolve(root, 'node_modules/.bin/tsx'),
          ['--tsconfig', 'examples/tsconfig.json', script],
          {
            cwd: root,
            env: {
              ...process.env,
              PORT: '0',
              HOST: '127.0.0.1',
              DATABASE_URL: proxy.urlFor(DATABASE_URL!),
              DATABASE_SCHEMA: newSchema(),
              DATABASE_CONNECT_TIMEOUT_MS: String(TIMEOUTS.connectMs),
              DATABASE_STATEMENT_TIMEOUT_MS: String(TIMEOUTS.statementMs),
              DATABASE_QUERY_TIMEOUT_MS: String(TIMEOUTS.queryMs),
              DATABASE_IDLE_TIMEOUT_MS: String(TIMEOUTS.idleMs),
              RECONCILE_INTERVAL_MS: '0',
              LOG_LEVEL: 'info',
              MPESA_CONSUMER_KEY: '', // and no credentials from a developer's .env: the simulator
              MPESA_CONSUMER_SECRET: '',
              MPESA_PASSKEY: '',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: true,
          },
        );
        // Every line the app prints goes through the test logger, so the leak scan reads it too.
        let pending = '';
        const collect = (chunk: Buffer) => {
          const lines = (pending + chunk.toString()).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines.filter(Boolean)) {
            output.push(line);
            testLogger.info?.({ line }, `${framework.name} server output`);
          }
        };
        child.stdout!.on('data', collect);
        child.stderr!.on('data', collect);
        const alive = () => child!.exitCode === null && child!.signalCode === null;

        await waitFor(
          () => output.some((l) => /listening on http:\/\//.test(l)) || !alive(),
          'the banner',
          60_000,
        );
        expect(alive(), output.join('\n')).toBe(true);
        const url = /listening on (http:\/\/\S+)/.exec(output.join('\n'))![1]!;
        const app = { url } as RunningApp;
        const alice = apiFor(app, 'demo-token-alice');

        const warm = await Promise.all([1, 2, 3, 4].map(() => alice('/api/subscription')));
        expect(warm.map((r) => r.status)).toEqual([200, 200, 200, 200]);
        expect(proxy.connections).toBeGreaterThan(0);

        const seen = output.length;
        await proxy.cut();
        await waitFor(
          () => output.slice(seen).some((l) => l.includes('PostgreSQL connection lost')) || !alive(),
          'the connection-lost log line',
        );
        await new Promise((r) => setTimeout(r, 300)); // a crash would land now
        expect(alive(), output.slice(seen).join('\n')).toBe(true);
        expect((await fetch(url)).status).toBe(200);
        const down = await alice('/api/subscription');
        expect(down.status, down.text).toBe(503);
        expect(down.text).not.toMatch(DATABASE_TEXT);
        expect(output.join('\n')).not.toContain(credentials);

        await proxy.restore();
        expect((await alice('/api/subscription')).status).toBe(200);
        expect(alive()).toBe(true);
      }, 90_000);
    });
  }
}
