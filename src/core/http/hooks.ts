/**
 * Observability without a dependency: the client's `hooks` and the `node:diagnostics_channel` channels,
 * both given the same sanitized {@link DarajaHttpEvent}: what the call is and how it went, never a body,
 * a header value, a token or a full phone number.
 *
 * @module
 */

import type { DarajaOperation } from '../errors.js';
import type { Log } from '../logger.js';
import { maskPhoneNumbersInText } from '../utils/mask.js';

/**
 * One step of a call, as hooks and diagnostics channels see it. Only these fields, each sanitized: the
 * path has no query string, the request id has any phone number masked.
 */
export interface DarajaHttpEvent {
  /** The operation, e.g. `stk.query` (`oauth` for a token fetch). */
  operation: DarajaOperation;
  /** `GET` or `POST`. */
  method: string;
  /** The path, without its query string, e.g. `/mpesa/stkpushquery/v1/query`. */
  path: string;
  /** Which request of the call this is: 1, then 2 after a retry or the token replay. */
  attempt: number;
  /** The HTTP status of the answer, when there was one. */
  status?: number | undefined;
  /** How long the attempt took, in ms, once it ended. */
  durationMs?: number | undefined;
  /** Daraja's id of the request, when the answer carried one (phone numbers masked). */
  requestId?: string | undefined;
  /** The name of the error: why the attempt is retried, or why the call failed, e.g. `DarajaTimeoutError`. */
  error?: string | undefined;
  /** The wait before the retry, in ms (retry events only). */
  delayMs?: number | undefined;
}

/**
 * Functions called at each step of every call of a client (`new Daraja({ hooks })`): to count, time or
 * trace calls. Each gets a {@link DarajaHttpEvent}. A hook that throws (or rejects) never breaks the call:
 * the first failure of each hook is logged, masked, and the call goes on.
 *
 * @example
 * ```ts
 * const daraja = new Daraja({
 *   ...options,
 *   hooks: { onResponse: (e) => metrics.timing(`daraja.${e.operation}`, e.durationMs ?? 0) },
 * });
 * ```
 */
export interface DarajaHooks {
  /** Before each request is sent (each retry, and the token replay, too). */
  onRequest?: (event: DarajaHttpEvent) => unknown;
  /** After each answer, whatever its status. */
  onResponse?: (event: DarajaHttpEvent) => unknown;
  /** Before the wait of a retry: `error` or `status` says why, `delayMs` how long. */
  onRetry?: (event: DarajaHttpEvent) => unknown;
}

/**
 * The `node:diagnostics_channel` channels the SDK publishes on, each message a {@link DarajaHttpEvent}:
 * `request` before each request, `response` after each answer, `retry` before each retry's wait, `error`
 * once when a call fails. Subscribe with `diagnostics_channel.subscribe(DARAJA_CHANNELS.response, fn)`.
 * Where `node:diagnostics_channel` cannot be loaded without a static import (Node before 20.16,
 * browsers, Workers without Node compatibility), nothing is published.
 */
export const DARAJA_CHANNELS = Object.freeze({
  /** Before each request is sent. */
  request: 'daraja-sdk:request',
  /** After each answer, whatever its status. */
  response: 'daraja-sdk:response',
  /** Before the wait of a retry. */
  retry: 'daraja-sdk:retry',
  /** Once, when a call fails: the event's `error` is the error's name. */
  error: 'daraja-sdk:error',
} as const);

type Step = keyof typeof DARAJA_CHANNELS;
interface Channel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

const HOOK_OF: Readonly<Record<Step, keyof DarajaHooks | undefined>> = {
  request: 'onRequest',
  response: 'onResponse',
  retry: 'onRetry',
  error: undefined,
};

let channels: Partial<Record<Step, Channel>> | undefined;

/** The channels, loaded at the first event, without a static import; none where they cannot be. */
function loadChannels(): Partial<Record<Step, Channel>> {
  if (channels) return channels;
  channels = {};
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const dc = proc?.getBuiltinModule?.('node:diagnostics_channel') as
      | { channel(name: string): Channel }
      | undefined;
    if (dc)
      for (const step of Object.keys(DARAJA_CHANNELS) as Step[])
        channels[step] = dc.channel(DARAJA_CHANNELS[step]);
  } catch {
    // No diagnostics where the runtime has none.
  }
  return channels;
}

/** @internal The sanitized event of one step: the path without its query, the request id masked. */
export function httpEvent(fields: DarajaHttpEvent): DarajaHttpEvent {
  const event: DarajaHttpEvent = {
    operation: fields.operation,
    method: fields.method,
    path: fields.path.split('?')[0] ?? '',
    attempt: fields.attempt,
  };
  if (fields.status !== undefined) event.status = fields.status;
  if (fields.durationMs !== undefined) event.durationMs = fields.durationMs;
  if (fields.requestId !== undefined) event.requestId = maskPhoneNumbersInText(fields.requestId);
  if (fields.error !== undefined) event.error = fields.error;
  if (fields.delayMs !== undefined) event.delayMs = fields.delayMs;
  // Frozen: one hook cannot change what the next hook or a subscriber sees.
  return Object.freeze(event);
}

/**
 * @internal
 * Where the transport sends each step of a call: the client's hooks and the channels. The event is built
 * (`event()`) only when a hook or a subscriber will see it, so a client nobody observes pays nothing.
 */
export type Emit = (step: Step, event: () => DarajaHttpEvent) => void;

/**
 * @internal
 * The emitter of a client: each step goes to its hook, then to its channel if anyone subscribed. A hook
 * that throws or rejects is logged once (its name and the error's name) and otherwise ignored.
 */
export function createEmitter(hooks: DarajaHooks | undefined, log: Log): Emit {
  const failed = new Set<string>();
  const hookFailed = (name: string, error: unknown) => {
    if (failed.has(name)) return;
    failed.add(name);
    log.warn('a hook failed; the call goes on (logged once per hook)', {
      hook: name,
      error: (error as { name?: unknown } | null)?.name ?? typeof error,
    });
  };
  return (step, build) => {
    const name = HOOK_OF[step];
    const hook = name === undefined ? undefined : hooks?.[name];
    const channel = loadChannels()[step];
    const hooked = name !== undefined && typeof hook === 'function';
    if (!hooked && !channel?.hasSubscribers) return;
    const event = build();
    if (hooked) {
      try {
        const result = hook(event) as { then?: unknown } | undefined;
        if (typeof result?.then === 'function')
          (result as Promise<unknown>).then(undefined, (error: unknown) => hookFailed(name, error));
      } catch (error) {
        hookFailed(name, error);
      }
    }
    if (channel?.hasSubscribers) {
      try {
        channel.publish(event);
      } catch {
        // Node reports a subscriber's error itself (on the next tick); the call goes on.
      }
    }
  };
}
