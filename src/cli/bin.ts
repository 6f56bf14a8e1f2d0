#!/usr/bin/env node
// The `daraja` command. Everything lives in run.ts, where tests drive it without a process.
import { run } from './run.js';

const exit = (code: number) => {
  process.exitCode = code;
  // Everything is closed by now; if a stray handle keeps the process alive, leave anyway.
  setTimeout(() => process.exit(code), 2000).unref();
};

run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signals: process,
}).then(exit, (error: unknown) => {
  process.stderr.write(`daraja: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(1);
});
