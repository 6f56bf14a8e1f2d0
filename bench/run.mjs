// `npm run bench`: speed and size, each as a ratio to a baseline measured in the same run.
// Runs against the built package (dist/), as users get it.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import ky from 'ky';
import { Daraja, darajaTimestamp, stkPassword } from '../dist/index.js';
import { compare, fmt, startServer } from './lib.mjs';

const SHORTCODE = '174379';
const PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
const CALLBACK = 'https://merchant.example.com/mpesa/callback';
const options = { total: Number(process.env.BENCH_TOTAL ?? 4000), concurrency: 16, rounds: 5, warmup: 1000 };

async function stkPushBench() {
  const server = await startServer();
  const client = new Daraja({
    consumerKey: 'bench-key',
    consumerSecret: 'bench-secret',
    shortcode: SHORTCODE,
    passkey: PASSKEY,
    callbackUrl: CALLBACK,
    baseUrl: server.url,
  });
  await client.verifyCredentials(); // token cached, as in a running app
  const token = 'bench-token-0000000000';

  const wireBody = (i) => {
    const timestamp = darajaTimestamp();
    return {
      BusinessShortCode: 174379,
      Password: stkPassword(SHORTCODE, PASSKEY, timestamp),
      Timestamp: timestamp,
      TransactionType: 'CustomerPayBillOnline',
      Amount: String(1 + (i % 100)),
      PartyA: '254712345678',
      PartyB: SHORTCODE,
      PhoneNumber: '254712345678',
      CallBackURL: CALLBACK,
      AccountReference: 'BENCH',
      TransactionDesc: 'Payment',
    };
  };
  const url = `${server.url}/mpesa/stkpush/v1/processrequest`;
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  // The baseline: what a careful developer would write by hand with fetch for the same request.
  const rawFetch = async (i) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(wireBody(i)),
    });
    const json = await res.json();
    if (!json.CheckoutRequestID) throw new Error('bad answer');
  };
  // The same request through ky alone (the HTTP library the SDK is built on), to show its share.
  const kyAlone = async (i) => {
    const res = await ky(url, {
      method: 'POST',
      headers,
      json: wireBody(i),
      timeout: 30_000,
      retry: 0,
      throwHttpErrors: false,
    });
    const json = JSON.parse(await res.text());
    if (!json.CheckoutRequestID) throw new Error('bad answer');
  };
  const sdk = async (i) => {
    const r = await client.stk.push({
      phoneNumber: '0712345678',
      amount: 1 + (i % 100),
      accountReference: 'BENCH',
    });
    if (!r.checkoutRequestId) throw new Error('bad answer');
  };

  const result = await compare({ raw: rawFetch, ky: kyAlone, sdk }, options);
  await server.close();
  const ratio = result.sdk / result.raw;
  console.log(`\nSTK push against a local HTTP server (Node ${process.version})`);
  console.log(
    `  (${options.rounds} alternating rounds of ${options.total} requests, ${options.concurrency} in flight; medians)`,
  );
  console.log(`  hand-written fetch          ${fmt(result.raw).padStart(8)} req/s   (baseline)`);
  console.log(
    `  ky alone, same request      ${fmt(result.ky).padStart(8)} req/s   ${(result.ky / result.raw).toFixed(2)}x baseline`,
  );
  console.log(
    `  daraja-sdk stk.push         ${fmt(result.sdk).padStart(8)} req/s   ${ratio.toFixed(2)}x baseline, ${(result.sdk / result.ky).toFixed(2)}x ky alone`,
  );
  console.log(`  target: stk.push >= 0.80x baseline: ${ratio >= 0.8 ? 'met' : 'NOT met'}`);
  return ratio;
}

/** Bundle an entry (minified, tree-shaken) and return gzip size plus minified bytes per package. */
export async function bundleSize(entry) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const gzip = gzipSync(out.outputFiles[0].contents, { level: 9 }).length;
  const byPackage = {};
  for (const [file, info] of Object.entries(Object.values(out.metafile.outputs)[0].inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? 'daraja-sdk';
    byPackage[pkg] = (byPackage[pkg] ?? 0) + info.bytesInOutput;
  }
  return { gzip, minified: out.outputFiles[0].contents.length, byPackage };
}

async function sizeBench() {
  const main = await bundleSize(new URL('../dist/index.js', import.meta.url).pathname);
  // Baseline: ky alone, the smallest thing that could send the request.
  const kyOnly = await bundleSize(new URL('./ky-entry.mjs', import.meta.url).pathname);
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  console.log('\nSize of the main entry with its dependencies (ESM, minified, tree-shaken, gzip -9)');
  console.log(
    `  daraja-sdk (everything exported)  ${kb(main.gzip).padStart(8)} gzip   budget 36 kB: ${main.gzip <= 36 * 1024 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  ky alone                          ${kb(kyOnly.gzip).padStart(8)} gzip   (baseline; ratio ${(main.gzip / kyOnly.gzip).toFixed(1)}x)`,
  );
  const parts = Object.entries(main.byPackage).map(
    ([k, v]) => `${k} ${Math.round((v / main.minified) * 100)}%`,
  );
  console.log(`  minified bytes by package: ${parts.join(', ')}`);
}

await stkPushBench();
await sizeBench();
