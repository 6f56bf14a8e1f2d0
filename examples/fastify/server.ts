// Start the Fastify example: `npm run start:fastify`.
// With no configuration it uses PGlite in .data/fastify and the Daraja simulator in-process; ./.env is read
// when present.
import { runServer } from '../shared/start.js';
import { startFastifyApp } from './app.js';

await runServer({
  framework: 'Fastify',
  appName: 'fastify',
  startCommand: 'npm run start:fastify',
  start: startFastifyApp,
});
