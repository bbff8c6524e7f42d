// Decimal major-unit strings ("48.46") -> integer minor units, by the currency's ISO-4217
// exponent, with string arithmetic only: no float ever touches an amount.

const EXPONENT_0 = new Set(['bif', 'clp', 'djf', 'gnf', 'isk', 'jpy', 'kmf', 'krw', 'pyg', 'rwf', 'ugx', 'uyi', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const EXPONENT_3 = new Set(['bhd', 'iqd', 'jod', 'kwd', 'lyd', 'omr', 'tnd']);

export function currencyExponent(currency: string): number {
  const c = currency.toLowerCase();
  if (EXPONENT_0.has(c)) return 0;
  if (EXPONENT_3.has(c)) return 3;
  return 2;
}

export class InvalidAmount extends Error {
  constructor(value: string, currency: string, why: string) {
    super(`amount ${JSON.stringify(value)} in ${currency.toUpperCase()} ${why}`);
    this.name = 'InvalidAmount';
  }
}

/** "48.46" USD -> 4846; "5000" JPY -> 5000; "1.5" USD -> 150; "-2.00" -> -200. */
export function toMinorUnits(value: string, currency: string): number {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new InvalidAmount(value, currency, 'is not a decimal number');
  const [, sign, whole, frac = ''] = m;
  const exp = currencyExponent(currency);
  // Digits past the currency's exponent must be zeros, or the amount is not representable.
  if (frac.length > exp && /[^0]/.test(frac.slice(exp))) throw new InvalidAmount(value, currency, `has more than ${exp} decimal places`);
  const digits = (whole! + frac.slice(0, exp).padEnd(exp, '0')).replace(/^0+(?=\d)/, '');
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new InvalidAmount(value, currency, 'is too large');
  return sign && n !== 0 ? -n : n;
}

/** Integer minor units -> decimal major-unit string (for fakes and for display). */
export function fromMinorUnits(minor: number, currency: string): string {
  const exp = currencyExponent(currency);
  const neg = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exp + 1, '0');
  const out = exp === 0 ? digits : `${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
  return neg ? `-${out}` : out;
}
