/**
 * A callback the store could not take in time, as kept in a {@link CallbackJournal}. Everything the flow
 * needs to process it again later: the body as received (JSON, or the text), the URL with its token, and
 * the sender's address as the flow determined it.
 */
export interface JournaledCallback {
  /** Always `'callback'`. */
  kind: 'callback';
  /** Unique id of the journal entry. */
  id: string;
  /** The audit event id the callback will be recorded under (`cbe_…`), the same on every replay. */
  eventId: string;
  /** When it arrived (ISO 8601). */
  receivedAt: string;
  /** The body as received: parsed JSON, or the text (at most 64 kB). */
  body: unknown;
  /** The request path and query string (with the payment id and token). */
  url: string | null;
  /** The sender's address as the flow determined it (after `trustedProxies`). */
  remoteAddress: string | null;
}

/** An STK push answer (its ids) the store could not record, as kept in a {@link CallbackJournal}. */
export interface JournaledCheckout {
  /** Always `'checkout'`. */
  kind: 'checkout';
  /** Unique id of the journal entry. */
  id: string;
  /** When the answer came (ISO 8601). */
  receivedAt: string;
  /** Our payment id. */
  paymentId: string;
  /** Daraja's `MerchantRequestID`. */
  merchantRequestId: string;
  /** Daraja's `CheckoutRequestID`. */
  checkoutRequestId: string;
}

/** One entry of a {@link CallbackJournal}. */
export type JournalEntry = JournaledCallback | JournaledCheckout;

/**
 * Where the payment flow keeps what arrived while the {@link PaymentStore} could not take it (down, or
 * slower than the acknowledgement deadline): callbacks and STK push answers. The next `reconcile` (and
 * the next callbacks) replay the entries into the store, then remove them. Replays are idempotent, so
 * an entry applied twice (by two instances sharing a journal, or after a crash) changes nothing more.
 *
 * Ship-ready: {@link MemoryCallbackJournal} (this package; not durable) and `FileCallbackJournal`
 * (`daraja-sdk/journal`; one fsync'd file per entry). On serverless platforms, supply your own over a
 * durable service the platform offers (a KV store, a queue, object storage): `append` must resolve only
 * once the entry would survive a crash of this process.
 *
 * @example
 * ```ts
 * import { FileCallbackJournal } from 'daraja-sdk/journal';
 * const flow = createPaymentFlow({ ...options, journal: new FileCallbackJournal('/var/lib/myapp/daraja-journal') });
 * ```
 */
export interface CallbackJournal {
  /**
   * True when `append` keeps an entry through a crash or restart of this process. The flow acknowledges
   * a callback (HTTP 200) only once it is in the store or in a durable journal; with a journal that is not
   * durable it answers 503, but still applies the entry when the store is back.
   */
  readonly durable: boolean;
  /** Keep an entry. Resolves once it is kept (durably, for a durable journal). */
  append(entry: JournalEntry): Promise<void>;
  /** Up to `limit` entries not yet removed, oldest first. */
  read(limit: number): Promise<JournalEntry[]>;
  /** Forget entries once they are applied. Ids that are not there are ignored. */
  remove(ids: readonly string[]): Promise<void>;
}

/** Options of {@link MemoryCallbackJournal}. */
export interface MemoryCallbackJournalOptions {
  /** Entries kept at most; `append` throws beyond it. @defaultValue 10,000 */
  maxEntries?: number;
}

/**
 * A {@link CallbackJournal} in this process's memory. **Not durable**: it carries callbacks through a
 * store outage while the process lives, but loses them if the process dies, so the flow answers 503 for
 * what only reached it. The flow's default; pass a durable journal (`FileCallbackJournal`, or your own)
 * in production.
 */
export class MemoryCallbackJournal implements CallbackJournal {
  /** Always false: entries do not survive the process. */
  readonly durable = false;
  readonly #entries = new Map<string, JournalEntry>();
  readonly #max: number;

  /** @param options - The entry cap. */
  constructor(options: MemoryCallbackJournalOptions = {}) {
    this.#max = options.maxEntries ?? 10_000;
  }

  /** How many entries are waiting. */
  get size(): number {
    return this.#entries.size;
  }

  /** {@inheritDoc CallbackJournal.append} */
  async append(entry: JournalEntry): Promise<void> {
    if (this.#entries.size >= this.#max && !this.#entries.has(entry.id)) {
      throw new Error(`[daraja] the in-memory callback journal is full (${this.#max} entries)`);
    }
    this.#entries.set(entry.id, structuredClone(entry));
  }

  /** {@inheritDoc CallbackJournal.read} */
  async read(limit: number): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    for (const entry of this.#entries.values()) {
      if (out.length >= limit) break;
      out.push(structuredClone(entry));
    }
    return out;
  }

  /** {@inheritDoc CallbackJournal.remove} */
  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#entries.delete(id);
  }
}
