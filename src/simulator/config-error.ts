/** One invalid option of {@link createSimulator}: the option's name and what is wrong with it. */
export interface SimulatorConfigIssue {
  /** The option, e.g. `callbackDelayMs` or `quirks.stkQuery.stillProcessing.every`. */
  readonly field: string;
  /** What is wrong, e.g. `must be a whole number from 0 to 2147483647.` */
  readonly message: string;
}

/**
 * Thrown by {@link createSimulator} for invalid options, listing every problem at once in `issues`
 * and in its message. The simulator's own class: it imports nothing of the SDK it checks.
 */
export class SimulatorConfigError extends Error {
  /** Every invalid option. */
  readonly issues: readonly SimulatorConfigIssue[];

  constructor(issues: readonly SimulatorConfigIssue[]) {
    // The same text the SDK's configuration errors have, so the `daraja-sim` output reads the same.
    const list = issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n');
    const count = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    super(`[daraja] Invalid configuration (${count}):\n${list}`);
    this.name = 'SimulatorConfigError';
    this.issues = issues;
  }
}
