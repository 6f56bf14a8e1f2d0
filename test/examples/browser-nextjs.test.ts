import { FRAMEWORKS } from '../helpers/example-apps.js';
import { browserSuite } from './browser-suite.js';

// The example page in Chromium on the Next.js app (the suite: browser-suite.ts). Hono's routes are the
// same web-standard routes (examples/shared/web.ts), so it has no browser suite of its own.
browserSuite(FRAMEWORKS[3]);
