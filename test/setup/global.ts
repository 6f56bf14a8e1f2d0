import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { scanForLeaks } from '../helpers/leak-scan.js';

/** Collects the whole suite's logs and thrown errors and scans them once more at the end. */
export default function setup(project: TestProject) {
  const dir = join(process.cwd(), '.log-capture', String(process.pid));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  project.provide('logCaptureDir', dir);
  if (!process.env['DATABASE_URL']) {
    console.log(
      '\nPostgreSQL server tests: SKIPPED, because DATABASE_URL is not set. The same store tests run on\n' +
        'MemoryPaymentStore and on PGlite (real PostgreSQL in-process), which covers the SQL. To run them on a\n' +
        'server: DATABASE_URL=postgres://user:pass@127.0.0.1:5432/db npm test (.ci/run does this).\n',
    );
  } else {
    console.log(
      `\nPostgreSQL server tests: running against ${process.env['DATABASE_URL'].replace(/\/\/[^@]*@/, '//***@')}\n`,
    );
  }
  return () => {
    // <pid>-<id>.jsonl holds a worker's log lines, <pid>-<id>.errors.jsonl the errors the SDK threw in it
    // (each rendered by util.inspect at unlimited depth with hidden properties, JSON and String()).
    const read = (errorFiles: boolean) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.errors.jsonl') === errorFiles)
        .flatMap((f) =>
          readFileSync(join(dir, f), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string),
        );
    const lines = read(false);
    const errors = read(true);
    const logLeaks = scanForLeaks(lines);
    const errorLeaks = scanForLeaks(errors);
    const leaks = [...logLeaks, ...errorLeaks];
    rmSync(dir, { recursive: true, force: true });
    if (leaks.length > 0) {
      console.error(
        `\nLOG SCAN FAILED: ${logLeaks.length} leaks in log lines and ${errorLeaks.length} in thrown errors ` +
          `(${[...new Set(leaks.map((l) => l.kind))].join(', ')})`,
      );
      process.exitCode = 1;
    } else {
      console.log(
        `\nLog scan: ${lines.length} log lines and ${errors.length} thrown errors from the whole suite, ` +
          '0 secrets, tokens or full phone numbers.',
      );
    }
  };
}
