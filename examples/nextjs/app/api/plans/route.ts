import { routes } from '../../../lib/routes.js';

export const dynamic = 'force-dynamic';
export const GET = async () => (await routes()).plans();
