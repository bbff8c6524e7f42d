// JSON that keeps Dates: what the shared store and the event fan-out carry (disputes hold Dates).
const DATE = '$date';

export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    return original instanceof Date ? { [DATE]: original.toISOString() } : v;
  });
}

export function decode<T = unknown>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Record<string, unknown>)[DATE] === 'string'
      ? new Date((v as Record<string, string>)[DATE]!)
      : v,
  ) as T;
}
