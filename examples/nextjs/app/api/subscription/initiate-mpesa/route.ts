import { routes } from '../../../../lib/routes.js';

// Body limit, authentication, the initiate rate limits and validation: examples/shared/web.ts.
export const POST = async (request: Request) => (await routes()).initiate(request);
