import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AppConfig } from '../shared/config.js';
import { listenThenStart } from '../shared/http-server.js';
import type { RunningApp } from '../shared/running-app.js';
import { createWebRoutes } from '../shared/web.js';
import { NEXT_DIR } from './build.js';
import { CLIENT_ADDRESS_HEADER, provideRoutes } from './lib/routes.js';

/** The part of Next.js's programmatic server this front uses. */
interface NextServer {
  prepare(): Promise<void>;
  getRequestHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  close(): Promise<void>;
}

// Loaded with require and typed here: importing `next` would bring its global types (NODE_ENV made a
// required variable of process.env) into every program that type-checks this file, the tests' included.
const next = createRequire(import.meta.url)('next') as (options: {
  dir: string;
  dev: boolean;
  quiet: boolean;
  hostname: string;
  port: number;
}) => NextServer;

/**
 * The subscription product on Next.js (App Router), started in this process: a node:http server in front
 * of Next's request handler, and the shared service started here and handed to the route handlers
 * (lib/routes.ts). Needs a build in `.next/` (ensureNextBuild() in build.ts; server.ts runs it).
 */
export async function startNextjsApp(config: AppConfig): Promise<RunningApp> {
  const nextApp = next({ dir: NEXT_DIR, dev: false, quiet: true, hostname: config.host, port: config.port });
  let handle: ReturnType<NextServer['getRequestHandler']> | undefined;
  const server = createServer((req, res) => {
    if (!handle) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'starting' }));
      return;
    }
    // Route handlers see no socket: the client's address travels in a header only this front sets.
    req.headers[CLIENT_ADDRESS_HEADER] = req.socket.remoteAddress ?? '';
    void handle(req, res);
  });
  // The port first (a busy one fails at once), then Next.js and the service.
  return listenThenStart(
    server,
    config,
    async (service) => {
      provideRoutes(Promise.resolve(createWebRoutes(service, config)));
      await nextApp.prepare();
      handle = nextApp.getRequestHandler();
    },
    async () => {
      provideRoutes(undefined);
      if (handle) await nextApp.close();
    },
  );
}
