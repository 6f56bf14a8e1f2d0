import type { DarajaLogger } from 'daraja-sdk';

/** Log levels, lowest first. `silent` logs nothing. */
const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** A structured logger: one JSON object per line, pino-style `(fields, message)` calls. */
export type AppLogger = Required<DarajaLogger>;

/**
 * A small JSON-lines logger for the examples (use pino in a real app: the SDK accepts either).
 * Fields arrive already redacted from the SDK; the app only logs ids, never phone numbers or secrets.
 */
export function createJsonLogger(
  name: string,
  level: LogLevel = 'info',
  write = (line: string) => process.stdout.write(line),
): AppLogger {
  const min = LEVELS.indexOf(level);
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (fields: Record<string, unknown>, msg: string) => {
    if (LEVELS.indexOf(lvl) < min) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, name, msg, ...fields })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
