import { describe, it } from 'vitest';
import { describePaymentStoreConformance } from '../../src/testing/index.js';
import { reportSkip, STORE_KINDS } from '../helpers/stores.js';

// The conformance suite exported from daraja-sdk/testing, run against every store we ship.
for (const kind of STORE_KINDS) {
  if (kind.skip) reportSkip(kind);
  else describePaymentStoreConformance(kind.name, kind.make, { describe, it }, { concurrency: 25 });
}
