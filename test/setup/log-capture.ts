import { join } from 'node:path';
import { afterAll, expect, inject } from 'vitest';
import { scanForLeaks } from '../helpers/leak-scan.js';
import { captured, setCaptureFile } from '../helpers/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    logCaptureDir: string;
  }
}

setCaptureFile(join(inject('logCaptureDir'), `${process.pid}-${Math.random().toString(36).slice(2)}.jsonl`));

// Every test file ends by scanning what the SDK logged during it: no full phone number, token,
// consumer key or secret, passkey or STK password may appear.
afterAll(() => {
  const leaks = scanForLeaks(captured);
  expect(leaks, `secrets or phone numbers in ${leaks.length} log lines`).toEqual([]);
});
