import { VERSION } from '../version.js';

/** The parts of the global object the runtime is recognised by; each may be missing. */
interface RuntimeGlobals {
  process?: { versions?: { node?: unknown; bun?: unknown } };
  Deno?: { version?: { deno?: unknown } };
  navigator?: { userAgent?: unknown };
}

/**
 * @internal
 * The runtime as `name/version`: `bun/1.1.0`, `deno/2.0.0`, `workerd` (Cloudflare Workers), `node/20.19.0`,
 * or `unknown`. Reads `process.versions`, `Deno.version` and `navigator.userAgent` defensively, at call
 * time: it never throws, whatever the global object holds.
 */
export function runtimeName(g: RuntimeGlobals = globalThis as RuntimeGlobals): string {
  try {
    const versions = g.process?.versions;
    if (typeof versions?.bun === 'string') return `bun/${versions.bun}`;
    const deno = g.Deno?.version?.deno;
    if (typeof deno === 'string') return `deno/${deno}`;
    if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
    if (typeof versions?.node === 'string') return `node/${versions.node}`;
  } catch {
    // A getter that throws (a locked-down global) gives `unknown`, never a failed request.
  }
  return 'unknown';
}

let cached: string | undefined;

/** @internal The `User-Agent` of every request: `daraja-sdk/<version> <runtime>/<version>`, built once. */
export function userAgent(): string {
  cached ??= `daraja-sdk/${VERSION} ${runtimeName()}`;
  return cached;
}
