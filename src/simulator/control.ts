import type { C2bSimulation } from './c2b.js';
import type { SimulatorCallbackRecord } from './callbacks.js';
import type { InitiatorSimulation } from './initiator-operations/simulation.js';
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
  const { stk, initiator } = targets;
  return [
    ...resolvableRoutes({
      path: '/simulator/stk',
      listKey: 'transactions',
      queuePath: '/simulator/next-outcome',
      example: 'send {"outcomes": ["cancelled", …]}',
      missing: 'no such CheckoutRequestID',
      closed: (t) => (t.decidedAt !== undefined ? `already decided: ${t.status}` : undefined),
      target: {
        list: () => stk.list(),
        get: (id) => stk.get(id),
        resolve: (id, o) => stk.resolve(id, o as SimulatorOutcome),
        enqueue: (o) => stk.enqueue(o as SimulatorOutcome[]),
      },
    }),
    ...resolvableRoutes({
      path: '/simulator/operations',
      listKey: 'operations',
      queuePath: '/simulator/next-result',
      example: 'send {"outcomes": ["insufficient-funds", …]}',
      missing: 'no such ConversationID',
      closed: (o) => (o.status !== 'pending' ? `already processed: ${o.status}` : undefined),
      target: {
        list: () => initiator.list(),
        get: (id) => initiator.get(id),
        resolve: (id, o) => initiator.resolve(id, o as ResultOutcome),
        enqueue: (o) => initiator.enqueue(o as ResultOutcome[]),
      },
    }),
    ...stateRoutes(targets),
    ...settingRoutes(targets),
  ];
}

/** What the control API drives of one lifecycle (STK pushes, initiator requests). */
interface Resolvable<T> {
  list(): T[];
  get(id: string): T | undefined;
  resolve(id: string, outcome: unknown): T;
  enqueue(outcomes: unknown[]): void;
}

/** List, read, resolve one, and queue outcomes for the next ones. */
function resolvableRoutes<T>(c: {
  path: string;
  listKey: string;
  queuePath: string;
  example: string;
  missing: string;
  /** Why this one cannot be resolved any more, if so. */
  closed: (item: T) => string | undefined;
  target: Resolvable<T>;
}): SimulatorRoute[] {
  const { target } = c;
  return [
    { method: 'GET', path: c.path, handle: () => ({ status: 200, body: { [c.listKey]: target.list() } }) },
    {
      method: 'GET',
      path: `${c.path}/:id`,
      handle: ({ params }) => {
        const item = target.get(params['id']!);
        return item ? { status: 200, body: item } : problem(404, c.missing);
      },
    },
    {
      method: 'POST',
      path: `${c.path}/:id/resolve`,
      handle: ({ params, json }) => {
        const id = params['id']!;
        const item = target.get(id);
        if (!item) return problem(404, c.missing);
        const closed = c.closed(item);
        if (closed) return problem(409, closed);
        const outcome = (json as { outcome?: unknown } | undefined)?.outcome ?? 'success';
        return attempt(() => ({ status: 200, body: target.resolve(id, outcome) }));
      },
    },
    {
      method: 'POST',
      path: c.queuePath,
      handle: ({ json }) => {
        const outcomes = outcomesOf(json);
        if (!outcomes) return problem(400, c.example);
        return attempt(() => {
          target.enqueue(outcomes);
          return { status: 200, body: { queued: outcomes.length } };
        });
      },
    },
  ];
}

/** The answer of `run`, or a 400 with the message of what it threw (a bad outcome, delay or quirk). */
function attempt(run: () => RouteResponse): RouteResponse {
  try {
    return run();
  } catch (error) {
    return problem(400, (error as Error).message);
  }
}

/** What the simulator holds: C2B, the ledger, the request and callback logs, the initiator settings. */
function stateRoutes(targets: ControlTargets): SimulatorRoute[] {
  const { c2b, ledger, requests, callbacks } = targets;
  const get = (path: string, body: () => unknown): SimulatorRoute => ({
    method: 'GET',
    path,
    handle: () => ({ status: 200, body: body() }),
  });
  return [
    get('/simulator/c2b', () => ({ registrations: c2b.registrations(), payments: c2b.payments() })),
    get('/simulator/ledger', () => ({ transactions: ledger.list() })),
    get('/simulator/initiator', () => targets.initiatorInfo()),
    get('/simulator/quirks', () => quirksJson(targets.quirks())),
    get('/simulator/requests', () => ({ requests })),
    get('/simulator/callbacks', () => ({ callbacks })),
  ];
}

/** Hold answers back, and set the quirks. */
function settingRoutes(targets: ControlTargets): SimulatorRoute[] {
  return [
    {
      method: 'POST',
      path: '/simulator/delay-responses',
      handle: ({ json }) => {
        const { delayMs, count } = (json ?? {}) as { delayMs?: unknown; count?: unknown };
        return attempt(() => {
          targets.delayResponses(delayMs as number, (count ?? 1) as number);
          return { status: 200, body: { delayMs, count: count ?? 1 } };
        });
      },
    },
    {
      method: 'POST',
      path: '/simulator/quirks',
      handle: ({ json }) => {
        if (json === undefined) return problem(400, 'send {"preset":"realistic"}, or an object of quirks');
        return attempt(() => ({ status: 200, body: quirksJson(targets.setQuirks(json)) }));
      },
    },
  ];
}
