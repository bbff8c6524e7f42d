// disputeStats: every single dimension and every pair, with filters, against an oracle that counts
// the same disputes in memory, on both stores; sums past 2^31 exact; and over the real gateway,
// the fakes' data counted by the index equal to the live list counted here, narrowed by a key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { DISPUTE_REASONS, DISPUTE_STATUSES, type Dispute } from '../../src/domain/dispute.js';
import { providerRank } from '../../src/domain/provider-names.js';
import type { IndexFilter, StatsDimension } from '../../src/index/model.js';
import { foldStats } from '../../src/gateway/stats.js';
import { ACCOUNTS, BASE, disputes, matches } from '../helpers/index-data.js';
import { openStore, STORE_KINDS, type OpenedStore } from '../helpers/index-stores.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

const DIMENSIONS: StatsDimension[] = ['PROVIDER', 'ACCOUNT', 'STATUS', 'REASON', 'CURRENCY', 'CREATED_MONTH'];
const GROUPINGS: StatsDimension[][] = [[], ...DIMENSIONS.map((d) => [d]), ...DIMENSIONS.flatMap((a, i) => DIMENSIONS.slice(i + 1).map((b) => [a, b]))];
const HOUR = 3_600_000;

// The rules, written out again here rather than imported: the test states what they are.
const WON = ['WON'];
const LOST = ['LOST'];
const AWAITING = ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE'];
const OPEN = [...AWAITING, 'UNDER_REVIEW', 'WARNING_UNDER_REVIEW', 'APPEAL_NEEDS_RESPONSE', 'APPEAL_UNDER_REVIEW'];

interface Plain {
  provider: string;
  account: string;
  status: string;
  reason: string;
  currency: string;
  created: number;
  amount: number;
  due: number | null;
}

/** The oracle: groups counted one dispute at a time, keyed and ordered the documented way. */
function oracle(rows: Plain[], groupBy: StatsDimension[], now: number) {
  const by = new Set(groupBy);
  const groups = new Map<string, any>();
  for (const r of rows) {
    const dims = {
      provider: by.has('PROVIDER') || by.has('ACCOUNT') ? r.provider : null,
      account: by.has('ACCOUNT') ? r.account : null,
      status: by.has('STATUS') ? r.status : null,
      reason: by.has('REASON') ? r.reason : null,
      currency: by.has('CURRENCY') ? r.currency : null,
      createdMonth: by.has('CREATED_MONTH') ? new Date(r.created).toISOString().slice(0, 7) : null,
    };
    const key = JSON.stringify(dims);
    const g = groups.get(key) ?? { ...dims, count: 0, amounts: {}, won: 0, lost: 0, open: 0, dueWithin24h: 0, dueWithin72h: 0, pastDue: 0 };
    groups.set(key, g);
    g.count += 1;
    g.amounts[r.currency] = (g.amounts[r.currency] ?? 0) + r.amount;
    if (WON.includes(r.status)) g.won += 1;
    if (LOST.includes(r.status)) g.lost += 1;
    if (OPEN.includes(r.status)) g.open += 1;
    if (AWAITING.includes(r.status) && r.due !== null) {
      if (r.due < now) g.pastDue += 1;
      else if (r.due <= now + 24 * HOUR) g.dueWithin24h += 1;
      if (r.due >= now && r.due <= now + 72 * HOUR) g.dueWithin72h += 1;
    }
  }
  return [...groups.values()].map((g) => ({
    ...g,
    amounts: Object.entries(g.amounts as Record<string, number>)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, amount]) => ({ currency, amount })),
    winRate: g.won + g.lost ? g.won / (g.won + g.lost) : null,
  }));
}

/** Order-free comparison: the groups as a set, and the gateway's own order checked apart. */
const dimsKey = (g: any) => JSON.stringify([g.provider, g.account, g.status, g.reason, g.currency, g.createdMonth]);
const keyed = (groups: object[]) => new Map(groups.map((g) => [dimsKey(g), g]));

const plain = (d: Dispute): Plain => ({
  provider: d.provider,
  account: d.providerAccount,
  status: d.status,
  reason: d.reason,
  currency: d.currency,
  created: d.created.getTime(),
  amount: d.amount,
  due: d.evidenceDetails.dueBy?.getTime() ?? null,
});

describe.each(STORE_KINDS)('disputeStats from the %s store', (kind) => {
  let opened: OpenedStore;
  // Created over about eight months, so CREATED_MONTH has several groups.
  const all = disputes(20261207, 900, 24 * 240);
  const NOW = BASE + 10 * 24 * HOUR + 7 * HOUR;

  beforeAll(async () => {
    opened = await openStore(kind);
    await opened.store.apply(all.map((dispute) => ({ dispute, observedAt: new Date(BASE), source: 'backfill' as const })));
  });
  afterAll(() => opened?.done());

  const filters: [string, IndexFilter][] = [
    ['every account', { accounts: ACCOUNTS }],
    ['two accounts, open statuses', { accounts: ACCOUNTS.slice(1, 3), statuses: ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE', 'UNDER_REVIEW', 'WON', 'LOST'] }],
    ['an amount and a created range', { accounts: ACCOUNTS, amount: { gte: 1000, lt: 99_999 }, created: { gte: BASE + 24 * 30 * HOUR } }],
    ['reasons and a currency', { accounts: ACCOUNTS, reasons: ['FRAUDULENT', 'DUPLICATE', 'GENERAL'], currency: 'eur' }],
  ];

  it.each(filters)('groups by every dimension and pair exactly as counted one by one: %s', async (_name, filter) => {
    const rows = all.filter((d) => matches(d, filter)).map(plain);
    expect(rows.length).toBeGreaterThan(10);
    for (const groupBy of GROUPINGS) {
      const got = foldStats(await opened.store.stats(filter, groupBy, NOW), groupBy);
      const want = oracle(rows, groupBy, NOW);
      expect(got.length, groupBy.join()).toBe(want.length);
      const wanted = keyed(want);
      for (const [k, g] of keyed(got)) expect(g, `${groupBy.join()} ${k}`).toEqual(wanted.get(k));
      // The documented order: provider (the gateway's order), account, status and reason (the SDL's order), currency, month.
      const statusAt = new Map(DISPUTE_STATUSES.map((x, i) => [x as string, i]));
      const reasonAt = new Map(DISPUTE_REASONS.map((x, i) => [x as string, i]));
      const order = (a: any, b: any) =>
        (a.provider ? providerRank(a.provider) : -1) - (b.provider ? providerRank(b.provider) : -1) ||
        String(a.account).localeCompare(String(b.account)) ||
        (statusAt.get(a.status) ?? -1) - (statusAt.get(b.status) ?? -1) ||
        (reasonAt.get(a.reason) ?? -1) - (reasonAt.get(b.reason) ?? -1) ||
        String(a.currency).localeCompare(String(b.currency)) ||
        String(a.createdMonth).localeCompare(String(b.createdMonth));
      expect(got.map(dimsKey)).toEqual([...want].sort(order).map(dimsKey));
    }
  });

  it('sums past 2^31 minor units exactly: 100,000 disputes of large amounts', async () => {
    const big = await openStore(kind);
    try {
      const base = disputes(99, 1)[0]!;
      let sum = 0;
      const batch: Dispute[] = [];
      for (let i = 0; i < 100_000; i++) {
        // Up to 2^33 each: the total passes 2^53 / 2^10, far past 2^31, and stays a safe integer.
        const amount = 8_589_934_592 - i * 7_919;
        sum += amount;
        batch.push({ ...base, providerDisputeId: `big_${i}`, amount, currency: i % 2 ? 'usd' : 'jpy' });
      }
      for (let i = 0; i < batch.length; i += 10_000)
        await big.store.apply(batch.slice(i, i + 10_000).map((dispute) => ({ dispute, observedAt: new Date(BASE), source: 'backfill' as const })));
      const [totals] = foldStats(await big.store.stats({ accounts: ACCOUNTS }, [], NOW), []);
      expect(totals!.count).toBe(100_000);
      const got = totals!.amounts.reduce((n, a) => n + a.amount, 0);
      expect(Number.isSafeInteger(sum)).toBe(true);
      expect(sum).toBeGreaterThan(2 ** 31 * 100_000);
      expect(got).toBe(sum);
      const byCurrency = foldStats(await big.store.stats({ accounts: ACCOUNTS }, ['CURRENCY'], NOW), ['CURRENCY']);
      expect(byCurrency.map((g) => g.amounts[0]!.amount).reduce((a, b) => a + b)).toBe(sum);
    } finally {
      await big.done();
    }
  }, 120_000);
});

describe.each(STORE_KINDS)('disputeStats through the gateway (%s store)', (kind) => {
  const NARROW = 'gk_stats_afterpay_only_0c7e9a3f5b21';
  const ALL = 'gk_stats_every_account_8d2b6f0e4a1c';
  const NOW = Date.UTC(2026, 11, 1, 9);
  let opened: OpenedStore;
  let h: SandboxHarness;
  let rows: Plain[];

  const gql = async (key: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(h.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: any[]; extensions?: any };
  };

  beforeAll(async () => {
    opened = await openStore(kind);
    const keys = KeyStore.fromEnv(
      {
        GATEWAY_API_KEYS: JSON.stringify([
          { name: 'afterpay', key: `sha256:${sha256(NARROW).toString('hex')}`, scopes: ['disputes:read'], accounts: ['AFTERPAY:default'] },
          { name: 'all', key: `sha256:${sha256(ALL).toString('hex')}`, scopes: ['disputes:read'] },
        ]),
      },
      { perSecond: 1000, burst: 1000 },
    )!;
    h = await startSandboxHarness(61, {
      count: 90,
      now: NOW,
      gateway: { index: { store: opened.store, reconcileEveryS: 3600, now: () => NOW }, auth: { mode: 'keys', store: keys } },
    });
    await h.gateway.services.index!.sync.whenLive();
    // The oracle's data: every dispute, read live page by page (the providers' own lists).
    rows = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await gql(
        ALL,
        `query($after: String) { disputes(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { provider providerAccount status reason currency created amount evidenceDetails { dueBy } } } }`,
        { after },
      );
      expect(r.errors).toBeUndefined();
      for (const n of r.data.disputes.nodes)
        rows.push({
          provider: n.provider,
          account: n.providerAccount,
          status: n.status,
          reason: n.reason,
          currency: n.currency,
          created: Date.parse(n.created),
          amount: n.amount,
          due: n.evidenceDetails.dueBy ? Date.parse(n.evidenceDetails.dueBy) : null,
        });
      if (!r.data.disputes.pageInfo.hasNextPage) break;
      after = r.data.disputes.pageInfo.endCursor;
    }
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await opened?.done();
  });

  const QUERY = `query($groupBy: [DisputeStatsDimension!], $filter: DisputeFilter) {
    disputeStats(groupBy: $groupBy, filter: $filter) {
      asOf
      groups { provider account status reason currency createdMonth count amounts { currency amount } won lost winRate open dueWithin24h dueWithin72h pastDue }
    }
  }`;

  it('counts the fakes’ disputes as the live list does, for every dimension and pair, filtered or not, with no provider call', async () => {
    const before = [...h.fakes.values()].reduce((n, f) => n + f.server.received, 0);
    for (const [filter, keep] of [
      [undefined, () => true],
      [
        { status: ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE'], providers: ['STRIPE', 'AFTERPAY'] },
        (r: Plain) => AWAITING.includes(r.status) && ['STRIPE', 'AFTERPAY'].includes(r.provider),
      ],
      [
        { amount: { gte: 20_000 }, reason: ['FRAUDULENT', 'PRODUCT_NOT_RECEIVED'] },
        (r: Plain) => r.amount >= 20_000 && ['FRAUDULENT', 'PRODUCT_NOT_RECEIVED'].includes(r.reason),
      ],
    ] as const) {
      const kept = rows.filter(keep as (r: Plain) => boolean);
      expect(kept.length).toBeGreaterThan(0);
      for (const groupBy of GROUPINGS) {
        const r = await gql(ALL, QUERY, { groupBy, filter });
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
        const want = oracle(kept, groupBy, NOW);
        expect(r.data.disputeStats.groups.length, groupBy.join()).toBe(want.length);
        const wanted = keyed(want);
        for (const [k, g] of keyed(r.data.disputeStats.groups)) expect(g, `${groupBy.join()} ${k}`).toEqual(wanted.get(k));
        expect(r.extensions.index[0]).toMatchObject({ path: ['disputeStats'], complete: true });
      }
    }
    expect([...h.fakes.values()].reduce((n, f) => n + f.server.received, 0) - before).toBe(0);
  });

  it('narrows to the key’s account, and refuses a bad groupBy', async () => {
    const mine = await gql(NARROW, QUERY, { groupBy: ['PROVIDER'] });
    expect(mine.errors).toBeUndefined();
    expect(mine.data.disputeStats.groups).toHaveLength(1);
    expect(mine.data.disputeStats.groups[0]).toMatchObject({ provider: 'AFTERPAY', count: rows.filter((r) => r.provider === 'AFTERPAY').length });
    // Another provider's disputes, asked by name: refused as for disputes.
    const other = await gql(NARROW, QUERY, { filter: { providers: ['STRIPE'] } });
    expect(other.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const twice = await gql(ALL, QUERY, { groupBy: ['STATUS', 'STATUS'] });
    expect(twice.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'groupBy' });
  });
});

describe('disputeStats with the index off', () => {
  it('is INDEX_UNAVAILABLE naming it', async () => {
    const h = await startSandboxHarness(62, { count: 10, only: ['STRIPE'] });
    try {
      const r = await h.gql('{ disputeStats { groups { count } } }');
      expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'INDEX_UNAVAILABLE', argument: 'disputeStats' });
    } finally {
      await h.close();
    }
  });
});
