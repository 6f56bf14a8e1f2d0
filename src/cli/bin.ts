#!/usr/bin/env node
// The `daraja` command. Everything lives in run.ts, where tests drive it without a process.
import { runAsProcess } from './process.js';
import { run } from './run.js';

runAsProcess('daraja', (io) => run(process.argv.slice(2), { env: process.env, ...io }));
