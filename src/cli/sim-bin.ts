#!/usr/bin/env node
// The `daraja-sim` command. Everything lives in sim.ts, where tests drive it without a process.
import { runAsProcess } from './process.js';
import { runCli } from './sim.js';

runAsProcess('daraja-sim', (io) => runCli(process.argv.slice(2), io));
