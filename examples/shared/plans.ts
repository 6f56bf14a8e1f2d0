/** A subscription plan: what the customer pays for one period. */
export interface Plan {
  id: 'basic' | 'pro';
  name: string;
  /** Whole shillings per period. */
  amount: number;
  /** Length of one period, in days. */
  periodDays: number;
  /** `AccountReference` on the M-Pesa prompt (≤ 12 characters). */
  accountReference: string;
}

export const PLANS: Readonly<Record<Plan['id'], Plan>> = Object.freeze({
  basic: {
    id: 'basic',
    name: 'Basic (monthly)',
    amount: 199,
    periodDays: 30,
    accountReference: 'BASIC-MONTH',
  },
  pro: { id: 'pro', name: 'Pro (monthly)', amount: 499, periodDays: 30, accountReference: 'PRO-MONTH' },
});

export function findPlan(id: unknown): Plan | undefined {
  return typeof id === 'string' && Object.hasOwn(PLANS, id) ? PLANS[id as Plan['id']] : undefined;
}
