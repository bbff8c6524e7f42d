// The index store, on its own: every order and filter against an oracle over the same disputes,
// walked to the end both ways; the never-regress rule; checkpoints; and the embedded store's lock.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISPUTE_REASONS, DISPUTE_STATUSES, type Dispute, type DisputeStatus } from '../../src/domain/dispute.js';
import { createRng } from '../../src/sandbox/random.js';
import { providerRank } from '../../src/domain/provider-names.js';
import { orderValue, type IndexFilter, type IndexKey, type IndexOrder } from '../../src/index/model.js';
import { NO_DEADLINE } from '../../src/index/sql.js';
import { openEmbeddedStore } from '../../src/index/sqlite.js';
import { openStore, STORE_KINDS } from '../helpers/index-stores.js';
import type { IndexStore } from '../../src/index/store.js';
import { ACCOUNTS, BASE, disputes, matches } from '../helpers/index-data.js';

function sorted(all: Dispute[], order: IndexOrder): Dispute[] {
  const v = (d: Dispute) => orderValue(d, order.field) ?? NO_DEADLINE;
  const sign = order.direction === 'ASC' ? 1 : -1;
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...all].sort(
    (a, b) =>
      sign * (v(a) - v(b)) ||
      providerRank(a.provider) - providerRank(b.provider) ||
      cmp(a.providerAccount, b.providerAccount) ||
      cmp(a.providerDisputeId, b.providerDisputeId),
  );
}

const id = (d: Dispute) => `${d.provider}:${d.providerAccount}:${d.providerDisputeId}`;

async function walk(store: IndexStore, filter: IndexFilter, order: IndexOrder, size: number, direction: 'forward' | 'backward'): Promise<string[]> {
  const seen: string[] = [];
  let key: IndexKey | undefined;
  for (let pages = 0; pages < 500; pages++) {
    const page = await store.page({ filter, order, direction, limit: size, ...(key && (direction === 'forward' ? { after: key } : { before: key })) });
    const ids = page.rows.map((r) => id(r.dispute));
    if (direction === 'forward') seen.push(...ids);
    else seen.unshift(...ids);
    if (!page.hasMore) return seen;
    key = (direction === 'forward' ? page.rows.at(-1) : page.rows[0])!.key;
  }
  throw new Error('walk did not end');
}

describe.each(STORE_KINDS)('the index store (%s)', (kind) => {
  let store: IndexStore;
  let done: () => Promise<void>;
  const all = disputes(20261204, 600);

  beforeAll(async () => {
    ({ store, done } = await openStore(kind));
    expect(await store.apply(all.map((dispute) => ({ dispute, observedAt: new Date(BASE), source: 'backfill' as const })))).toBe(all.length);
  });
  afterAll(() => done());

  it('walks every order, forward and backward, exactly as the oracle sorts, with random filters and page sizes', async () => {
    const rng = createRng(7);
    for (let round = 0; round < 30; round++) {
      const order: IndexOrder = { field: rng.pick(['CREATED', 'DUE_BY', 'AMOUNT'] as const), direction: rng.pick(['ASC', 'DESC'] as const) };
      const filter: IndexFilter = { accounts: ACCOUNTS.filter(() => rng.chance(0.7)) };
      if (filter.accounts.length === 0) filter.accounts = [ACCOUNTS[0]!];
      if (rng.chance(0.5)) filter.statuses = DISPUTE_STATUSES.filter(() => rng.chance(0.4));
      if (rng.chance(0.3)) filter.reasons = DISPUTE_REASONS.filter(() => rng.chance(0.3));
      if (rng.chance(0.3)) filter.currency = rng.pick(['usd', 'eur']);
      if (rng.chance(0.3)) filter.created = { gte: BASE + rng.int(0, 20) * 3_600_000 };
      if (rng.chance(0.3)) filter.dueBy = { lt: BASE + rng.int(5, 20) * 86_400_000 };
      if (rng.chance(0.3)) filter.amount = rng.chance(0.5) ? { gt: 500 } : { lte: 2500 };
      const want = sorted(
        all.filter((d) => matches(d, filter)),
        order,
      ).map(id);
      const size = rng.int(1, 40);
      expect(await walk(store, filter, order, size, 'forward'), JSON.stringify({ order, filter, size })).toEqual(want);
      expect(await walk(store, filter, order, size, 'backward'), JSON.stringify({ order, filter, size })).toEqual(want);
      expect(await store.count(filter)).toBe(want.length);
    }
  });

  it('searches exactly: a dispute id, a charge, a payment intent, or an email in any case', async () => {
    const withEmail = all.find((d) => d.evidence.customerEmailAddress)!;
    for (const search of [
      all[3]!.providerDisputeId,
      all.find((d) => d.charge)!.charge!,
      withEmail.evidence.customerEmailAddress!.toUpperCase(),
      'nothing-like-it',
    ]) {
      const filter: IndexFilter = { accounts: ACCOUNTS, search };
      const want = sorted(
        all.filter((d) => matches(d, filter)),
        { field: 'CREATED', direction: 'DESC' },
      ).map(id);
      expect(await walk(store, filter, { field: 'CREATED', direction: 'DESC' }, 50, 'forward')).toEqual(want);
    }
  });

  it('never goes back: an older observation, or a status earlier in a dispute’s life, does not overwrite what it holds', async () => {
    // A dispute of its own, so what earlier tests stored cannot decide the outcome.
    const base = {
      ...all[0]!,
      providerDisputeId: 'du_never_back',
      status: 'UNDER_REVIEW' as const,
      evidenceDetails: { ...all[0]!.evidenceDetails, submissionCount: 1 },
    };
    const key = { accounts: [{ provider: base.provider, account: base.providerAccount }], search: base.providerDisputeId };
    const read = async () => (await store.page({ filter: key, order: { field: 'CREATED', direction: 'DESC' }, direction: 'forward', limit: 5 })).rows[0]!;
    await store.apply([{ dispute: base, observedAt: new Date(BASE + 10_000), source: 'webhook' }]);
    // Late: an event from before, saying it still needs a response.
    expect(await store.apply([{ dispute: { ...base, status: 'NEEDS_RESPONSE' }, observedAt: new Date(BASE + 5_000), source: 'webhook' }])).toBe(0);
    // Even observed later, a status earlier in the life is not taken.
    expect(await store.apply([{ dispute: { ...base, status: 'NEEDS_RESPONSE' }, observedAt: new Date(BASE + 20_000), source: 'read' }])).toBe(0);
    expect((await read()).dispute.status).toBe('UNDER_REVIEW');
    // Same status, observed earlier: stale; observed later: taken (the amount changed).
    expect(await store.apply([{ dispute: { ...base, amount: 1 }, observedAt: new Date(BASE + 9_000), source: 'webhook' }])).toBe(0);
    expect(await store.apply([{ dispute: { ...base, amount: 2 }, observedAt: new Date(BASE + 11_000), source: 'webhook' }])).toBe(1);
    // Decided: taken whatever the clock says.
    expect(await store.apply([{ dispute: { ...base, status: 'WON' }, observedAt: new Date(BASE + 1_000), source: 'webhook' }])).toBe(1);
    const now = await read();
    expect([now.dispute.status, now.dispute.amount]).toEqual(['WON', base.amount]);
    expect(now.dispute.created).toEqual(base.created);
    expect(now.dispute.evidenceDetails.dueBy).toEqual(base.evidenceDetails.dueBy);
    // Lost, then appealed: the appeal is further along; a stale "lost" from before it is not taken,
    // and the decision on the appeal, observed after it, is.
    const at = (s: DisputeStatus, ms: number) => [{ dispute: { ...base, status: s }, observedAt: new Date(BASE + ms), source: 'webhook' as const }];
    expect(await store.apply(at('LOST', 30_000))).toBe(1);
    expect(await store.apply(at('APPEAL_NEEDS_RESPONSE', 40_000))).toBe(1);
    expect(await store.apply(at('LOST', 35_000))).toBe(0);
    expect(await store.apply(at('APPEAL_UNDER_REVIEW', 50_000))).toBe(1);
    expect(await store.apply(at('APPEAL_NEEDS_RESPONSE', 60_000))).toBe(0);
    expect(await store.apply(at('WON', 45_000))).toBe(0);
    expect(await store.apply(at('WON', 70_000))).toBe(1);
    expect((await read()).dispute.status).toBe('WON');
  });

  it('keeps each account’s sync checkpoint', async () => {
    expect(await store.sync('STRIPE', 'eu')).toBeNull();
    const s = {
      provider: 'STRIPE' as const,
      account: 'eu',
      phase: 'BACKFILLING' as const,
      position: 'du_9',
      listed: 300,
      total: null,
      headCreatedMs: BASE,
      lastSyncedAt: new Date(BASE),
      lastError: null,
      eventsSinceMs: BASE - 60_000,
      replay: 'off' as const,
    };
    await store.saveSync(s);
    await store.saveSync({ ...s, listed: 400, position: 'du_10' });
    expect(await store.sync('STRIPE', 'eu')).toEqual({ ...s, listed: 400, position: 'du_10' });
  });
});

describe('the embedded store', () => {
  it("serves one process: a second open of the same DATA_DIR is refused by SQLite's lock, naming the holder and DATABASE_URL; a lock file left behind is no obstacle", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-index-'));
    try {
      const first = await openEmbeddedStore(dir);
      await first.apply(disputes(1, 5).map((dispute) => ({ dispute, observedAt: new Date(), source: 'backfill' as const })));
      // The lock file names this very process, as it would in a second container sharing the volume
      // (process ids are per container): the database's own lock still refuses.
      expect(readFileSync(join(dir, 'index.lock'), 'utf8')).toBe(`${process.pid} ${hostname()}`);
      await expect(openEmbeddedStore(dir)).rejects.toThrow(new RegExp(`in use by process ${process.pid} on ${hostname()}: .*DATABASE_URL`));
      // The holder still works, and once it closes the next one opens.
      expect((await first.counts()).size).toBeGreaterThan(0);
      await first.close();
      // A lock file left by a process that is gone, on another host: the database is free, so it opens.
      writeFileSync(join(dir, 'index.lock'), '1 some-other-container');
      const again = await openEmbeddedStore(dir);
      expect((await again.counts()).size).toBeGreaterThan(0);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
