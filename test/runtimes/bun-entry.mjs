// Bun: serve the bundled app with Bun.serve; the client address is Bun's own requestIP.
import { createRuntimeApp } from './app.mjs';

const app = createRuntimeApp(process.env);
const pending = new Set();
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: (request, srv) =>
    app(request, {
      remoteAddress: srv.requestIP(request)?.address,
      waitUntil: (promise) => {
        pending.add(promise);
        promise.finally(() => pending.delete(promise));
      },
    }),
});
console.log(`listening ${server.url}`);
