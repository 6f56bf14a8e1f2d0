/**
 * The answers with their metadata: every operation returns an {@link ApiPromise}, whose
 * {@link ApiPromise.withResponse} gives the parsed data and the answer's {@link DarajaResponseMeta}
 * (status, headers, Daraja's request id, attempts). The resource base (`resource.ts`) makes every
 * operation return one, with no code in the operations.
 *
 * @module
 */

import { DarajaError } from './errors.js';
import { type DarajaResponseMeta, RESPONSE_SINK, type RequestOptions } from './http/request-options.js';

/** What {@link ApiPromise.withResponse} resolves to: the data the call returns, and its answer's metadata. */
export interface WithResponse<T> {
  /** What awaiting the call gives. */
  data: T;
  /** The answer's status, headers (no authorization or cookies), Daraja's request id and the attempts. */
  response: DarajaResponseMeta;
}

/**
 * The promise every operation returns: await it for the data, or call {@link ApiPromise.withResponse}
 * for the data and the answer's metadata, as openai-node does. `then`, `catch` and `finally` return plain
 * promises.
 *
 * @example
 * ```ts
 * const { data, response } = await withResponse(daraja.stk.query({ checkoutRequestId }));
 * console.log(data.status, response.requestId, response.attempts);
 * ```
 */
export class ApiPromise<T> extends Promise<T> {
  #meta: () => DarajaResponseMeta | undefined = () => undefined;

  /** `then`, `catch` and `finally` build plain promises, not `ApiPromise`s. */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** @internal An `ApiPromise` settling as `result` does, whose metadata `meta` gives once it resolved. */
  static wrap<T>(result: Promise<T>, meta: () => DarajaResponseMeta | undefined): ApiPromise<T> {
    const promise = new ApiPromise<T>((resolve, reject) => {
      result.then(resolve, reject);
    });
    promise.#meta = meta;
    return promise;
  }

  /**
   * The data and the metadata of the answer it was read from.
   *
   * @returns Rejects as the call does.
   */
  withResponse(): Promise<WithResponse<T>> {
    return this.then((data) => {
      const response = this.#meta();
      if (response === undefined)
        throw new DarajaError('[daraja] withResponse: this call resolved without an answer from Daraja.');
      return { data, response };
    });
  }
}

/**
 * The data and the answer's metadata of a call: `withResponse(daraja.stk.query(…))` is
 * `daraja.stk.query(…).withResponse()`, typed for every operation. Pass the promise the operation
 * returned, before awaiting it.
 *
 * @param promise - What an operation of the client returned.
 * @returns The data and the metadata.
 * @throws {@link DarajaError} (as a rejection) for a promise an operation did not return.
 *
 * @example
 * ```ts
 * const { data, response } = await withResponse(daraja.b2c.pay({ phoneNumber, amount: 500 }));
 * console.log(data.conversationId, response.status, response.headers['content-type']);
 * ```
 */
export function withResponse<T>(promise: Promise<T>): Promise<WithResponse<T>> {
  if (promise instanceof ApiPromise) return (promise as ApiPromise<T>).withResponse();
  return Promise.reject(
    new DarajaError(
      '[daraja] withResponse: pass the promise a client operation returned (e.g. daraja.stk.query(…)), before awaiting it.',
    ),
  );
}

type Operation = (this: unknown, ...args: unknown[]) => unknown;

/** The call's options with a sink for the answer's metadata; options that are not an object become `{}`. */
function withSink(options: unknown, sink: (meta: DarajaResponseMeta) => void): RequestOptions {
  const given = typeof options === 'object' && options !== null ? (options as RequestOptions) : {};
  return { ...given, [RESPONSE_SINK]: sink };
}

/** An operation that returns an {@link ApiPromise}: its options (second argument) carry a sink. */
function returningApiPromise(operation: Operation): Operation {
  return function (this: unknown, ...args: unknown[]) {
    let meta: DarajaResponseMeta | undefined;
    const call = [args[0], withSink(args[1], (m) => (meta = m)), ...args.slice(2)];
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(operation.apply(this, call));
    } catch (error) {
      result = Promise.reject(error);
    }
    return ApiPromise.wrap(result, () => meta);
  };
}

const done = new WeakSet<object>();
const AsyncFunction = (async () => {}).constructor;

/**
 * @internal
 * Make every operation of `prototype` and of its bases up to `stop` (excluded) return an
 * {@link ApiPromise}, once per prototype. The operations are the `async` methods, and each takes its
 * options second (`(params, options)`); the helpers they share are plain methods, left alone.
 */
export function returnApiPromises(prototype: object, stop: object): void {
  for (let p: object | null = prototype; p !== null && p !== stop; p = Object.getPrototypeOf(p)) {
    if (done.has(p)) continue;
    done.add(p);
    for (const name of Object.getOwnPropertyNames(p)) {
      const descriptor = Object.getOwnPropertyDescriptor(p, name);
      const value = descriptor?.value;
      if (name === 'constructor' || !(value instanceof AsyncFunction)) continue;
      Object.defineProperty(p, name, { ...descriptor, value: returningApiPromise(value as Operation) });
    }
  }
}
