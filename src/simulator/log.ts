// The simulator's own logging front. It is standalone (it imports nothing of the SDK), so it keeps its
// own redaction: what its logs must never hold is a token, the passkey, an STK password, a credential
// or a full phone number.

/** The log levels the simulator writes at. */
type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * The logger the simulator writes to (the `logger` option): `console` and pino fit as they are. Each
 * method gets a plain object of fields first, then the message, pino-style; missing levels are skipped.
 * `debug` gets each request answered; `info` decisions, deliveries, start and stop; `warn` failed
 * deliveries and refused duplicates; `error` a route or scheduled task that threw.
 */
export type SimulatorLogger = {
  [L in 'debug' | 'info' | 'warn' | 'error']?: (fields: Record<string, unknown>, message: string) => void;
};

/** @internal How the simulator's modules log: message first, fields redacted, never throwing. */
export type Log = Record<Level, (message: string, fields?: Record<string, unknown>) => void>;

/** Key names whose values are secrets: passwords, passkeys, tokens, credentials, consumer keys, app keys. */
const SECRET_NAME = /pass(?:word|key)|secret|token|authori[sz]ation|credential|consumer_?key|app_?key/i;
/** A Kenyan mobile number (07…/01…, 2547…/2541…, +254…), on digit boundaries. */
const MOBILE = /(?<!\d)(\+?254|0)([17]\d{8})(?!\d)/g;
/** A CheckoutRequestID ends in the payer's nine national digits. */
const CHECKOUT_TAIL = /(ws_CO_\d{15,17})([17]\d{8})(?!\d)/g;

/** @internal Does this key name a secret? Its value is then logged as `'[redacted]'`. */
export function isSecretName(key: string): boolean {
  return SECRET_NAME.test(key);
}

/** @internal Copy a value with the values of secret-named keys replaced by `'[redacted]'`. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, isSecretName(k) ? '[redacted]' : redactSecrets(v, depth + 1)]),
  );
}

/** Text with every mobile number cut to its prefix and last four digits. */
function hidePhones(text: string): string {
  return text
    .replace(
      MOBILE,
      (_all, prefix: string, national: string) => `${prefix}${national[0]}****${national.slice(5)}`,
    )
    .replace(
      CHECKOUT_TAIL,
      (_all, head: string, national: string) => `${head}${national[0]}****${national.slice(5)}`,
    );
}

/** Log fields made safe: secrets redacted, phone numbers hidden in text and in numbers, errors as text. */
function safe(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return hidePhones(value);
  if (typeof value === 'number') {
    const hidden = hidePhones(String(value));
    return hidden === String(value) ? value : hidden;
  }
  if (value instanceof Error) return { name: value.name, message: hidePhones(value.message) };
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 6) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => safe(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value))
    out[key] = isSecretName(key) ? '[redacted]' : safe(v, depth + 1);
  return out;
}

const silent = () => {};

/** @internal The simulator's log over a user's logger (silent without one). */
export function createLog(logger: SimulatorLogger | undefined): Log {
  const level = (name: Level) => {
    const write = logger?.[name];
    if (typeof write !== 'function') return silent;
    return (message: string, fields: Record<string, unknown> = {}) => {
      try {
        write.call(logger, safe(fields) as Record<string, unknown>, `[daraja] ${hidePhones(message)}`);
      } catch {
        // A broken logger must not break the simulator.
      }
    };
  };
  return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
}
