import { routes } from '../../../../lib/routes.js';

export const GET = async (request: Request) => (await routes()).checkPayment(request);
