/** @internal Where a command writes, and the process it listens to for signals. */
export interface ProcessIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Emits `SIGINT` / `SIGTERM` (the process, or a stand-in in tests). */
  signals: Pick<NodeJS.Process, 'once' | 'off'>;
}

/**
 * @internal
 * Run a command as this process (the `daraja` and `daraja-sim` binaries): its exit code becomes the
 * process's, and an error it lets through is printed as `<name>: <message>` with exit code 1.
 */
export function runAsProcess(name: string, command: (io: ProcessIo) => Promise<number>): void {
  const exit = (code: number) => {
    process.exitCode = code;
    // Everything is closed by now; if a stray handle keeps the process alive, leave anyway.
    setTimeout(() => process.exit(code), 2000).unref();
  };
  command({
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    signals: process,
  }).then(exit, (error: unknown) => {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    exit(1);
  });
}
