import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** This example's folder: `next build` and `next()` run on it. */
export const NEXT_DIR = import.meta.dirname;
const ROOT = resolve(NEXT_DIR, '../..');
const STAMP = join(NEXT_DIR, '.next', 'daraja-build-key');
const LOCK = join(NEXT_DIR, '.next-build.lock');
const INPUTS = ['examples/nextjs', 'examples/shared', 'src', 'node_modules/next/package.json'];
const SKIP = new Set(['.next', 'next-env.d.ts', '.next-build.lock']);

function hashInputs(): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!SKIP.has(name)) add(join(path, name));
    } else {
      hash.update(relative(ROOT, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  for (const input of INPUTS) add(join(ROOT, input));
  return hash.digest('hex');
}

/**
 * Build the app with `next build` unless the build in `.next/` is of the same sources (a hash of this
 * folder, examples/shared, src and the Next.js version). Several processes may ask at once (test
 * files run in parallel): one builds, the others wait for it. Returns whether it built.
 */
export async function ensureNextBuild(log: (line: string) => void = () => {}): Promise<boolean> {
  const key = hashInputs();
  const current = () => existsSync(STAMP) && readFileSync(STAMP, 'utf8') === key;
  if (current()) return false;
  for (;;) {
    try {
      closeSync(openSync(LOCK, 'wx'));
      break;
    } catch {
      // A lock older than ten minutes belongs to a build that died.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 600_000) rmSync(LOCK, { force: true });
      await sleep(500);
      if (current()) return false;
    }
  }
  try {
    if (current()) return false;
    log('Building the Next.js app (next build); later starts reuse it until a source file changes.');
    // webpack: Turbopack refuses a node_modules that is a symlink out of the repository (a git worktree).
    const result = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/next/dist/bin/next'), 'build', '--webpack', NEXT_DIR],
      { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`next build failed:\n${result.stdout}${result.stderr}`);
    // The route types Next.js writes for editors bring its global types (NODE_ENV made a required variable)
    // into the repository's type-checks, which include examples/: they are not needed to run.
    rmSync(join(NEXT_DIR, 'next-env.d.ts'), { force: true });
    rmSync(join(NEXT_DIR, '.next', 'types'), { recursive: true, force: true });
    writeFileSync(STAMP, key);
    return true;
  } finally {
    rmSync(LOCK, { force: true });
  }
}
