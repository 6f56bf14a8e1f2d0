import * as account from './account.js';
import * as b2b from './b2b.js';
import * as b2c from './b2c.js';
import type { InitiatorOperation } from './operation.js';

// The one list of the initiator products: a new product file adds its line here, and nothing else.

/** The initiator operations the simulator serves, named as the SDK names them. */
export type SimulatedOperationName = b2c.OperationName | b2b.OperationName | account.OperationName;

/** @internal Every initiator endpoint, in route order. */
export const OPERATIONS: readonly InitiatorOperation<SimulatedOperationName>[] = [
  ...b2c.OPERATIONS,
  ...b2b.OPERATIONS,
  ...account.OPERATIONS,
];
