import { Daraja, type DarajaOptions } from '../../src/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import {
  B2C_SHORTCODE,
  CALLBACK_URL,
  CONSUMER_KEY,
  CONSUMER_SECRET,
  INITIATOR_NAME,
  PASSKEY,
  QUEUE_TIMEOUT_URL,
  RESULT_URL,
  SECURITY_CREDENTIAL,
  SHORTCODE,
} from '../fixtures/constants.js';
import { testLogger } from './logger.js';

/** A client with the test credentials, the capturing logger and near-zero retry delays. */
export function makeClient(overrides: Partial<DarajaOptions> = {}): Daraja {
  return new Daraja({
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    shortcode: SHORTCODE,
    passkey: PASSKEY,
    callbackUrl: CALLBACK_URL,
    logger: testLogger,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...overrides,
  });
}

/** A client also set up for the initiator APIs (B2C, B2B, tax, status, balance, reversal). */
export function makeInitiatorClient(overrides: Partial<DarajaOptions> = {}): Daraja {
  return makeClient({
    initiatorName: INITIATOR_NAME,
    securityCredential: SECURITY_CREDENTIAL,
    initiatorShortcode: B2C_SHORTCODE,
    resultUrl: RESULT_URL,
    queueTimeoutUrl: QUEUE_TIMEOUT_URL,
    ...overrides,
  });
}

/** The error a promise rejects with; fails the test if it resolves or rejects with a non-Error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(result instanceof Error)) throw new Error('expected the promise to reject');
  return result;
}

/**
 * A simulator with the test credentials and the capturing logger, in manual mode: each STK prompt stays
 * open until the test resolves it (`sim.resolve`).
 */
export function startManualSimulator(): Promise<Simulator> {
  return createSimulator({
    mode: 'manual',
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    logger: testLogger,
  });
}
