// The list slicing every fake with Stripe-style cursors serves, written once: newest first, the
// items after an anchor (starting_after) or the `limit` nearest before it (ending_before, still
// newest first), and whether more lie beyond. Offset lists (Afterpay) slice by index.

export interface CursorSlice<T> {
  data: T[];
  hasMore: boolean;
}

/**
 * `byNewest` is the whole list, newest first; `anchor` the item a cursor names (already looked up:
 * an unknown id is the fake's own error); `order(a, b) < 0` when a comes before b.
 */
export function sliceByCursor<T>(
  byNewest: readonly T[],
  opts: { limit: number; matches: (item: T) => boolean; order: (a: T, b: T) => number; anchor?: { item: T; direction: 'after' | 'before' } },
): CursorSlice<T> {
  const { limit, matches, order, anchor } = opts;
  if (!anchor) {
    const all = byNewest.filter(matches);
    return { data: all.slice(0, limit), hasMore: all.length > limit };
  }
  if (anchor.direction === 'after') {
    const older = byNewest.filter((d) => order(anchor.item, d) < 0 && matches(d));
    return { data: older.slice(0, limit), hasMore: older.length > limit };
  }
  // The `limit` items nearest the anchor on the newer side, still newest first.
  const newer = byNewest.filter((d) => order(d, anchor.item) < 0 && matches(d));
  return { data: newer.slice(Math.max(0, newer.length - limit)), hasMore: newer.length > limit };
}
