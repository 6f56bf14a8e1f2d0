/**
 * Where a payment stands.
 *
 * - `pending`: the prompt was sent (or may have been) and no final result is known yet.
 * - `completed`: the customer paid (result code 0).
 * - `cancelled`: the customer cancelled the prompt (1032).
 * - `timeout`: the customer could not be reached or did not answer in time (1037).
 * - `failed`: any other result code (insufficient funds, wrong PIN, …).
 *
 * Every status except `pending` is terminal: it never changes again.
 */
export type PaymentStatus = 'pending' | 'completed' | 'cancelled' | 'failed' | 'timeout';

/** The terminal statuses: a payment in one of these never changes again. */
export const TERMINAL_PAYMENT_STATUSES: readonly PaymentStatus[] = [
  'completed',
  'cancelled',
  'failed',
  'timeout',
];

/**
 * True when `status` is terminal (anything but `pending`).
 *
 * @param status - A payment status.
 */
export function isTerminalPaymentStatus(status: PaymentStatus): boolean {
  return status !== 'pending';
}
