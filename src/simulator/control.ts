import type { SimulatorCallbackRecord } from './callbacks.js';
import type { SimulatorOutcome } from './outcomes.js';
import type { RouteResponse, SimulatorRoute } from './routes.js';
import type { SimulatorRequest } from './server.js';
import type { StkSimulation } from './stk.js';

/** @internal What the control API reads and drives. */
export interface ControlTargets {
  stk: StkSimulation;
  requests: readonly SimulatorRequest[];
  callbacks: readonly SimulatorCallbackRecord[];
}

const problem = (status: number, error: string): RouteResponse => ({ status, body: { error } });

/**
 * @internal
 * The simulator's own HTTP API under `/simulator/`, for a simulator running in another process
 * (`daraja-sim`): list and resolve STK transactions, queue outcomes, read the logs. It is not Daraja
 * traffic, so it is not written to the request log.
 */
export function controlRoutes({ stk, requests, callbacks }: ControlTargets): SimulatorRoute[] {
  return [
    {
      method: 'GET',
      path: '/simulator/stk',
      handle: () => ({ status: 200, body: { transactions: stk.list() } }),
    },
    {
      method: 'GET',
      path: '/simulator/stk/:id',
      handle: ({ params }) => {
        const transaction = stk.get(params['id']!);
        return transaction ? { status: 200, body: transaction } : problem(404, 'no such CheckoutRequestID');
      },
    },
    {
      method: 'POST',
      path: '/simulator/stk/:id/resolve',
      handle: ({ params, json }) => {
        const id = params['id']!;
        const transaction = stk.get(id);
        if (!transaction) return problem(404, 'no such CheckoutRequestID');
        if (transaction.status !== 'pending') return problem(409, `already decided: ${transaction.status}`);
        const outcome = (json as { outcome?: SimulatorOutcome } | undefined)?.outcome ?? 'success';
        try {
          return { status: 200, body: stk.resolve(id, outcome) };
        } catch (error) {
          return problem(400, (error as Error).message);
        }
      },
    },
    {
      method: 'POST',
      path: '/simulator/next-outcome',
      handle: ({ json }) => {
        const body = json as { outcomes?: unknown; outcome?: unknown } | undefined;
        const outcomes = body?.outcomes ?? (body?.outcome === undefined ? undefined : [body.outcome]);
        if (!Array.isArray(outcomes)) return problem(400, 'send {"outcomes": ["cancelled", …]}');
        try {
          stk.enqueue(outcomes as SimulatorOutcome[]);
        } catch (error) {
          return problem(400, (error as Error).message);
        }
        return { status: 200, body: { queued: outcomes.length } };
      },
    },
    { method: 'GET', path: '/simulator/requests', handle: () => ({ status: 200, body: { requests } }) },
    { method: 'GET', path: '/simulator/callbacks', handle: () => ({ status: 200, body: { callbacks } }) },
  ];
}
