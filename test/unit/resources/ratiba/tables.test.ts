import { describe, expect, it } from 'vitest';
import { RATIBA_FREQUENCIES, RATIBA_TRANSACTION_TYPES } from '../../../../src/index.js';

// The pin: a wrong Frequency debits a customer too often. Each value below is copied by hand from the
// newest Daraja portal capture of the Ratiba page ("version B": starnerz/laravel-daraja's capture of
// 15 August 2026 and newtonmunene99/mpesa-api's transcriptions of 29 September and 7 October 2026), and
// written here literally, so changing, adding or removing an entry of either table fails this test.

describe('RATIBA_FREQUENCIES (version B: 4 = Bi-weekly, 5 = Monthly)', () => {
  it.each([
    ['oneOff', '1'], // One Off
    ['daily', '2'], // Daily
    ['weekly', '3'], // Weekly
    ['biWeekly', '4'], // Bi-weekly (version A had 4 = Monthly)
    ['monthly', '5'], // Monthly
    ['biMonthly', '6'], // Bi-monthly
    ['quarterly', '7'], // Quarterly
    ['halfYearly', '8'], // Half Yearly
    ['yearly', '9'], // Yearly
  ] as const)('%s is sent as Frequency "%s"', (name, wire) => {
    expect(RATIBA_FREQUENCIES[name]).toBe(wire);
  });

  it('has exactly these names, and no two names share a wire value', () => {
    expect(Object.keys(RATIBA_FREQUENCIES).sort()).toEqual(
      [
        'biMonthly',
        'biWeekly',
        'daily',
        'halfYearly',
        'monthly',
        'oneOff',
        'quarterly',
        'weekly',
        'yearly',
      ].sort(),
    );
    expect(new Set(Object.values(RATIBA_FREQUENCIES)).size).toBe(9);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(RATIBA_FREQUENCIES)).toBe(true);
  });
});

describe('RATIBA_TRANSACTION_TYPES (version B, MPESA-API transcription of 2026-09-29 / 2026-10-07)', () => {
  it.each([
    ['payBill', 'Standing Order Pay Bill Ext-Third Party'],
    ['buyGoods', 'Standing Order Merchant Payment Ext-Third Party'],
  ] as const)('%s is sent as TransactionType "%s"', (name, wire) => {
    expect(RATIBA_TRANSACTION_TYPES[name]).toBe(wire);
  });

  it('has exactly these names', () => {
    expect(Object.keys(RATIBA_TRANSACTION_TYPES).sort()).toEqual(['buyGoods', 'payBill']);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(RATIBA_TRANSACTION_TYPES)).toBe(true);
  });
});
