// Table helpers every provider's transformers use: a raw wire value looked up in an exhaustive
// table (an unknown value is UNKNOWN, never a guess), and the inverse, for filters sent upstream.

/** Looks a raw value up in an exhaustive table; an unknown value maps to UNKNOWN, never to a guess. */
export function lookup<K extends string, V>(table: Record<K, V>, raw: string | null, fallback: V): V {
  return raw !== null && Object.hasOwn(table, raw) ? table[raw as K] : fallback;
}

/** The raw values a table maps to any of `wanted` (the inverse of lookup). */
export function rawValuesFor<K extends string, V>(table: Record<K, V>, wanted: readonly V[]): K[] {
  return (Object.keys(table) as K[]).filter((k) => wanted.includes(table[k]));
}
