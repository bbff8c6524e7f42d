// The embedded index's read cache: a question asked again is answered from memory until a write
// changes a row, then from the store again; a write that changes nothing keeps it; a failed read is
// not kept; the same question asked while it is answered shares the answer. Over a real store.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReadCachedStore } from '../../src/index/cached.js';
import type { IndexStore } from '../../src/index/store.js';
import { ACCOUNTS, BASE, disputes } from '../helpers/index-data.js';
import { openStore, type OpenedStore } from '../helpers/index-stores.js';

describe('the read cache', () => {
  let opened: OpenedStore;
  let store: IndexStore;
  let cached: ReadCachedStore;
  const all = disputes(3, 200);
  const filter = { accounts: ACCOUNTS, statuses: ['NEEDS_RESPONSE' as const] };
  const page = { filter, order: { field: 'DUE_BY' as const, direction: 'ASC' as const }, direction: 'forward' as const, limit: 10 };
  beforeAll(async () => {
    opened = await openStore('embedded');
    store = opened.store;
    cached = new ReadCachedStore(store, { maxPages: 5, maxCounts: 5 });
    await cached.apply(all.map((dispute) => ({ dispute, observedAt: new Date(BASE), source: 'backfill' as const })));
  });
  afterAll(() => opened?.done());

  it('answers again from memory until a write changes a row', async () => {
    const count = vi.spyOn(store, 'count');
    const pageOf = vi.spyOn(store, 'page');
    const stats = vi.spyOn(store, 'stats');
    const first = await cached.count(filter);
    expect(await cached.count(filter)).toBe(first);
    await cached.page(page);
    await cached.page(page);
    await cached.stats(filter, ['PROVIDER'], BASE);
    await cached.stats(filter, ['PROVIDER'], BASE);
    expect([count.mock.calls.length, pageOf.mock.calls.length, stats.mock.calls.length]).toEqual([1, 1, 1]);
    // A write that changes nothing (an older state): still from memory.
    expect(await cached.apply([{ dispute: all[0]!, observedAt: new Date(BASE - 1), source: 'webhook' }])).toBe(0);
    await cached.count(filter);
    expect(count.mock.calls.length).toBe(1);
    // One that changes a row: asked again, and the answer follows it.
    const target = all.find((d) => d.status === 'NEEDS_RESPONSE')!;
    expect(
      await cached.apply([
        {
          dispute: { ...target, status: 'UNDER_REVIEW', evidenceDetails: { ...target.evidenceDetails, submissionCount: 1 } },
          observedAt: new Date(BASE + 1),
          source: 'webhook',
        },
      ]),
    ).toBe(1);
    expect(await cached.count(filter)).toBe(first - 1);
    await cached.page(page);
    expect([count.mock.calls.length, pageOf.mock.calls.length]).toEqual([2, 2]);
    count.mockRestore();
    pageOf.mockRestore();
    stats.mockRestore();
  });

  it('shares one answer among the same questions asked together, and keeps no failure', async () => {
    const other = { ...filter, currency: 'eur' };
    const count = vi.spyOn(store, 'count');
    const answers = await Promise.all([cached.count(other), cached.count(other), cached.count(other)]);
    expect(new Set(answers).size).toBe(1);
    expect(count.mock.calls.length).toBe(1);
    count.mockRejectedValueOnce(new Error('the store failed'));
    const failing = { ...filter, currency: 'usd' };
    await expect(cached.count(failing)).rejects.toThrow('the store failed');
    expect(await cached.count(failing)).toBeGreaterThanOrEqual(0);
    expect(count.mock.calls.length).toBe(3);
    count.mockRestore();
  });

  it('keeps no page larger than a GraphQL page (the sync reads open disputes 500 at a time)', async () => {
    const pageOf = vi.spyOn(store, 'page');
    const big = { ...page, limit: 500 };
    await cached.page(big);
    await cached.page(big);
    expect(pageOf.mock.calls.length).toBe(2);
    pageOf.mockRestore();
  });

  it('keeps at most its bound of entries, the least recently used going first', async () => {
    const count = vi.spyOn(store, 'count');
    for (let i = 0; i < 7; i++) await cached.count({ ...filter, amount: { gte: i } });
    const calls = count.mock.calls.length;
    await cached.count({ ...filter, amount: { gte: 6 } });
    expect(count.mock.calls.length).toBe(calls);
    await cached.count({ ...filter, amount: { gte: 0 } });
    expect(count.mock.calls.length).toBe(calls + 1);
    count.mockRestore();
  });
});
