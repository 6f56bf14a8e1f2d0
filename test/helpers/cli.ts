import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { run } from '../../src/cli/run.js';
import { scanForLeaks } from './leak-scan.js';
import { testLogger } from './logger.js';

/**
 * The working directory of in-process runs unless a test gives one: a directory without a `.env`, so that
 * no `.env` a developer keeps in the repository leaks into a test (one directory, reused by every run).
 */
export const EMPTY_CWD = join(tmpdir(), 'daraja-cli-cwd-without-env');
mkdirSync(EMPTY_CWD, { recursive: true });

/** What one in-process run of the `daraja` command printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Every access token Daraja (or the simulator) issued during the run. */
  tokens: string[];
}

/** Options of {@link runDaraja}. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Extra context, e.g. `loadPg` or `signals`. */
  context?: Partial<CliContext>;
  /** Called on every stdout write. */
  onStdout?: (all: string) => void;
}

/**
 * Run `daraja <argv>` in-process, with a fetch that records the access tokens handed out (so tests can
 * check none is printed) and the capturing logger (so the log scan checks the SDK's logs too).
 */
export async function runDaraja(argv: string[], options: RunOptions = {}): Promise<CliRun> {
  const result: CliRun = { code: -1, stdout: '', stderr: '', tokens: [] };
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    if (url.includes('/oauth/')) {
      try {
        const body = (await response.clone().json()) as { access_token?: unknown };
        if (typeof body.access_token === 'string') result.tokens.push(body.access_token);
      } catch {
        // not JSON: no token
      }
    }
    return response;
  };
  result.code = await run(argv, {
    env: options.env ?? {},
    stdout: (text) => {
      result.stdout += text;
      options.onStdout?.(result.stdout);
    },
    stderr: (text) => {
      result.stderr += text;
    },
    fetch: recordingFetch,
    logger: testLogger,
    signals: new EventEmitter() as unknown as Pick<NodeJS.Process, 'once' | 'off'>,
    cwd: EMPTY_CWD,
    ...options.context,
  });
  return result;
}

/** Nothing secret in what a run printed: no credential, passkey, STK password, token or full phone number. */
export function expectNoLeaks(result: CliRun, ...alsoSecret: string[]): void {
  const text = `${result.stdout}\n${result.stderr}`;
  expect(scanForLeaks([text])).toEqual([]);
  for (const secret of [...result.tokens, ...alsoSecret]) expect(text).not.toContain(secret);
}

/** Parse stdout as exactly one JSON object (nothing else may be on stdout). */
export function parseJson<T = Record<string, unknown>>(result: CliRun): T {
  const text = result.stdout.trim();
  expect(text.startsWith('{') && text.endsWith('}'), `stdout is one JSON object:\n${result.stdout}`).toBe(
    true,
  );
  return JSON.parse(text) as T;
}
