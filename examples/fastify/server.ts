// Start the Fastify example: `npm run start:fastify`.
// With no configuration it uses PGlite in .data/fastify and the Daraja simulator in-process.
import { configFromEnv } from '../shared/config.js';
import { banner } from '../shared/running-app.js';
import { describeMode } from '../shared/service.js';
import { startFastifyApp } from './app.js';

const app = await startFastifyApp(configFromEnv(process.env, 'fastify'));
console.log(banner('Fastify', app, describeMode(app.service.mode)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
