import { routes } from '../lib/routes.js';

// The page: the shared page HTML, served by a route handler (the app has no React pages).
export const dynamic = 'force-dynamic';
export const GET = async () => (await routes()).page();
