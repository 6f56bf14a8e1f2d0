import { FRAMEWORKS } from '../helpers/example-apps.js';
import { browserSuite } from './browser-suite.js';

// The example page in Chromium on the Fastify app (the suite: browser-suite.ts).
browserSuite(FRAMEWORKS[1]);
