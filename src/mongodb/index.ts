/**
 * `daraja-sdk/mongodb`: a {@link PaymentStore} on MongoDB (4.2 or later) over your `Db` from the official
 * `mongodb` driver, with its indexes. This package does not depend on the driver: pass your own `Db`.
 *
 * @packageDocumentation
 * @module daraja-sdk/mongodb
 */
export type { PaymentStore } from '../payments/types.js';
export {
  type MongoCollectionLike,
  type MongoCursorLike,
  type MongoDbLike,
  type MongoDeleteResultLike,
  type MongoDocument,
  MongoPaymentStore,
  type MongoPaymentStoreOptions,
} from './store.js';
