/**
 * The root of the `DarajaError` tree and what keeps errors clean: the `cause` and body sanitizers and the
 * observer hook of the test suite's leak scan. The subclasses live beside it; `../errors.ts` re-exports
 * them all.
 *
 * @module
 */

import { maskPhoneNumbersInText, redact } from '../utils/mask.js';

/** The operation an error came from, e.g. `stk.push`, `stk.query` or `oauth`. */
export type DarajaOperation = string;

/** Options shared by every {@link DarajaError}. */
export interface DarajaErrorOptions {
  /**
   * The underlying error, kept for debugging. Anything but a Daraja error is stored as a plain error with
   * only its `name`, `message` (phone numbers masked) and `code`.
   */
  cause?: unknown;
}

/** @internal Receives every Daraja error once its constructor (and every subclass constructor) has run. */
export type DarajaErrorObserver = (error: DarajaError) => void;

const observers: DarajaErrorObserver[] = [];

/**
 * @internal
 * Register a function that is handed every {@link DarajaError} created from now on, in a microtask after
 * its construction (so subclass fields are set). For the test suite's leak scan; not exported from the
 * package entry. When no observer is registered, creating an error costs one length check.
 *
 * @param observer - Called once per error; an exception it throws is ignored.
 * @returns A function that unregisters the observer.
 */
export function observeDarajaErrors(observer: DarajaErrorObserver): () => void {
  observers.push(observer);
  return () => {
    const index = observers.indexOf(observer);
    if (index >= 0) observers.splice(index, 1);
  };
}

function notifyObservers(error: DarajaError): void {
  for (const observer of [...observers]) {
    try {
      observer(error);
    } catch {
      // An observer must never change what the SDK does.
    }
  }
}

const MAX_CAUSE_DEPTH = 5;
// `Bearer <token>` / `Basic <base64>` inside a message, in case a fetch implementation echoes a header.
const CREDENTIAL_IN_TEXT = /\b(Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{4,}/gi;

/** @internal Mask phone numbers and remove `Bearer`/`Basic` credentials from a text kept on an error. */
export function cleanText(text: string): string {
  return maskPhoneNumbersInText(text).replace(CREDENTIAL_IN_TEXT, '$1 [redacted]');
}

/**
 * @internal
 * Make a `cause` safe to keep on a thrown error. Daraja errors are kept as they are (theirs were cleaned
 * when they were built). Any other error, or error-like object, becomes a plain `Error` with the same
 * `name`, its `message` with phone numbers masked and credentials removed, its `code` when it is a string
 * or number, its stack frames, and its own `cause` cleaned the same way (five levels deep at most).
 * Everything else it held (ky's `request`, `response` and `options`, undici's `socket`, a `Response`) is
 * dropped. A string is masked the same way; other values are dropped.
 */
export function sanitizeCause(cause: unknown, depth = 0): unknown {
  if (cause === undefined || cause === null) return undefined;
  if (cause instanceof DarajaError) return cause;
  if (typeof cause === 'string') return cleanText(cause);
  if (typeof cause !== 'object' || depth >= MAX_CAUSE_DEPTH) return undefined;
  const source = cause as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    stack?: unknown;
    cause?: unknown;
  };
  const isError = cause instanceof Error;
  const name =
    typeof source.name === 'string' && source.name !== ''
      ? source.name
      : isError
        ? 'Error'
        : (cause.constructor?.name ?? 'Object');
  const message =
    typeof source.message === 'string'
      ? cleanText(source.message)
      : isError
        ? ''
        : `a ${name} object (not an Error), dropped`;
  const inner = isError ? sanitizeCause(safeGet(cause, 'cause'), depth + 1) : undefined;
  const plain = new Error(message, inner === undefined ? undefined : { cause: inner });
  plain.name = name;
  const code = safeGet(cause, 'code');
  if (typeof code === 'string' || typeof code === 'number') (plain as { code?: unknown }).code = code;
  const stack = safeGet(cause, 'stack');
  const frames = typeof stack === 'string' ? stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  plain.stack = [`${name}: ${message}`, ...frames].join('\n');
  return plain;
}

/**
 * @internal
 * A response body made safe to keep on an error: text is capped at 2 kB with phone numbers masked; JSON
 * has phone numbers masked and secret-looking fields (token, password, credential…) replaced.
 */
export function sanitizeBody(body: unknown): unknown {
  if (typeof body === 'string') return cleanText(body.length > 2048 ? `${body.slice(0, 2048)}…` : body);
  return redact(body);
}

// Reading a property of a foreign object can throw (a getter, a revoked proxy).
function safeGet(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * Base class of every error thrown by `daraja-sdk`.
 *
 * @example
 * ```ts
 * try {
 *   await daraja.stk.push({ phoneNumber, amount, accountReference });
 * } catch (error) {
 *   if (isDarajaError(error)) console.error(error.name, error.message);
 * }
 * ```
 */
export class DarajaError extends Error {
  /** Always `'DarajaError'`; compare it (or use the `is*` guards) to recognise errors across package copies. */
  override name = 'DarajaError';

  constructor(message: string, options: DarajaErrorOptions = {}) {
    const cause = sanitizeCause(options.cause);
    super(
      message.startsWith('[daraja]') ? message : `[daraja] ${message}`,
      cause === undefined ? undefined : { cause },
    );
    if (observers.length > 0) queueMicrotask(() => notifyObservers(this));
  }
}
