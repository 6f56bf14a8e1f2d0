// Shared helpers for the benchmarks: a local Daraja-like server and a throughput runner.
import { createServer } from 'node:http';

/**
 * A local HTTP server answering OAuth and STK push like Daraja does (keep-alive, small JSON); with
 * `delayMs`, each answer waits that long first (a network round trip's worth).
 */
export async function startServer({ delayMs = 0 } = {}) {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume(); // read (and drop) the request body, as a real server must
    req.on('end', () => (delayMs > 0 ? setTimeout(answer, delayMs) : answer()));
    function answer() {
      if (req.url.startsWith('/oauth/v1/generate')) {
        const text = '{"access_token":"bench-token-0000000000","expires_in":"3599"}';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
        return res.end(text);
      }
      n += 1;
      const text = JSON.stringify({
        MerchantRequestID: `29115-34620561-${n}`,
        CheckoutRequestID: `ws_CO_19122019102036392${n}`,
        ResponseCode: '0',
        ResponseDescription: 'Success. Request accepted for processing',
        CustomerMessage: 'Success. Request accepted for processing',
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

/**
 * Run `fn` `total` times with `concurrency` in flight; returns operations per second. When `fn.drain`
 * exists (work `fn` started and left running), the clock stops only once it has resolved.
 */
export async function throughput(fn, { total, concurrency }) {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await fn.drain?.();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
}

/** Alternate the contenders for `rounds` rounds and keep each one's median, so drift hits both. */
export async function compare(contenders, options) {
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (const fn of Object.values(contenders)) await throughput(fn, { ...options, total: options.warmup }); // warm-up
  for (let r = 0; r < options.rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) samples[name].push(await throughput(fn, options));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

export const fmt = (n) => Math.round(n).toLocaleString('en-US');

/**
 * Like {@link compare}, also measuring this process's CPU time per operation (user and system, in µs)
 * in each round: the medians of each contender's rate and CPU.
 */
export async function compareWithCpu(contenders, options) {
  const samples = Object.fromEntries(
    Object.keys(contenders).map((k) => [k, { rate: [], user: [], system: [] }]),
  );
  for (const fn of Object.values(contenders)) await throughput(fn, { ...options, total: options.warmup });
  for (let r = 0; r < options.rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const cpu = process.cpuUsage();
      samples[name].rate.push(await throughput(fn, options));
      const used = process.cpuUsage(cpu);
      samples[name].user.push(used.user / options.total);
      samples[name].system.push(used.system / options.total);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [
      k,
      { rate: median(v.rate), user: median(v.user), system: median(v.system) },
    ]),
  );
}
