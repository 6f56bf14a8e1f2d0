/**
 * `daraja-sdk/simulator`: a local Daraja for development and tests. OAuth, STK push and query, C2B
 * (register, simulate, validation and confirmation), B2C, B2B, tax, transaction status, account balance,
 * reversal, dynamic QR and pull transactions over real HTTP, with Daraja's validation, error envelopes,
 * result codes, callbacks and results, and no Safaricom credentials or internet. Start it in-process with
 * {@link createSimulator}, or as the `daraja-sim` command.
 *
 * @packageDocumentation
 * @module daraja-sdk/simulator
 */
export type {
  SimulatedC2bPayment,
  SimulatedC2bRegistration,
  SimulatedC2bStatus,
  SimulatedC2bValidationAnswer,
  SimulatedC2bVersion,
} from './c2b.js';
export type { SimulatorCallbackRecord } from './callbacks.js';
export type { SimulatorConfigIssue } from './config-error.js';
export { SimulatorConfigError } from './config-error.js';
export type { SimulatorMode } from './engine.js';
export type { SimulatedOperationName } from './initiator-operations/operations.js';
export type {
  CredentialCheck,
  SimulatedOperation,
  SimulatedOperationStatus,
} from './initiator-operations/simulation.js';
export type { SimulatedLedgerEntry, SimulatedTransactionKind } from './ledger.js';
export type { SimulatorLogger } from './log.js';
export type { SimulatorOptions } from './options.js';
export { SIMULATOR_DEFAULTS } from './options.js';
export type {
  CallbackDelivery,
  SimulatedStkResult,
  SimulatedStkStatus,
  SimulatedStkTransaction,
  SimulatorOutcome,
  SimulatorOutcomeName,
  SimulatorOutcomeSpec,
  StkOutcomeRule,
} from './outcomes.js';
export { STK_OUTCOME_RULES, stkOutcomeForPhoneNumber } from './outcomes.js';
export type {
  ActiveSimulatorQuirks,
  ActiveStkQueryQuirks,
  CallbackPhoneNumberForm,
  SimulatorQuirkRule,
  SimulatorQuirkSwitch,
  SimulatorQuirks,
  SimulatorQuirksPreset,
  SpikeArrestRate,
  StkCallbackQuirks,
  StkQueryQuirks,
} from './quirks.js';
export { SIMULATOR_QUIRK_PRESETS } from './quirks.js';
export type {
  ResultDelivery,
  ResultOutcome,
  ResultOutcomeName,
  ResultOutcomeRule,
  ResultOutcomeSpec,
  SimulatedResult,
} from './result-outcomes.js';
export { RESULT_OUTCOME_RULES, resultOutcomeFor } from './result-outcomes.js';
export type { SimulatorRequest } from './server.js';
export { createSimulator } from './simulator.js';
export type { Simulator } from './simulator-api.js';
