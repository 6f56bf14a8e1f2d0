import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// README's start command, as a user runs it: `npm start` serves the Express example on its embedded
// defaults (PGlite in a data folder, the simulator in-process), prints its URL, and PORT picks the port.
const root = resolve(import.meta.dirname, '../..');

describe('npm start', () => {
  it('serves the Express app on PGlite and the simulator, printing its URL, on PORT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'daraja-example-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn('npm', ['start', '--silent'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        DATABASE_URL: '',
        MPESA_CONSUMER_KEY: '', // and no credentials from a developer's .env: the simulator
        MPESA_CONSUMER_SECRET: '',
        MPESA_PASSKEY: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    try {
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s:\n${output}`)), 60_000);
        child.stdout.on('data', () => {
          const m = /listening on (http:\/\/\S+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolveUrl(m[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
      expect(url).toBe(`http://127.0.0.1:${port}`);
      expect(output).toMatch(/Daraja simulator \(in-process, http:\/\/127\.0\.0\.1:\d+\), PGlite \(/);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Subscribe with M-Pesa');
      const plans = (await (await fetch(`${url}/api/plans`)).json()) as { mode: unknown };
      expect(plans.mode).toEqual({ daraja: 'simulator', store: 'pglite' });
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}-journal`, { recursive: true, force: true });
    }
  }, 90_000);
});
