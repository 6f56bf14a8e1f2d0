// Start the Express example: `npm start` (or `npx tsx --tsconfig examples/tsconfig.json examples/express/server.ts`).
// With no configuration it uses PGlite in .data/express and the Daraja simulator in-process; ./.env is read
// when present.
import { runServer } from '../shared/start.js';
import { startExpressApp } from './app.js';

await runServer({
  framework: 'Express',
  appName: 'express',
  startCommand: 'npm start',
  start: startExpressApp,
});
