/**
 * The `DarajaError` tree. Every error the SDK throws is a `DarajaError`; branch on the subclass
 * (or the `is*` guards, which also work across duplicated copies of this package) to decide what to do.
 *
 * No error message, property or `util.inspect()` output contains a consumer secret, an access token,
 * the STK passkey or password, or a full phone number. That holds for the `cause` chain too: a cause that
 * is not a Daraja error (ky's `TimeoutError`, undici's `SocketError`, a `fetch` `TypeError`) is replaced
 * by a plain error keeping only its `name`, `message` (phone numbers masked) and `code`, so the request,
 * its headers and options never survive in a thrown error.
 *
 * The tree lives in `errors/`: the root and the sanitizers (`base.ts`), the errors of Daraja's error
 * answers (`api.ts`), of unanswered requests (`network.ts`), of bad input (`input.ts`), and the guards
 * (`guards.ts`). Import it from here.
 *
 * @module
 */

export * from './errors/api.js';
export {
  DarajaError,
  type DarajaErrorObserver,
  type DarajaErrorOptions,
  type DarajaOperation,
  observeDarajaErrors,
  sanitizeBody,
  sanitizeCause,
} from './errors/base.js';
export * from './errors/guards.js';
export * from './errors/input.js';
export * from './errors/network.js';
