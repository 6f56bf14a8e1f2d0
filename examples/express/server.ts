// Start the Express example: `npm start` (or `npx tsx --tsconfig examples/tsconfig.json examples/express/server.ts`).
// With no configuration it uses PGlite in .data/express and the Daraja simulator in-process.
import { configFromEnv } from '../shared/config.js';
import { banner } from '../shared/running-app.js';
import { describeMode } from '../shared/service.js';
import { startExpressApp } from './app.js';

const app = await startExpressApp(configFromEnv(process.env, 'express'));
console.log(banner('Express', app, describeMode(app.service.mode)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
