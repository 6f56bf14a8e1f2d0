import type { Payment } from 'daraja-sdk';
import type { SqlClient } from 'daraja-sdk/postgres';
import type { Plan } from './plans.js';

const DAY = 86_400_000;

/** A user's subscription, derived from their paid periods. */
export interface Subscription {
  status: 'active' | 'expired' | 'none';
  plan: Plan['id'] | null;
  /** When the paid time runs out. */
  activeUntil: string | null;
  /** One entry per completed payment. */
  periods: Array<{ paymentId: string; plan: string; days: number; paidAt: string }>;
}

/**
 * Subscription periods, one row per completed payment. The payment id is the primary key, so a
 * fulfilment that runs again (after a crash) cannot extend the subscription twice. The end date is
 * computed from the rows in payment order, so concurrent payments need no locking.
 */
export class Subscriptions {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async migrate(): Promise<void> {
    await this.#db.query(`CREATE TABLE IF NOT EXISTS demo_subscription_periods (
      payment_id text PRIMARY KEY,
      user_id text NOT NULL,
      plan text NOT NULL,
      days integer NOT NULL CHECK (days > 0),
      paid_at timestamptz NOT NULL
    )`);
    await this.#db.query(
      'CREATE INDEX IF NOT EXISTS demo_subscription_periods_user ON demo_subscription_periods (user_id, paid_at)',
    );
  }

  /** Add the period a completed payment bought. Returns false if this payment already added one. */
  async extend(payment: Payment, plan: Plan): Promise<boolean> {
    const { rows } = await this.#db.query(
      `INSERT INTO demo_subscription_periods (payment_id, user_id, plan, days, paid_at)
       VALUES ($1, $2, $3, $4, $5::timestamptz)
       ON CONFLICT (payment_id) DO NOTHING
       RETURNING payment_id`,
      [
        payment.id,
        payment.ownerId,
        plan.id,
        plan.periodDays,
        (payment.completedAt ?? new Date()).toISOString(),
      ],
    );
    return rows.length === 1;
  }

  async current(userId: string, now = new Date()): Promise<Subscription> {
    const { rows } = await this.#db.query(
      'SELECT payment_id, plan, days, paid_at FROM demo_subscription_periods WHERE user_id = $1 ORDER BY paid_at, payment_id',
      [userId],
    );
    const periods = (
      rows as Array<{ payment_id: string; plan: string; days: number; paid_at: Date | string }>
    ).map((r) => ({
      paymentId: r.payment_id,
      plan: r.plan,
      days: Number(r.days),
      paidAt: new Date(r.paid_at).toISOString(),
    }));
    if (periods.length === 0) return { status: 'none', plan: null, activeUntil: null, periods };
    let end = 0;
    for (const p of periods) end = Math.max(end, Date.parse(p.paidAt)) + p.days * DAY;
    return {
      status: end > now.getTime() ? 'active' : 'expired',
      plan: periods.at(-1)!.plan as Plan['id'],
      activeUntil: new Date(end).toISOString(),
      periods,
    };
  }
}
