// Latency users feel, at 30 ms of network delay per request: a cold client (a new `Daraja`, no token
// yet: what every serverless invocation pays) sending 16 pushes at once, and a warm one. The baseline is
// hand-written `fetch` doing the same work: one OAuth request shared by the 16 pushes when cold.
import ky from 'ky';
import { Daraja, darajaTimestamp, stkPassword } from '../dist/index.js';
import { startServer } from './lib.mjs';

const SHORTCODE = '174379';
const PASSKEY = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
const CALLBACK = 'https://merchant.example.com/mpesa/callback';
const RTT_MS = 30;
const BURST = 16;
const ROUNDS = Number(process.env.BENCH_LATENCY_ROUNDS ?? 40);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export async function latencyBench() {
  const server = await startServer({ delayMs: RTT_MS });
  const credentials = Buffer.from('bench-key:bench-secret').toString('base64');
  const newClient = () =>
    new Daraja({
      consumerKey: 'bench-key',
      consumerSecret: 'bench-secret',
      shortcode: SHORTCODE,
      passkey: PASSKEY,
      callbackUrl: CALLBACK,
      baseUrl: server.url,
    });
  const pushBody = () => {
    const timestamp = darajaTimestamp();
    return JSON.stringify({
      BusinessShortCode: 174379,
      Password: stkPassword(SHORTCODE, PASSKEY, timestamp),
      Timestamp: timestamp,
      TransactionType: 'CustomerPayBillOnline',
      Amount: '10',
      PartyA: '254712345678',
      PartyB: SHORTCODE,
      PhoneNumber: '254712345678',
      CallBackURL: CALLBACK,
      AccountReference: 'BENCH',
      TransactionDesc: 'Payment',
    });
  };
  const fetchToken = async () => {
    const res = await fetch(`${server.url}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: { authorization: `Basic ${credentials}` },
    });
    return (await res.json()).access_token;
  };
  const rawPush = async (token) => {
    const res = await fetch(`${server.url}/mpesa/stkpush/v1/processrequest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: pushBody(),
    });
    if (!(await res.json()).CheckoutRequestID) throw new Error('bad answer');
  };
  // The same requests through ky alone (the SDK's HTTP library, configured as the SDK configures it).
  const kyToken = async () =>
    JSON.parse(
      await ky(`${server.url}/oauth/v1/generate?grant_type=client_credentials`, {
        headers: { authorization: `Basic ${credentials}` },
        retry: 0,
        timeout: false,
      }).text(),
    ).access_token;
  const kyPush = async (token) => {
    const res = await ky.post(`${server.url}/mpesa/stkpush/v1/processrequest`, {
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: pushBody(),
      retry: 0,
      timeout: false,
    });
    if (!JSON.parse(await res.text()).CheckoutRequestID) throw new Error('bad answer');
  };
  const sdkPush = async (client) => {
    const r = await client.stk.push({ phoneNumber: '0712345678', amount: 10, accountReference: 'BENCH' });
    if (!r.checkoutRequestId) throw new Error('bad answer');
  };
  // One burst: 16 pushes started at once; each one's latency from the burst's start.
  const burst = async (push) => {
    const t0 = performance.now();
    return Promise.all(Array.from({ length: BURST }, () => push().then(() => performance.now() - t0)));
  };
  const contenders = {
    rawCold: () => {
      const token = fetchToken(); // one OAuth request shared by the burst
      return burst(async () => rawPush(await token));
    },
    sdkCold: () => {
      const client = newClient();
      return burst(() => sdkPush(client));
    },
    kyCold: () => {
      const token = kyToken();
      return burst(async () => kyPush(await token));
    },
    rawWarm: () => burst(() => rawPush('bench-token-0000000000')),
    kyWarm: () => burst(() => kyPush('bench-token-0000000000')),
    sdkWarm: (() => {
      const client = newClient();
      return () => burst(() => sdkPush(client));
    })(),
  };
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (const fn of Object.values(contenders)) await fn(); // warm-up: JIT and connections, not counted
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, fn] of Object.entries(contenders)) samples[name].push(...(await fn()));
  await server.close();
  const p50 = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const line = (label, sdk, raw, kyName, budget) => {
    const ratio = p50[sdk] / p50[raw];
    console.log(
      `  ${label.padEnd(34)} p50 ${p50[sdk].toFixed(1).padStart(6)} ms vs fetch ${p50[raw].toFixed(1).padStart(6)} ms  ${ratio.toFixed(3)}x  (budget ${budget}x: ${ratio <= budget ? 'met' : 'NOT met'}); ky alone ${p50[kyName].toFixed(1)} ms (${(p50[kyName] / p50[raw]).toFixed(3)}x), the SDK ${(p50[sdk] / p50[kyName]).toFixed(3)}x ky alone`,
    );
  };
  console.log(
    `\nSTK push latency at ${RTT_MS} ms per request, bursts of ${BURST} (${ROUNDS} alternating rounds; p50 of every push)`,
  );
  line('cold client (new Daraja, no token)', 'sdkCold', 'rawCold', 'kyCold', 1.05);
  line('warm client (token cached)', 'sdkWarm', 'rawWarm', 'kyWarm', 1.03);
}

if (import.meta.url === `file://${process.argv[1]}`) await latencyBench();
