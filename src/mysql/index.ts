/**
 * `daraja-sdk/mysql`: a {@link PaymentStore} on MySQL 8.0+ or MariaDB 10.6+ over the user's mysql2 promise
 * pool, with its schema migrations. mysql2 is yours to install: this entry never imports it.
 *
 * @packageDocumentation
 * @module daraja-sdk/mysql
 */
export type { CallbackSettlement, CallbackSettlementResult, PaymentStore } from '../payments/types.js';
export type { MySqlMigration } from './migrations.js';
export { MYSQL_MIGRATIONS } from './migrations.js';
export type { MySqlConnection, MySqlPool, MySqlQueryOptions, MySqlWriteResult } from './pool.js';
export { MySqlPaymentStore, type MySqlPaymentStoreOptions } from './store.js';
