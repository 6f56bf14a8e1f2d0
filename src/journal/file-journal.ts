import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallbackJournal, JournalEntry } from '../payments/journal.js';

/** Options of {@link FileCallbackJournal}. */
export interface FileCallbackJournalOptions {
  /**
   * Call `fsync` on each entry and on the folder before `append` resolves, so an entry survives a power
   * loss, not only a crash of the process. Turn it off only on a file system that has no `fsync` (some
   * network mounts). @defaultValue true
   */
  fsync?: boolean;
}

const ENTRY = /^(\d{13})-([A-Za-z0-9_-]{1,80})\.json$/;
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * A durable {@link CallbackJournal} in a folder: one small JSON file per entry, written to a temporary
 * name, `fsync`'d and renamed into place, so a crash never leaves half an entry, and any number of
 * processes on the machine (or sharing the folder) can append, replay and remove at once. Entries are
 * read oldest first. The folder is created on first use; keep it on persistent disk, out of the web
 * root, readable only by the app (entries hold callback bodies and their URLs' tokens).
 *
 * Node only (`node:fs`); on platforms without a persistent file system, supply your own journal.
 *
 * @example
 * ```ts
 * import { FileCallbackJournal } from 'daraja-sdk/journal';
 *
 * const flow = createPaymentFlow({
 *   daraja, store, callbackUrl, callbackSecret, onCompleted,
 *   journal: new FileCallbackJournal('/var/lib/myapp/daraja-journal'),
 * });
 * ```
 */
export class FileCallbackJournal implements CallbackJournal {
  /** Always true: an appended entry is on disk. */
  readonly durable = true;
  /** The folder the entries are kept in. */
  readonly directory: string;
  readonly #fsync: boolean;
  #ready: Promise<void> | undefined;

  /**
   * @param directory - The folder to keep entries in (created if missing).
   * @param options - Whether to `fsync`.
   */
  constructor(directory: string, options: FileCallbackJournalOptions = {}) {
    if (typeof directory !== 'string' || directory.trim() === '') {
      throw new TypeError('[daraja] FileCallbackJournal needs a folder path, e.g. ".data/daraja-journal".');
    }
    this.directory = directory;
    this.#fsync = options.fsync !== false;
  }

  #prepare(): Promise<void> {
    this.#ready ??= mkdir(this.directory, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  /** {@inheritDoc daraja-sdk!CallbackJournal.append} */
  async append(entry: JournalEntry): Promise<void> {
    await this.#prepare();
    const id = safeId(entry.id);
    const at = Date.parse(entry.receivedAt);
    const name = `${String(Number.isFinite(at) ? at : Date.now()).padStart(13, '0')}-${id}.json`;
    const temp = join(this.directory, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify(entry), 'utf8');
      if (this.#fsync) await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, join(this.directory, name));
    if (this.#fsync) await this.#syncDirectory();
  }

  async #syncDirectory(): Promise<void> {
    let dir: Awaited<ReturnType<typeof open>> | undefined;
    try {
      dir = await open(this.directory, 'r');
      await dir.sync();
    } catch {
      // Some platforms cannot fsync a folder (Windows); the rename is then as durable as it gets.
    } finally {
      await dir?.close().catch(() => undefined);
    }
  }

  async #names(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return [];
      throw error;
    }
    await this.#cleanTemps(names);
    return names.filter((n) => ENTRY.test(n)).sort();
  }

  /** Remove temporary files a crash left behind (older than an hour, so no live append is touched). */
  async #cleanTemps(names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (!name.startsWith('.') || !name.endsWith('.tmp')) continue;
      const path = join(this.directory, name);
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
    }
  }

  /** {@inheritDoc daraja-sdk!CallbackJournal.read} */
  async read(limit: number): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    for (const name of await this.#names()) {
      if (out.length >= limit) break;
      let text: string;
      try {
        text = await readFile(join(this.directory, name), 'utf8');
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') continue; // removed by another process
        throw error;
      }
      try {
        out.push(JSON.parse(text) as JournalEntry);
      } catch {
        // Unreadable (not written by this class): set it aside, keeping it for a human.
        await rename(join(this.directory, name), join(this.directory, `${name}.unreadable`)).catch(
          () => undefined,
        );
      }
    }
    return out;
  }

  /** {@inheritDoc daraja-sdk!CallbackJournal.remove} */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const wanted = new Set(ids.map(safeId));
    for (const name of await this.#names()) {
      const id = ENTRY.exec(name)?.[2];
      if (id !== undefined && wanted.has(id)) {
        await unlink(join(this.directory, name)).catch((error: unknown) => {
          if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
        });
      }
    }
  }
}

/** Entry ids become file names: keep them to safe characters. */
function safeId(id: string): string {
  const safe = String(id)
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 80);
  return safe === '' ? '_' : safe;
}
