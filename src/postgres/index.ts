/**
 * `daraja-sdk/postgres`: a {@link PaymentStore} on PostgreSQL for `pg` (Pool or Client) and PGlite, with
 * its schema migrations, and {@link PostgresTokenCache}, a shared `TokenCache` in the same database.
 *
 * @packageDocumentation
 * @module daraja-sdk/postgres
 */
export type { CallbackSettlement, CallbackSettlementResult, PaymentStore } from '../payments/types.js';
export type { Migration } from './migrations.js';
export { MIGRATIONS } from './migrations.js';
export type { SqlClient, SqlResult } from './store.js';
export { PostgresPaymentStore, type PostgresPaymentStoreOptions } from './store.js';
export { PostgresTokenCache, type PostgresTokenCacheOptions } from './token-cache.js';
