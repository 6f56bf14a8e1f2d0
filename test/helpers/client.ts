import { Daraja, type DarajaOptions } from '../../src/index.js';
import { CALLBACK_URL, CONSUMER_KEY, CONSUMER_SECRET, PASSKEY, SHORTCODE } from '../fixtures/constants.js';
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
