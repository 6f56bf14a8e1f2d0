import { FRAMEWORKS } from '../helpers/example-apps.js';
import { browserSuite } from './browser-suite.js';

// The example page in Chromium on the Express app (the suite: browser-suite.ts).
browserSuite(FRAMEWORKS[0]);
