/**
 * `daraja-sdk/simulator`: a local Daraja for development and tests. OAuth, STK push and STK query over
 * real HTTP, with Daraja's validation, error envelopes, result codes and callbacks, and no Safaricom
 * credentials or internet. Start it in-process with {@link createSimulator}, or as the `daraja-sim`
 * command.
 *
 * @packageDocumentation
 * @module daraja-sdk/simulator
 */
export type { SimulatorCallbackRecord } from './callbacks.js';
export type {
  CallbackDelivery,
  SimulatedStkResult,
  SimulatorOutcome,
  SimulatorOutcomeName,
  SimulatorOutcomeSpec,
  StkOutcomeRule,
} from './outcomes.js';
export { STK_OUTCOME_RULES, stkOutcomeForPhoneNumber } from './outcomes.js';
export type { SimulatorRequest } from './server.js';
export type { Simulator, SimulatorOptions } from './simulator.js';
export { createSimulator, SIMULATOR_DEFAULTS } from './simulator.js';
export type { SimulatedStkTransaction, SimulatorMode } from './stk.js';
