import { expect } from 'vitest';

/** Runs `fn`, expects it to throw an instance of `type`, and returns the error (fails the test otherwise). */
export function thrown<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error(`expected a ${type.name}`);
}
