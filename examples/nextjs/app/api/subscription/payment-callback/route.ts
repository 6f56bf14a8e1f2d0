import { clientAddress, routes } from '../../../../lib/routes.js';

// Daraja's callback (CALLBACK_PATH in examples/shared/service.ts). The client address comes from the
// node:http front or the host (lib/routes.ts): the payment flow checks it against Safaricom's IPs. The
// route is the SDK's createWebCallbackHandler (examples/shared/web.ts); on Vercel, pass Next's `after`
// as its third argument so the fulfilment runs on after the answer.
export const POST = async (request: Request) => (await routes()).callback(request, clientAddress(request));
