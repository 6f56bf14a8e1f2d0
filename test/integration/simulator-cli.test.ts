import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { CLI_DEFAULT_PORT, parseCliArgs, runCli, USAGE } from '../../src/cli/sim.js';
import { darajaTimestamp, stkPassword } from '../../src/index.js';
import { SIMULATOR_DEFAULTS } from '../../src/simulator/index.js';

const root = resolve(import.meta.dirname, '../..');
const URL_LINE = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

function fakeIo() {
  const io = { out: '', err: '', signals: new EventEmitter() };
  return {
    io,
    cli: {
      stdout: (t: string) => {
        io.out += t;
        io.signals.emit('stdout');
      },
      stderr: (t: string) => {
        io.err += t;
      },
      signals: io.signals as unknown as Pick<NodeJS.Process, 'once' | 'off'>,
    },
  };
}

/** Resolves with the first match of `pattern` in the growing text `read()`. */
function waitForText(read: () => string, events: EventEmitter, event: string, pattern: RegExp) {
  return new Promise<RegExpExecArray>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no ${pattern} in output:\n${read()}`)), 10_000);
    const check = () => {
      const m = pattern.exec(read());
      if (!m) return;
      clearTimeout(timer);
      events.off(event, check);
      done(m);
    };
    events.on(event, check);
    check();
  });
}

describe('daraja-sim arguments', () => {
  it('parses every flag', () => {
    expect(
      parseCliArgs([
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--callback-delay-ms',
        '5',
        '--late-callback-delay-ms',
        '50',
        '--mode',
        'manual',
        '--prompt-timeout-ms',
        '60000',
      ]),
    ).toEqual({
      help: false,
      options: {
        port: 0,
        host: '0.0.0.0',
        callbackDelayMs: 5,
        lateCallbackDelayMs: 50,
        mode: 'manual',
        promptTimeoutMs: 60_000,
      },
    });
    expect(parseCliArgs([])).toEqual({ help: false, options: { port: CLI_DEFAULT_PORT } });
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
    expect(parseCliArgs(['-h'])).toEqual({ help: true });
    expect(parseCliArgs(['--accept-any-credential'])).toEqual({
      help: false,
      options: { port: CLI_DEFAULT_PORT, credentialCheck: 'any' },
    });
  });

  it.each([
    [['--port', 'abc']],
    [['--mode', 'sometimes']],
    [['--callback-delay-ms', '-1']],
    [['--colour', 'blue']],
    [['positional']],
  ])('rejects %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
  });

  it('--help prints the usage and exits 0; a bad flag prints it to stderr and exits 2', async () => {
    const help = fakeIo();
    expect(await runCli(['--help'], help.cli)).toBe(0);
    expect(help.io.out).toBe(USAGE);
    expect(USAGE).toMatch(/--callback-delay-ms/);
    const bad = fakeIo();
    expect(await runCli(['--mode', 'x'], bad.cli)).toBe(2);
    expect(bad.io.err).toMatch(/--mode must be "auto" or "manual"/);
    expect(bad.io.err).toContain('Usage: daraja-sim');
  });
});

describe('daraja-sim in-process', () => {
  it('prints the URL and MPESA_* variables, logs masked requests, and stops on SIGINT', async () => {
    const { io, cli } = fakeIo();
    const exit = runCli(['--port', '0', '--callback-delay-ms', '1'], cli);
    const [, url] = await waitForText(() => io.out, io.signals, 'stdout', URL_LINE);
    for (const line of [
      `MPESA_BASE_URL=${url}`,
      `MPESA_CONSUMER_KEY=${SIMULATOR_DEFAULTS.consumerKey}`,
      `MPESA_CONSUMER_SECRET=${SIMULATOR_DEFAULTS.consumerSecret}`,
      'MPESA_SHORTCODE=174379',
      `MPESA_PASSKEY=${SIMULATOR_DEFAULTS.passkey}`,
      '..01  cancelled',
      `MPESA_INITIATOR_NAME=${SIMULATOR_DEFAULTS.initiatorName}`,
      `MPESA_INITIATOR_SHORTCODE=${SIMULATOR_DEFAULTS.initiatorShortcode}`,
      `with the certificate from GET ${url}/simulator/initiator`,
      '..02  queue-timeout',
      '..08  unregistered-customer',
    ]) {
      expect(io.out).toContain(line);
    }
    const credential = /MPESA_SECURITY_CREDENTIAL=([A-Za-z0-9+/]{340,}={0,2})\n/.exec(io.out)?.[1];
    expect(credential).toBeDefined();

    const basic = Buffer.from(`${SIMULATOR_DEFAULTS.consumerKey}:${SIMULATOR_DEFAULTS.consumerSecret}`);
    const oauth = await fetch(`${url}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: { authorization: `Basic ${basic.toString('base64')}` },
    });
    const { access_token: token } = (await oauth.json()) as { access_token: string };
    const timestamp = darajaTimestamp();
    const password = stkPassword('174379', SIMULATOR_DEFAULTS.passkey, timestamp);
    const push = await fetch(`${url}/mpesa/stkpush/v1/processrequest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        BusinessShortCode: 174379,
        Password: password,
        Timestamp: timestamp,
        TransactionType: 'CustomerPayBillOnline',
        Amount: 1,
        PartyA: '254712345605',
        PartyB: '174379',
        PhoneNumber: '254712345605',
        CallBackURL: 'http://127.0.0.1:9/cb',
        AccountReference: 'CLI',
      }),
    });
    expect(push.status).toBe(200);
    await waitForText(() => io.out, io.signals, 'stdout', /stk result decided/);
    expect(io.out).toContain('2547****5605');
    expect(io.out).not.toContain('254712345605');
    expect(io.out).not.toContain(token);
    expect(io.out).not.toContain(password);

    // The printed credential is one the simulator accepts, and it is never logged.
    const balance = await fetch(`${url}/mpesa/accountbalance/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        Initiator: SIMULATOR_DEFAULTS.initiatorName,
        SecurityCredential: credential,
        CommandID: 'AccountBalance',
        PartyA: SIMULATOR_DEFAULTS.initiatorShortcode,
        IdentifierType: '4',
        Remarks: 'CLI',
        QueueTimeOutURL: 'http://127.0.0.1:9/timeout',
        ResultURL: 'http://127.0.0.1:9/result',
      }),
    });
    expect(balance.status).toBe(200);
    await waitForText(() => io.out, io.signals, 'stdout', /request processed/);
    const { operations } = (await (await fetch(`${url}/simulator/operations`)).json()) as {
      operations: Array<{ credentialValid: boolean; resultCode: string }>;
    };
    expect(operations).toEqual([expect.objectContaining({ credentialValid: true, resultCode: '0' })]);
    expect(io.out.split(credential!)).toHaveLength(2);

    io.signals.emit('SIGINT');
    expect(await exit).toBe(0);
    expect(io.out).toContain('daraja-sim: SIGINT received, stopping\n');
    expect(io.out.endsWith('daraja-sim: stopped\n')).toBe(true);
    expect(io.signals.listenerCount('SIGINT') + io.signals.listenerCount('SIGTERM')).toBe(0);
    await expect(fetch(`${url}/oauth/v1/generate`)).rejects.toThrow();
  });

  it('a port in use: exits 1 with the reason', async () => {
    const first = fakeIo();
    const running = runCli(['--port', '0'], first.cli);
    const [, url] = await waitForText(() => first.io.out, first.io.signals, 'stdout', URL_LINE);
    const second = fakeIo();
    expect(await runCli(['--port', new URL(url!).port], second.cli)).toBe(1);
    expect(second.io.err).toMatch(/could not start: .*EADDRINUSE/);
    first.io.signals.emit('SIGTERM');
    expect(await running).toBe(0);
  });
});

describe('daraja-sim as a process', () => {
  // The bin bundled from source with esbuild (no `npm run build`, which another test file runs in
  // parallel): a real process that must print its URL and exit 0 on SIGTERM.
  let dir: string;
  let bin: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'daraja-sim-bin-'));
    bin = join(dir, 'daraja-sim.mjs');
    await build({
      entryPoints: [join(root, 'src/cli/sim-bin.ts')],
      outfile: bin,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      absWorkingDir: root,
      // As tsup does for the published build: VERSION comes from package.json.
      define: {
        __DARAJA_SDK_VERSION__: JSON.stringify(
          JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
        ),
      },
    });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps its shebang, prints its URL, and exits 0 on SIGTERM', async () => {
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    const proc = spawn(process.execPath, [bin, '--port', '0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let out = '';
    let err = '';
    proc.stdout!.setEncoding('utf8').on('data', (t: string) => {
      out += t;
    });
    proc.stderr!.setEncoding('utf8').on('data', (t: string) => {
      err += t;
    });
    const exited = new Promise<number | null>((done) => proc.on('exit', (code) => done(code)));
    const [, url] = await waitForText(() => out, proc.stdout!, 'data', URL_LINE);
    const answer = await fetch(`${url}/oauth/v1/generate?grant_type=client_credentials`);
    expect(answer.status).toBe(400); // it answers like Daraja: no Basic header
    proc.kill('SIGTERM');
    const started = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(out).toContain('daraja-sim: stopped');
    expect(err).toBe('');
  });
});
