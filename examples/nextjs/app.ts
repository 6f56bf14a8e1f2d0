import { createServer } from 'node:http';
import nextModule from 'next';
import type { AppConfig } from '../shared/config.js';
import { listenThenStart } from '../shared/http-server.js';
import type { RunningApp } from '../shared/running-app.js';
import { createWebRoutes } from '../shared/web.js';
import { NEXT_DIR } from './build.js';
import { CLIENT_ADDRESS_HEADER, provideRoutes } from './lib/routes.js';

// `next` is CommonJS: to Node's ESM its default export is the function; its types say otherwise.
const next = nextModule as unknown as typeof nextModule.default;

/**
 * The subscription product on Next.js (App Router), started in this process: a node:http server in front
 * of Next's request handler, and the shared service started here and handed to the route handlers
 * (lib/routes.ts). Needs a build in `.next/` (ensureNextBuild() in build.ts; server.ts runs it).
 */
export async function startNextjsApp(config: AppConfig): Promise<RunningApp> {
  const nextApp = next({ dir: NEXT_DIR, dev: false, quiet: true, hostname: config.host, port: config.port });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();
  let ready = false;
  const server = createServer((req, res) => {
    if (!ready) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'starting' }));
      return;
    }
    // Route handlers see no socket: the client's address travels in a header only this front sets.
    req.headers[CLIENT_ADDRESS_HEADER] = req.socket.remoteAddress ?? '';
    void handle(req, res);
  });
  return listenThenStart(
    server,
    config,
    (service) => {
      provideRoutes(Promise.resolve(createWebRoutes(service, config)));
      ready = true;
    },
    async () => {
      provideRoutes(undefined);
      await nextApp.close();
    },
  );
}
