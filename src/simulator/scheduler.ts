/**
 * @internal
 * Runs the simulator's delayed work (decisions, callback deliveries) and knows when all of it is done,
 * so tests can wait for "nothing left to happen" instead of sleeping. A task never rejects: its errors
 * go to `onError`.
 */
export class Scheduler {
  readonly #timers = new Map<ReturnType<typeof setTimeout>, () => void>();
  readonly #work = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Aborted by {@link Scheduler.close}: in-flight tasks (HTTP deliveries) should stop. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Run `task` after `delayMs`.
   *
   * @returns A function that cancels the task if it has not started yet.
   */
  schedule(delayMs: number, task: () => unknown): () => void {
    if (this.#abort.signal.aborted) return () => {};
    let cancel = () => {};
    const work = new Promise<void>((done) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.run(task).then(done);
      }, delayMs);
      this.#timers.set(timer, done);
      cancel = () => {
        if (this.#timers.delete(timer)) {
          clearTimeout(timer);
          done();
        }
      };
    });
    this.#track(work);
    return cancel;
  }

  /** Run `task` now, tracked like scheduled work. */
  run(task: () => unknown): Promise<void> {
    const work = (async () => {
      try {
        await task();
      } catch (error) {
        this.#onError(error);
      }
    })();
    this.#track(work);
    return work;
  }

  /** Resolves once no task is waiting or running (tasks scheduled meanwhile are waited for too). */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.all(this.#work);
  }

  /** Cancel every waiting task. */
  cancelAll(): void {
    for (const [timer, done] of this.#timers) {
      clearTimeout(timer);
      done();
    }
    this.#timers.clear();
  }

  /** Cancel every waiting task, abort running ones and refuse new ones. */
  close(): void {
    this.cancelAll();
    this.#abort.abort();
  }

  #track(work: Promise<void>): void {
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
  }
}
