// Start the Hono example: `npm run start:hono` (or `npx tsx --tsconfig examples/tsconfig.json examples/hono/server.ts`).
// With no configuration it uses PGlite in .data/hono and the Daraja simulator in-process; ./.env is read
// when present.
import { runServer } from '../shared/start.js';
import { startHonoApp } from './app.js';

await runServer({
  framework: 'Hono',
  appName: 'hono',
  startCommand: 'npm run start:hono',
  start: startHonoApp,
});
