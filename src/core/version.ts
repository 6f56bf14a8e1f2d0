// Replaced with package.json's version by the build (tsup `define`) and the tests (vitest `define`), so
// a release that bumps package.json (changeset version) needs no second edit.
declare const __DARAJA_SDK_VERSION__: string | undefined;

/** The version of `daraja-sdk`, as in its package.json. */
export const VERSION: string =
  typeof __DARAJA_SDK_VERSION__ === 'string' ? __DARAJA_SDK_VERSION__ : '0.0.0-dev';
