#!/usr/bin/env node
// The `daraja-sim` command. Everything lives in cli.ts, where tests drive it without a process.
import { runCli } from './cli.js';

const exit = (code: number) => {
  process.exitCode = code;
  // The server is closed by now; if a stray handle keeps the process alive, leave anyway.
  setTimeout(() => process.exit(code), 2000).unref();
};

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signals: process,
}).then(exit, (error: unknown) => {
  process.stderr.write(`daraja-sim: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(1);
});
