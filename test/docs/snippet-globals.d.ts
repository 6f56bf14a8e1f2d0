// The free identifiers of the code snippets in README.md and docs/*.md, with the types they have in a
// real app. Each snippet is type-checked as its own module (test/docs/snippets.test.ts); a snippet that
// declares or imports one of these names shadows it. SDK functions and classes are NOT here: a snippet
// imports what it uses from the SDK, so it can be copied as it is. See CONTRIBUTING.md.
import type { Daraja, DarajaLogger, Payment, PaymentFlow, PaymentStore } from 'daraja-sdk';
import type { Simulator } from 'daraja-sdk/simulator';

declare global {
  /** The client of the quick start: `Daraja.fromEnv()` or `new Daraja({ … })`. */
  const daraja: Daraja;
  /** The payment flow: `createPaymentFlow({ … })`. */
  const flow: PaymentFlow;
  /** Any payment store. */
  const store: PaymentStore;
  /** A simulator started with `await createSimulator()`. */
  const sim: Simulator;

  /** An Express 5 app (`express()`), and the request and response of the route being written. */
  const app: import('express').Express;
  const req: import('express').Request;
  const res: import('express').Response;

  /** A `pg` pool, as the app's database. */
  const pool: import('pg').Pool;
  const db: import('pg').Pool;

  /** The app's logger: pino-like, every level present. */
  const logger: Required<DarajaLogger>;

  /** The signed-in user, and what they asked to pay. */
  const user: { id: string };
  const phoneNumber: string;
  const amount: number;
  const accountReference: string;

  /** The app's fulfilment: what `onCompleted` does with a completed payment. */
  function activateSubscription(payment: Payment): Promise<void>;
}
