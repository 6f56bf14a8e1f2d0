import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { scanForLeaks } from '../helpers/leak-scan.js';

/** Collects the whole suite's logs and scans them once more at the end. */
export default function setup(project: TestProject) {
  const dir = join(process.cwd(), '.log-capture', String(process.pid));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  project.provide('logCaptureDir', dir);
  return () => {
    const lines = readdirSync(dir).flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string),
    );
    const leaks = scanForLeaks(lines);
    rmSync(dir, { recursive: true, force: true });
    if (leaks.length > 0) {
      console.error(
        `\nLOG SCAN FAILED: ${leaks.length} leaks (${[...new Set(leaks.map((l) => l.kind))].join(', ')})`,
      );
      process.exitCode = 1;
    } else {
      console.log(
        `\nLog scan: ${lines.length} log lines from the whole suite, 0 secrets, tokens or full phone numbers.`,
      );
    }
  };
}
