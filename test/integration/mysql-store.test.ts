import { afterAll, describe, it } from 'vitest';
import { describePaymentStoreConformance } from '../../src/testing/index.js';
import { freshStore, MYSQL_SKIP, type MySqlTestStore } from '../helpers/mysql.js';

// The whole PaymentStore conformance suite on a real MySQL/MariaDB server (MYSQL_URL), each test in a
// fresh database, dropped after.

if (MYSQL_SKIP) {
  it.skip(`MySqlPaymentStore conformance: SKIPPED: ${MYSQL_SKIP}`, () => {});
} else {
  const opened: MySqlTestStore[] = [];
  afterAll(async () => {
    for (const s of opened.splice(0)) await s.close();
  });
  describePaymentStoreConformance(
    'MySqlPaymentStore on the MySQL/MariaDB server',
    async () => {
      const s = await freshStore();
      opened.push(s);
      return s.store;
    },
    { describe, it },
    { concurrency: 25 },
  );
}
