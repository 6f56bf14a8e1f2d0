/**
 * `daraja-sdk/journal`: a durable callback journal on the local file system, for Node. The payment flow
 * keeps callbacks (and STK push answers) there while its store cannot take them, and replays them when
 * the store is back.
 *
 * @packageDocumentation
 * @module daraja-sdk/journal
 */
export type { CallbackJournal, JournalEntry } from '../payments/journal.js';
export type { FileCallbackJournalOptions } from './file-journal.js';
export { FileCallbackJournal } from './file-journal.js';
