import { format } from 'node:util';
import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DARAJA_ENV_VARS, Daraja, DarajaConfigError, type DarajaLogger } from '../../../src/index.js';
import { CONSUMER_KEY, CONSUMER_SECRET, PASSKEY, SANDBOX, SHORTCODE } from '../../fixtures/constants.js';
import { fakeDaraja, useMsw } from '../../helpers/fake-daraja.js';
import { captured } from '../../helpers/logger.js';
import { thrown } from '../../helpers/thrown.js';

// `logLevel` and `DARAJA_LOG`: the least severe level logged, to `console` when no logger is given,
// through the same redaction as any logger. Console output is added to the file's captured lines, so
// the leak scan of test/setup/log-capture.ts reads it too.

const mock = fakeDaraja();
const server = useMsw(...mock.handlers);
const QUERY = `${SANDBOX}/mpesa/stkpushquery/v1/query`;
const ID = 'ws_CO_13012021093521236557';
const base = {
  consumerKey: CONSUMER_KEY,
  consumerSecret: CONSUMER_SECRET,
  shortcode: SHORTCODE,
  passkey: PASSKEY,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 2,
};

afterEach(() => {
  vi.unstubAllEnvs();
});

/** Capture what reaches `console` at each level, as text (and into the leak-scanned lines). */
function captureConsole() {
  const lines: Array<{ level: string; text: string }> = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      const text = format(...args);
      lines.push({ level, text });
      captured.push(`console.${level} ${text}`);
    });
  }
  return lines;
}

/** One query that is retried once (a 502, then an answer): a debug line per attempt, a warn for the retry. */
async function queryWithOneRetry(daraja: Daraja) {
  let calls = 0;
  server.use(
    http.post(QUERY, () =>
      ++calls === 1
        ? new HttpResponse('<html>502</html>', { status: 502 })
        : HttpResponse.json({ ResultCode: '0' }),
    ),
  );
  await daraja.stk.query(ID);
}

describe('logLevel and DARAJA_LOG', () => {
  it('without a logger, DARAJA_LOG=debug logs every attempt to the console, redacted', async () => {
    vi.stubEnv(DARAJA_ENV_VARS.logLevel, 'debug');
    const lines = captureConsole();
    await queryWithOneRetry(new Daraja(base));
    const levels = new Set(lines.map((l) => l.level));
    expect(levels).toEqual(new Set(['debug', 'info', 'warn']));
    expect(lines.some((l) => l.level === 'debug' && /\[daraja\] request/.test(l.text))).toBe(true);
    expect(lines.some((l) => l.level === 'warn' && /retrying/.test(l.text))).toBe(true);
    expect(lines.map((l) => l.text).join('\n')).not.toMatch(/Bearer |Basic /);
  });

  it('DARAJA_LOG=warn drops debug and info', async () => {
    vi.stubEnv(DARAJA_ENV_VARS.logLevel, ' warn ');
    const lines = captureConsole();
    await queryWithOneRetry(new Daraja(base));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.level === 'warn' || l.level === 'error')).toBe(true);
  });

  it('without DARAJA_LOG, logLevel or a logger, the client is silent', async () => {
    vi.stubEnv(DARAJA_ENV_VARS.logLevel, '');
    const lines = captureConsole();
    await queryWithOneRetry(new Daraja(base));
    expect(lines).toEqual([]);
  });

  it('logLevel applies to a given logger; DARAJA_LOG is not read when a logger is given', async () => {
    vi.stubEnv(DARAJA_ENV_VARS.logLevel, 'debug');
    const consoleLines = captureConsole();
    const seen: string[] = [];
    const logger: DarajaLogger = {
      debug: () => seen.push('debug'),
      info: () => seen.push('info'),
      warn: () => seen.push('warn'),
      error: () => seen.push('error'),
    };
    await queryWithOneRetry(new Daraja({ ...base, logger, logLevel: 'info' }));
    expect(seen).not.toContain('debug');
    expect(seen).toContain('warn');
    seen.length = 0;
    await queryWithOneRetry(new Daraja({ ...base, logger }));
    expect(seen).toContain('debug'); // every level, as before logLevel existed
    expect(consoleLines).toEqual([]);
  });

  it('logLevel without a logger logs to the console', async () => {
    const lines = captureConsole();
    await queryWithOneRetry(new Daraja({ ...base, logLevel: 'warn' }));
    expect(lines.map((l) => l.level)).toContain('warn');
  });

  it('an invalid DARAJA_LOG or logLevel is a DarajaConfigError naming it and the allowed values', () => {
    vi.stubEnv(DARAJA_ENV_VARS.logLevel, 'verbose');
    const fromEnv = thrown(DarajaConfigError, () => new Daraja(base));
    expect(fromEnv.issues).toEqual([
      { field: 'DARAJA_LOG', message: expect.stringMatching(/"debug", "info", "warn", "error"/) },
    ]);
    const option = thrown(DarajaConfigError, () => new Daraja({ ...base, logLevel: 'loud' as never }));
    expect(option.issues).toEqual([
      { field: 'logLevel', message: expect.stringMatching(/"debug", "info", "warn", "error"/) },
    ]);
  });

  it('Daraja.fromEnv reads DARAJA_LOG from the table of variables, and names it when invalid', async () => {
    const env = {
      MPESA_CONSUMER_KEY: CONSUMER_KEY,
      MPESA_CONSUMER_SECRET: CONSUMER_SECRET,
      MPESA_SHORTCODE: SHORTCODE,
      MPESA_PASSKEY: PASSKEY,
    };
    const lines = captureConsole();
    await queryWithOneRetry(Daraja.fromEnv({ ...env, DARAJA_LOG: 'error' }));
    expect(lines).toEqual([]); // nothing failed, and warn is below error
    const error = thrown(DarajaConfigError, () => Daraja.fromEnv({ ...env, DARAJA_LOG: 'trace' }));
    expect(error.issues.map((i) => i.field)).toEqual(['DARAJA_LOG']);
  });
});
