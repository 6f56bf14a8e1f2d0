import { describe, expect, it } from 'vitest';
import {
  DarajaValidationError,
  normalizePhoneNumber,
  tryNormalizePhoneNumber,
} from '../../../../src/index.js';

describe('normalizePhoneNumber', () => {
  const valid: Array<[string | number, string]> = [
    ['0712345678', '254712345678'],
    ['0112345678', '254112345678'],
    ['712345678', '254712345678'],
    ['112345678', '254112345678'],
    ['254712345678', '254712345678'],
    ['254112345678', '254112345678'],
    ['+254712345678', '254712345678'],
    ['+254112345678', '254112345678'],
    ['00254712345678', '254712345678'],
    ['0712 345 678', '254712345678'],
    ['+254 712 345 678', '254712345678'],
    ['+254-712-345-678', '254712345678'],
    ['(0712) 345.678', '254712345678'],
    ['  0712345678  ', '254712345678'],
    ['+254 (0)712 345678', '254712345678'],
    ['2540712345678', '254712345678'],
    [254712345678, '254712345678'],
    [712345678, '254712345678'],
    ['0799999999', '254799999999'],
    ['0100000000', '254100000000'],
  ];
  it.each(valid)('normalises %j to %s', (input, expected) => {
    expect(normalizePhoneNumber(input)).toBe(expected);
    expect(tryNormalizePhoneNumber(input)).toBe(expected);
  });

  const invalid: unknown[] = [
    '',
    '   ',
    '07123456', // too short
    '07123456789', // too long
    '0812345678', // not a mobile prefix
    '0212345678',
    '254812345678',
    '25471234567',
    '2547123456789',
    '+255712345678', // Tanzania
    '+1 712 345 6789',
    '07l2345678', // letter l
    'phone',
    '0712345678x',
    '++254712345678',
    -712345678,
    7.12345678e8 + 0.5,
    Number.NaN,
    null,
    undefined,
    {},
  ];
  it.each(invalid)('rejects %j with a DarajaValidationError naming the field', (input) => {
    expect(tryNormalizePhoneNumber(input)).toBeUndefined();
    let error: unknown;
    try {
      normalizePhoneNumber(input as string, 'customerPhone');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DarajaValidationError);
    const v = error as DarajaValidationError;
    expect(v.field).toBe('customerPhone');
    expect(v.message).toContain('customerPhone');
    expect(v.message).toMatch(/e\.g\. 07XXXXXXXX/);
  });

  it('never echoes the full number in the error', () => {
    try {
      normalizePhoneNumber('0812345678');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('0812345678');
      expect((e as Error).message).toContain('5678');
    }
  });
});
