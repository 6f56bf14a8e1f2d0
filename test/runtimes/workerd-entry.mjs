// Cloudflare workerd: a module worker; fulfilment after the answer goes to ctx.waitUntil.
import { createRuntimeApp } from './app.mjs';

let app;
export default {
  fetch(request, env, ctx) {
    app ??= createRuntimeApp(env);
    return app(request, {
      remoteAddress: request.headers.get('cf-connecting-ip') ?? undefined,
      waitUntil: (promise) => ctx.waitUntil(promise),
    });
  },
};
