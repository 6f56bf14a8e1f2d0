import { appendFileSync } from 'node:fs';
import { inspect } from 'node:util';
import type { DarajaLogger } from '../../src/index.js';

/** Every log line of this test file, as serialised text (what a log sink would store). */
export const captured: string[] = [];
let logFile: string | undefined;

/** @internal Called by the setup file with this worker's capture file. */
export function setCaptureFile(path: string): void {
  logFile = path;
}

function record(level: string, fields: unknown, message: unknown): void {
  // Serialise the way real sinks do: JSON (pino) and util.inspect (console).
  const line = `${level} ${String(message)} ${JSON.stringify(fields)} ${inspect(fields, { depth: 8 })}`;
  captured.push(line);
  if (logFile) appendFileSync(logFile, `${JSON.stringify(line)}\n`);
}

/** A logger that captures everything the SDK logs, at every level. Pass it to every client in tests. */
export const testLogger: DarajaLogger = {
  debug: (fields, message) => record('debug', fields, message),
  info: (fields, message) => record('info', fields, message),
  warn: (fields, message) => record('warn', fields, message),
  error: (fields, message) => record('error', fields, message),
};
