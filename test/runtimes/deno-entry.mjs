// Deno: serve the bundled app with Deno.serve; the client address is the connection's remoteAddr.
import { createRuntimeApp } from './app.mjs';

const app = createRuntimeApp(Deno.env.toObject());
Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT')),
    onListen: ({ port }) => console.log(`listening http://127.0.0.1:${port}`),
  },
  (request, info) => app(request, { remoteAddress: info.remoteAddr.hostname, waitUntil: () => {} }),
);
