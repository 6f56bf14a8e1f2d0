import type { RouteResponse, SimulatorRoute } from './routes.js';

/** @internal What the Bill Manager control routes read and drive. */
export interface BillManagerControl {
  /** The billers that opted in, without their app keys. */
  billers(): unknown[];
  /** Every invoice, with its payments. */
  invoices(): unknown[];
  /** A customer pays an invoice; throws a `TypeError` for an unknown invoice or a bad amount. */
  pay(externalReference: string, amount?: number): unknown;
}

const problem = (status: number, error: string): RouteResponse => ({ status, body: { error } });

/**
 * @internal
 * The simulator's own Bill Manager test API: `GET /simulator/bill-manager` lists the billers and the
 * invoices (with their payments and push attempts); `POST /simulator/bill-manager/pay` with
 * `{"externalReference": "…", "amount"?: n}` makes the customer pay the invoice (the rest of it by
 * default), which pushes the payment to the biller's `callbackurl`. Not Daraja traffic: not logged.
 */
export function billManagerControlRoutes(control: BillManagerControl): SimulatorRoute[] {
  return [
    {
      method: 'GET',
      path: '/simulator/bill-manager',
      handle: () => ({ status: 200, body: { billers: control.billers(), invoices: control.invoices() } }),
    },
    {
      method: 'POST',
      path: '/simulator/bill-manager/pay',
      handle: ({ json }) => {
        const { externalReference, amount } = (json ?? {}) as {
          externalReference?: unknown;
          amount?: unknown;
        };
        if (typeof externalReference !== 'string' || (amount !== undefined && typeof amount !== 'number'))
          return problem(400, 'send {"externalReference": "…", "amount"?: whole shillings}');
        try {
          return { status: 200, body: control.pay(externalReference, amount as number | undefined) };
        } catch (error) {
          return problem(404, (error as Error).message);
        }
      },
    },
  ];
}
