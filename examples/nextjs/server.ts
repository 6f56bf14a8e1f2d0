// Start the Next.js example: `npm run start:nextjs` (or `npx tsx --tsconfig examples/tsconfig.json examples/nextjs/server.ts`).
// It builds the app first when its sources changed (`next build` into examples/nextjs/.next, git-ignored).
// With no configuration it uses PGlite in .data/nextjs and the Daraja simulator in-process; ./.env is read
// when present.
import { runServer } from '../shared/start.js';
import { startNextjsApp } from './app.js';
import { ensureNextBuild } from './build.js';

await ensureNextBuild(console.log);
await runServer({
  framework: 'Next.js',
  appName: 'nextjs',
  startCommand: 'npm run start:nextjs',
  start: startNextjsApp,
});
