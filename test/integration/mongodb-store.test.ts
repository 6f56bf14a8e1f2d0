import { randomBytes } from 'node:crypto';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, describe, it } from 'vitest';
import { MongoPaymentStore } from '../../src/mongodb/index.js';
import { describePaymentStoreConformance } from '../../src/testing/index.js';

/**
 * The whole PaymentStore conformance suite against a real MongoDB server (4.2 or later), when
 * MONGODB_URL is set. One fresh database per run (dropped after), one fresh pair of collections per
 * test. No mock stands in for the server: without MONGODB_URL the suite is skipped and says why.
 */
const MONGODB_URL = process.env['MONGODB_URL'];

if (!MONGODB_URL) {
  it.skip(
    'MongoPaymentStore conformance: SKIPPED: no mongod on this machine: Debian 12 has no MongoDB package and ' +
      'mongodb-memory-server downloads the server binary, which this network refuses; set MONGODB_URL to run it',
    () => {},
  );
} else {
  const client = new MongoClient(MONGODB_URL);
  const dbName = `daraja_test_${randomBytes(6).toString('hex')}`;
  let db: Db | undefined;

  afterAll(async () => {
    await db?.dropDatabase();
    await client.close();
  });

  const makeStore = async () => {
    db ??= (await client.connect()).db(dbName);
    const store = new MongoPaymentStore(db, { collectionPrefix: `t${randomBytes(5).toString('hex')}_` });
    await store.ensureIndexes();
    return store;
  };

  describe('MongoPaymentStore on the MongoDB server', () => {
    describePaymentStoreConformance('MongoPaymentStore', makeStore, { describe, it }, { concurrency: 25 });
  });
}
