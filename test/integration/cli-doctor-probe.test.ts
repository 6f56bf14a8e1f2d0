// daraja doctor --callback-url: a probe of the app's callback route, against real HTTP servers on this
// machine (a real payment flow behind Express, and routes that get it wrong).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeUrl } from '../../src/cli/callback-probe.js';
import { EXIT_CODES } from '../../src/cli/context.js';
import type { DoctorReport } from '../../src/cli/doctor.js';
import { createPaymentFlow, MemoryPaymentStore, type PaymentFlowOptions } from '../../src/index.js';
import { CALLBACK_PROBE_PARAM, callbackProbeBody } from '../../src/payments/probe.js';
import type { Simulator } from '../../src/simulator/index.js';
import { CALLBACK_SECRET } from '../fixtures/constants.js';
import { expectNoLeaks, parseJson, runDaraja } from '../helpers/cli.js';
import { makeClient, startManualSimulator } from '../helpers/client.js';
import { testLogger } from '../helpers/logger.js';

let sim: Simulator;
const servers: Server[] = [];

beforeAll(async () => {
  sim = await startManualSimulator();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});
afterAll(async () => {
  await sim?.close();
});

const env = () => ({ ...sim.env });

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An Express app whose callback route runs a real payment flow, as the README shows it. */
async function flowApp(options: { bodyParser?: boolean; flow?: Partial<PaymentFlowOptions> } = {}) {
  const seen: string[] = [];
  const app = express();
  let base = '';
  const flow = () =>
    createPaymentFlow({
      daraja: makeClient({ baseUrl: sim.url }),
      store: new MemoryPaymentStore(),
      callbackUrl: `${base}/api/payments/callback`,
      callbackSecret: CALLBACK_SECRET,
      allowedIps: ['127.0.0.1'],
      onCompleted: () => {},
      logger: testLogger,
      ...options.flow,
    });
  let payments: ReturnType<typeof flow> | undefined;
  const route: express.RequestHandler = async (req, res) => {
    seen.push(req.originalUrl);
    payments ??= flow();
    const ack = await payments.handleCallback({
      body: req.body,
      url: req.originalUrl,
      remoteAddress: req.socket.remoteAddress,
      headers: req.headers,
    });
    res.status(ack.status).json(ack.body);
  };
  if (options.bodyParser === false) app.post('/api/payments/callback', route);
  else app.post('/api/payments/callback', express.json(), route);
  base = await listen(createServer(app));
  return { url: `${base}/api/payments/callback`, seen };
}

/** A plain server that answers every request the same way, and records the URLs it saw. */
async function fixedServer(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ base: string; seen: Array<{ method: string; url: string; body: string }> }> {
  const seen: Array<{ method: string; url: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      answer(req, res);
    });
  });
  return { base: await listen(server), seen };
}

const probeCheck = (report: DoctorReport) => report.checks.find((c) => c.name === 'callback-probe')!;

describe('daraja doctor --callback-url against a real payment flow', () => {
  it('Express with express.json() and remoteAddress: ok, with the address the flow saw and the allow-list', async () => {
    const app = await flowApp();
    const url = `${app.url}?tag=abcdefabcdefabcdef`;
    const result = await runDaraja(['doctor', '--callback-url', url], { env: env() });
    expect(result.code).toBe(EXIT_CODES.ok);
    const shown = `${app.url}?tag=***`;
    expect(result.stdout).toContain(
      `ok       callback-probe: ${shown}: the payment flow took the probe (body parsed, client address 127.0.0.1, allow-list on (this address passes))\n`,
    );
    expect(result.stdout).toMatch(/\n {11}the app runs daraja-sdk \S+\n/);
    expect(result.stdout).not.toContain('abcdefabcdefabcdef');
    expect(app.seen).toHaveLength(1);
    expect(app.seen[0]).toMatch(/^\/api\/payments\/callback\?tag=abcdefabcdefabcdef&daraja_probe=[a-z]{24}$/);
    expect(result.stdout).not.toContain(app.seen[0]!.split('=').at(-1));
    expectNoLeaks(result);

    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--json', '--callback-url', app.url], { env: env() }),
    );
    expect(report.callbackProbe).toMatchObject({
      url: app.url,
      outcome: 'through-flow',
      httpStatus: 200,
      probe: {
        body: 'parsed',
        remoteAddress: 'present',
        clientAddress: '127.0.0.1',
        allowedIps: 'allowed',
        verdict: 'ok',
        problems: [],
      },
    });
    expect(report.callbackProbe!.probe).not.toHaveProperty('nonce');
    expect(probeCheck(report).status).toBe('ok');
  });

  it('the same route without a body parser: invalid_body, with its fix; exit 1', async () => {
    const app = await flowApp({ bodyParser: false });
    const result = await runDaraja(['doctor', '--callback-url', app.url], { env: env() });
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stdout).toMatch(
      /FAIL\s+callback-probe: \S+: the payment flow answered, but would reject Daraja's callbacks \(invalid_body; body missing, /,
    );
    expect(result.stdout).toMatch(/\n {11}fix: invalid_body: No body reached handleCallback: /);
    expect(result.stdout).toMatch(/Not ready: failed: callback-probe \(exit code 1\)/);
    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--json', '--callback-url', app.url], { env: env() }),
    );
    expect(report.callbackProbe!.probe).toMatchObject({
      body: 'missing',
      verdict: 'misconfigured',
      problems: [{ reason: 'invalid_body' }],
    });
  });

  it("the default allow-list with a local client address: ip_not_allowed, the flow's fix", async () => {
    const app = await flowApp({ flow: { allowedIps: undefined } });
    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--json', '--callback-url', app.url], { env: env() }),
    );
    expect(report.exitCode).toBe(EXIT_CODES.failed);
    expect(report.callbackProbe!.probe).toMatchObject({
      allowedIps: 'rejected',
      verdict: 'misconfigured',
      problems: [{ reason: 'ip_not_allowed' }],
    });
    expect(probeCheck(report).fix).toMatch(/^ip_not_allowed: .*trustedProxies/);
  });
});

describe('daraja doctor --callback-url: routes that do not reach a flow', () => {
  it('nothing listens there: the URL does not reach the app; exit 1', async () => {
    const { base } = await fixedServer((_req, res) => res.end());
    await new Promise((done) => servers.pop()!.close(done));
    const result = await runDaraja(['doctor', '--callback-url', `${base}/cb`], { env: env() });
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stdout).toContain(
      `FAIL     callback-probe: ${base}/cb does not reach the app: connection refused: nothing listens at this host and port\n`,
    );
    expect(result.stdout).toMatch(
      /fix: Is the app running and listening on that host and port\? If the URL goes through a tunnel/,
    );
    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--json', '--callback-url', `${base}/cb`], { env: env() }),
    );
    expect(report.callbackProbe).toMatchObject({ outcome: 'unreachable', error: { code: 'ECONNREFUSED' } });
  });

  it('a host that does not resolve: says so', async () => {
    // No DNS query leaves the test: the fetch fails as undici does for an unknown host.
    const unresolved = Object.assign(new Error('getaddrinfo ENOTFOUND shop.example.com'), {
      code: 'ENOTFOUND',
    });
    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--json', '--callback-url', 'https://shop.example.com/cb'], {
        env: env(),
        context: {
          fetch: async (input, init) =>
            String(input).startsWith(sim.url)
              ? fetch(input, init)
              : Promise.reject(new TypeError('fetch failed', { cause: unresolved })),
        },
      }),
    );
    expect(probeCheck(report)).toMatchObject({ status: 'failed' });
    expect(probeCheck(report).message).toBe(
      'https://shop.example.com/cb does not reach the app: the host name does not resolve',
    );
    expect(probeCheck(report).fix).toMatch(/^Fix the host name\. With a tunnel/);
  });

  it.each([
    [404, /answered HTTP 404 \(the route is missing\)/, /No route answers POST at this path/],
    [500, /answered HTTP 500 \(the route is failing\)/, /look in the app's log/],
    [502, /answered HTTP 502 \(the route is failing\)/, /A proxy or tunnel answered 502/],
    [403, /answered HTTP 403 \(the route refuses the callback\)/, /keep the callback route public/],
  ])('HTTP %i: an error with the likely fix', async (status, message, fix) => {
    const server = await fixedServer((_req, res) => {
      res.statusCode = status;
      res.end('nope');
    });
    const result = await runDaraja(['doctor', '--json', '--callback-url', `${server.base}/cb`], {
      env: env(),
    });
    expect(result.code).toBe(EXIT_CODES.failed);
    const report = parseJson<DoctorReport>(result);
    expect(probeCheck(report)).toMatchObject({ status: 'failed' });
    expect(probeCheck(report).message).toMatch(message);
    expect(probeCheck(report).fix).toMatch(fix);
    expect(report.callbackProbe).toMatchObject({ outcome: 'http-error', httpStatus: status });
  });

  it('a redirect is not followed: an error naming where it points (query values hidden)', async () => {
    const server = await fixedServer((_req, res) => {
      res.writeHead(301, { location: 'https://shop.example.com/cb/?token=secretsecret' }).end();
    });
    const result = await runDaraja(['doctor', '--callback-url', `${server.base}/cb`], { env: env() });
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stdout).toMatch(
      /answered HTTP 301 \(a redirect to https:\/\/shop\.example\.com\/cb\/\?token=\*\*\*\)/,
    );
    expect(result.stdout).not.toContain('secretsecret');
    expect(server.seen).toHaveLength(1);
  });

  it('200 with the plain ack and no probe: answers, but not through createPaymentFlow().handleCallback', async () => {
    const server = await fixedServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ResultCode: 0, ResultDesc: 'Accepted' }));
    });
    const result = await runDaraja(['doctor', '--callback-url', `${server.base}/cb?a=1`], { env: env() });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toContain(
      `warn     callback-probe: ${server.base}/cb?a=*** answers HTTP 200, but not through createPaymentFlow().handleCallback: the answer has no probe report\n`,
    );
    expect(result.stdout).toMatch(
      /fix: Route the callback through createPaymentFlow\(\.\.\.\)\.handleCallback and answer/,
    );
    expect(result.stdout).toMatch(/All checks passed \(1 with warnings\)\./);
    // The probe: a POST of the probe body, the nonce appended to the existing query string.
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]!.method).toBe('POST');
    expect(server.seen[0]!.url).toMatch(/^\/cb\?a=1&daraja_probe=[a-z]{24}$/);
    expect(JSON.parse(server.seen[0]!.body)).toEqual(callbackProbeBody());
    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--json', '--callback-url', `${server.base}/cb`], { env: env() }),
    );
    expect(report.callbackProbe).toMatchObject({ outcome: 'not-through-flow', httpStatus: 200 });
    expect(server.seen[1]!.url).toMatch(/^\/cb\?daraja_probe=[a-z]{24}$/);
  });

  it('without --callback-url no probe is sent (MPESA_CALLBACK_URL alone is only checked)', async () => {
    const server = await fixedServer((_req, res) => res.end());
    const report = parseJson<DoctorReport>(
      await runDaraja(['doctor', '--json'], { env: { ...env(), MPESA_CALLBACK_URL: `${server.base}/cb` } }),
    );
    expect(report.checks.map((c) => c.name)).not.toContain('callback-probe');
    expect(report).not.toHaveProperty('callbackProbe');
    expect(server.seen).toHaveLength(0);
  });
});

describe('probeUrl', () => {
  it('appends the nonce whatever the query string looks like, and drops a fragment', () => {
    const p = CALLBACK_PROBE_PARAM;
    expect(probeUrl('https://a.example/cb', 'n')).toBe(`https://a.example/cb?${p}=n`);
    expect(probeUrl('https://a.example/cb?', 'n')).toBe(`https://a.example/cb?${p}=n`);
    expect(probeUrl('https://a.example/cb?x=1', 'n')).toBe(`https://a.example/cb?x=1&${p}=n`);
    expect(probeUrl('https://a.example/cb?x=1&', 'n')).toBe(`https://a.example/cb?x=1&${p}=n`);
    expect(probeUrl('https://a.example/cb?x=a%20b#frag', 'n')).toBe(`https://a.example/cb?x=a%20b&${p}=n`);
  });
});
