import type { C2bSimulation } from './c2b.js';
import type { SimulatorCallbackRecord } from './callbacks.js';
import type { InitiatorSimulation } from './initiator.js';
import type { Ledger } from './ledger.js';
import type { SimulatorOutcome } from './outcomes.js';
import { type ActiveSimulatorQuirks, quirksJson } from './quirks.js';
import type { ResultOutcome } from './result-outcomes.js';
import type { RouteResponse, SimulatorRoute } from './routes.js';
import type { SimulatorRequest } from './server.js';
import type { StkSimulation } from './stk.js';

/** @internal What the control API reads and drives. */
export interface ControlTargets {
  stk: StkSimulation;
  initiator: InitiatorSimulation;
  c2b: C2bSimulation;
  ledger: Ledger;
  requests: readonly SimulatorRequest[];
  callbacks: readonly SimulatorCallbackRecord[];
  /** The initiator settings a client needs, with a fresh valid `SecurityCredential`. */
  initiatorInfo: () => Record<string, string>;
  delayResponses: (delayMs: number, count?: number) => void;
  /** The quirks in effect. */
  quirks: () => ActiveSimulatorQuirks;
  /** Replace the quirks; throws a `TypeError` for an invalid value. */
  setQuirks: (quirks: unknown) => ActiveSimulatorQuirks;
}

const problem = (status: number, error: string): RouteResponse => ({ status, body: { error } });

/** `{"outcomes": [...]}` or `{"outcome": ...}` as a list, or `undefined`. */
function outcomesOf(json: unknown): unknown[] | undefined {
  const body = json as { outcomes?: unknown; outcome?: unknown } | undefined;
  const outcomes = body?.outcomes ?? (body?.outcome === undefined ? undefined : [body.outcome]);
  return Array.isArray(outcomes) ? outcomes : undefined;
}

/**
 * @internal
 * The simulator's own HTTP API under `/simulator/`, for a simulator running in another process
 * (`daraja-sim`): list and resolve STK transactions and initiator requests, queue outcomes, read the
 * C2B state, the ledger and the logs, get the initiator settings, read and set the quirks, and hold
 * answers back. It is not
 * Daraja traffic, so it is not written to the request log.
 */
export function controlRoutes(targets: ControlTargets): SimulatorRoute[] {
  const { stk, initiator, c2b, ledger, requests, callbacks } = targets;
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
        if (transaction.decidedAt !== undefined)
          return problem(409, `already decided: ${transaction.status}`);
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
        const outcomes = outcomesOf(json);
        if (!outcomes) return problem(400, 'send {"outcomes": ["cancelled", …]}');
        try {
          stk.enqueue(outcomes as SimulatorOutcome[]);
        } catch (error) {
          return problem(400, (error as Error).message);
        }
        return { status: 200, body: { queued: outcomes.length } };
      },
    },
    {
      method: 'GET',
      path: '/simulator/operations',
      handle: () => ({ status: 200, body: { operations: initiator.list() } }),
    },
    {
      method: 'GET',
      path: '/simulator/operations/:id',
      handle: ({ params }) => {
        const operation = initiator.get(params['id']!);
        return operation ? { status: 200, body: operation } : problem(404, 'no such ConversationID');
      },
    },
    {
      method: 'POST',
      path: '/simulator/operations/:id/resolve',
      handle: ({ params, json }) => {
        const id = params['id']!;
        const operation = initiator.get(id);
        if (!operation) return problem(404, 'no such ConversationID');
        if (operation.status !== 'pending') return problem(409, `already processed: ${operation.status}`);
        const outcome = (json as { outcome?: ResultOutcome } | undefined)?.outcome ?? 'success';
        try {
          return { status: 200, body: initiator.resolve(id, outcome) };
        } catch (error) {
          return problem(400, (error as Error).message);
        }
      },
    },
    {
      method: 'POST',
      path: '/simulator/next-result',
      handle: ({ json }) => {
        const outcomes = outcomesOf(json);
        if (!outcomes) return problem(400, 'send {"outcomes": ["insufficient-funds", …]}');
        try {
          initiator.enqueue(outcomes as ResultOutcome[]);
        } catch (error) {
          return problem(400, (error as Error).message);
        }
        return { status: 200, body: { queued: outcomes.length } };
      },
    },
    {
      method: 'GET',
      path: '/simulator/c2b',
      handle: () => ({
        status: 200,
        body: { registrations: c2b.registrations(), payments: c2b.payments() },
      }),
    },
    {
      method: 'GET',
      path: '/simulator/ledger',
      handle: () => ({ status: 200, body: { transactions: ledger.list() } }),
    },
    {
      method: 'GET',
      path: '/simulator/initiator',
      handle: () => ({ status: 200, body: targets.initiatorInfo() }),
    },
    {
      method: 'POST',
      path: '/simulator/delay-responses',
      handle: ({ json }) => {
        const { delayMs, count } = (json ?? {}) as { delayMs?: unknown; count?: unknown };
        try {
          targets.delayResponses(delayMs as number, (count ?? 1) as number);
        } catch (error) {
          return problem(400, (error as Error).message);
        }
        return { status: 200, body: { delayMs, count: count ?? 1 } };
      },
    },
    {
      method: 'GET',
      path: '/simulator/quirks',
      handle: () => ({ status: 200, body: quirksJson(targets.quirks()) }),
    },
    {
      method: 'POST',
      path: '/simulator/quirks',
      handle: ({ json }) => {
        if (json === undefined) return problem(400, 'send {"preset":"realistic"}, or an object of quirks');
        try {
          return { status: 200, body: quirksJson(targets.setQuirks(json)) };
        } catch (error) {
          return problem(400, (error as Error).message);
        }
      },
    },
    { method: 'GET', path: '/simulator/requests', handle: () => ({ status: 200, body: { requests } }) },
    { method: 'GET', path: '/simulator/callbacks', handle: () => ({ status: 200, body: { callbacks } }) },
  ];
}
