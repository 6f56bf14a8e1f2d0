/**
 * A protocol adapter, not a mock: a tiny HTTP server that speaks Upstash's REST protocol and runs every
 * command on a real redis-server (through ioredis), so `@upstash/redis`'s own client can be tested
 * against real Redis semantics (NX, PX, EVAL) without reaching the internet. `POST /` takes one command
 * as a JSON array and answers `{ result }` (or `{ error }`); `POST /pipeline` and `/multi-exec` take an
 * array of commands and answer an array of those. With the `Upstash-Encoding: base64` header (the
 * client's default) string results are base64-encoded, as Upstash does.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';

export const UPSTASH_SHIM_TOKEN = 'shim-token';

function encode(value: unknown, base64: boolean): unknown {
  if (!base64) return value;
  if (typeof value === 'string') return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  return value;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function startUpstashShim(redis: Redis): Promise<{ url: string; close(): Promise<void> }> {
  const run = async (command: unknown[], base64: boolean) => {
    try {
      const [name, ...args] = command.map(String);
      return { result: encode(await redis.call(name as string, ...args), base64) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const runInOrder = async (commands: unknown[][], base64: boolean) => {
    const answers = [];
    for (const c of commands) answers.push(await run(c, base64));
    return answers;
  };
  const server = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${UPSTASH_SHIM_TOKEN}`) {
      res.writeHead(401).end(JSON.stringify({ error: 'Unauthorized' }));
      return;
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const body = (await readJson(req)) as unknown[];
    const path = new URL(req.url ?? '/', 'http://shim').pathname;
    const answer =
      path === '/pipeline' || path === '/multi-exec'
        ? await runInOrder(body as unknown[][], base64)
        : await run(body, base64);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
