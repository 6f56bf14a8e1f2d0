import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { StartupError } from './startup-error.js';

/** Another live process holds the PGlite data folder: PGlite is single-process, two would lose data. */
export class DataDirInUseError extends StartupError {
  override name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The data folder ${dataDir} is in use by another running app (pid ${pid}); PGlite allows one process per folder. ` +
        `Stop the other process, or start this one with another folder, e.g. DATA_DIR=${dataDir}-2.`,
    );
  }
}

/**
 * Whether the lock's owner still runs: a live process, and on Linux a Node one (after a crash or a
 * container restart, its pid may belong to something else by now).
 */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: alive, someone else's
  }
  try {
    return /node|tsx|bun|deno/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc (macOS, Windows): trust the pid
  }
};

const ownerOf = (path: string): number | undefined => {
  try {
    const pid = Number(JSON.parse(readFileSync(path, 'utf8')).pid);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // unreadable, half-written or gone: not a live owner
  }
};

/**
 * Take the lock of a PGlite data folder: `<dataDir>.lock`, beside the folder, holding this process's pid.
 * A second app on the same folder gets a {@link DataDirInUseError}; a lock left by a process that no longer
 * runs (a crash, `kill -9`) is taken over. Released by the returned function, and at process exit.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = `${dataDir}.lock`;
  const release = () => {
    process.off('exit', release);
    if (ownerOf(path) === process.pid) {
      try {
        unlinkSync(path);
      } catch {}
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify({ pid: process.pid, since: new Date().toISOString() })}\n`, {
        flag: 'wx',
      });
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
    const owner = ownerOf(path);
    if (owner !== undefined && owner !== process.pid && isAlive(owner))
      throw new DataDirInUseError(dataDir, owner);
    // Stale (its process is gone) or unreadable: remove it and try again.
    try {
      unlinkSync(path);
    } catch {}
  }
}
