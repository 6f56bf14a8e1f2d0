// The cold start before the first call: how long a fresh process takes to import the SDK's main entry
// and construct a client, against importing ky alone (the SDK's HTTP library: the least any client on it
// pays) in the same run. Each sample is a new `node` process; contenders alternate; medians.
import { execFileSync } from 'node:child_process';

const DIST = new URL('../dist/index.js', import.meta.url).href;
const PROGRAMS = {
  ky: `const t = performance.now(); await import('ky'); console.log(performance.now() - t);`,
  sdk: `const t = performance.now(); const m = await import(${JSON.stringify(DIST)}); const i = performance.now();
        new m.Daraja({ consumerKey: 'k', consumerSecret: 's', shortcode: '174379', passkey: 'p' });
        console.log(i - t, performance.now() - i);`,
};

/** Median import time of ky and of the SDK (and the SDK's construction), over `rounds` fresh processes each. */
export function importCostBench(rounds = Number(process.env.BENCH_IMPORT_ROUNDS ?? 15)) {
  const samples = { ky: [], sdk: [], construct: [] };
  for (let r = 0; r < rounds + 1; r++) {
    for (const [name, program] of Object.entries(PROGRAMS)) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], {
        cwd: new URL('..', import.meta.url),
        encoding: 'utf8',
      });
      if (r === 0) continue; // the first round warms the file system cache
      const [load, construct] = out.trim().split(' ').map(Number);
      samples[name].push(load);
      if (construct !== undefined) samples.construct.push(construct);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ky = median(samples.ky);
  const sdk = median(samples.sdk);
  const construct = median(samples.construct);
  console.log(`\nCold start: import in a fresh process (${rounds} processes each, alternating; medians)`);
  console.log(`  import('ky') alone (baseline)          ${ky.toFixed(1).padStart(6)} ms`);
  console.log(
    `  import('daraja-sdk'), everything       ${sdk.toFixed(1).padStart(6)} ms   ${(sdk / ky).toFixed(2)}x baseline`,
  );
  console.log(`  new Daraja({...}) after it             ${construct.toFixed(2).padStart(6)} ms`);
  return { ky, sdk, construct };
}

if (import.meta.url === `file://${process.argv[1]}`) importCostBench();
