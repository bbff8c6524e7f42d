import { describe, expect, it } from 'vitest';
import { currencyExponent, fromMinorUnits, InvalidAmount, toMinorUnits } from '../../src/domain/money.js';

describe('toMinorUnits', () => {
  it.each([
    ['48.46', 'USD', 4846],
    ['48.4', 'usd', 4840],
    ['48', 'aud', 4800],
    ['0.01', 'gbp', 1],
    ['48.460', 'usd', 4846],
    ['-2.50', 'nzd', -250],
    ['5000', 'JPY', 5000],
    ['5000.00', 'jpy', 5000],
    ['1.234', 'KWD', 1234],
    ['0012.30', 'usd', 1230],
    // 0.1 + 0.2 style float traps never arise: string arithmetic only.
    ['0.29', 'usd', 29],
    ['1.15', 'usd', 115],
    ['90071992547409.91', 'usd', 9007199254740991],
  ])('%s %s -> %d', (value, currency, minor) => {
    expect(toMinorUnits(value, currency)).toBe(minor);
  });

  it.each([
    ['48.465', 'usd'],
    ['1.5', 'jpy'],
    ['1e3', 'usd'],
    ['', 'usd'],
    ['12,00', 'eur'],
    ['NaN', 'usd'],
    ['90071992547409.92', 'usd'],
  ])('refuses %j in %s', (value, currency) => {
    expect(() => toMinorUnits(value, currency)).toThrowError(InvalidAmount);
  });

  it('round-trips through fromMinorUnits', () => {
    for (const [minor, currency] of [
      [4846, 'usd'],
      [5, 'usd'],
      [-250, 'nzd'],
      [5000, 'jpy'],
      [1234, 'kwd'],
      [0, 'gbp'],
    ] as const) {
      expect(toMinorUnits(fromMinorUnits(minor, currency), currency)).toBe(minor);
    }
    expect(fromMinorUnits(5, 'usd')).toBe('0.05');
    expect(currencyExponent('JPY')).toBe(0);
  });
});
