import { clientAddress, routes } from '../../../../lib/routes.js';

// Daraja's callback (CALLBACK_PATH in examples/shared/service.ts). The client address comes from the
// node:http front or the host (lib/routes.ts): the payment flow checks it against Safaricom's IPs.
export const POST = async (request: Request) => (await routes()).callback(request, clientAddress(request));
