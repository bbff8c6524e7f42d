// The index behind the real gateway (real yoga, HTTP on loopback, every provider's fake): every
// order and filter answered with no provider call and checked against the live path walked whole,
// exact totalCount, freshness in extensions, syncedAt, indexStatus, syncDispute, webhooks and the
// gateway's own closes applied, and INDEX_UNAVAILABLE with the index off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { openStore, STORE_KINDS, type OpenedStore } from '../helpers/index-stores.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

interface Row {
  id: string;
  provider: string;
  providerDisputeId: string;
  providerAccount: string;
  created: string;
  amount: number;
  status: string;
  reason: string;
  charge: string | null;
  evidenceDetails: { dueBy: string | null };
}
const FIELDS = 'id provider providerDisputeId providerAccount created amount status reason charge evidenceDetails { dueBy }';
const RANK = new Map(PROVIDER_DEFINITIONS.map((d, i) => [d.name as string, i]));

const NOW = Date.UTC(2026, 11, 1);
let live: SandboxHarness;
let all: Row[];

/** Every dispute through the live path (INDEX off): the oracle's data. */
async function walkLive(h: SandboxHarness): Promise<Row[]> {
  const out: Row[] = [];
  let after: string | null = null;
  for (let i = 0; i < 200; i++) {
    const r: { text: string; body: any } = await h.gql(
      `query($after: String) { disputes(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${FIELDS} } } }`,
      {
        after,
      },
    );
    expect(r.body.errors, r.text).toBeUndefined();
    out.push(...r.body.data.disputes.nodes);
    if (!r.body.data.disputes.pageInfo.hasNextPage) return out;
    after = r.body.data.disputes.pageInfo.endCursor;
  }
  throw new Error('live walk did not end');
}

const upstreamCalls = (h: SandboxHarness) => [...h.fakes.values()].reduce((n, f) => n + f.server.received, 0);

beforeAll(async () => {
  live = await startSandboxHarness(77, { count: 130, now: NOW });
  all = await walkLive(live);
}, 60_000);
afterAll(async () => {
  await live?.close();
});

type Order = { field: 'CREATED' | 'DUE_BY' | 'AMOUNT'; direction: 'ASC' | 'DESC' };
function oracle(rows: Row[], order: Order, keep: (r: Row) => boolean): string[] {
  const value = (r: Row) =>
    order.field === 'CREATED'
      ? Date.parse(r.created)
      : order.field === 'AMOUNT'
        ? r.amount
        : r.evidenceDetails.dueBy
          ? Date.parse(r.evidenceDetails.dueBy)
          : Number.MAX_SAFE_INTEGER;
  const sign = order.direction === 'ASC' ? 1 : -1;
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows
    .filter(keep)
    .sort(
      (a, b) =>
        sign * (value(a) - value(b)) ||
        RANK.get(a.provider)! - RANK.get(b.provider)! ||
        cmp(a.providerAccount, b.providerAccount) ||
        cmp(a.providerDisputeId, b.providerDisputeId),
    )
    .map((r) => r.id);
}

async function walkIndex(
  indexed: SandboxHarness,
  order: Order,
  filter: Record<string, unknown>,
  size: number,
  backward = false,
): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let total = -1;
  for (let i = 0; i < 300; i++) {
    const r: { text: string; body: any } = await indexed.gql(
      `query($first: Int, $after: String, $last: Int, $before: String, $filter: DisputeFilter, $orderBy: DisputeOrder) {
        disputes(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id }
        }
      }`,
      backward ? { last: size, before: cursor, filter, orderBy: order } : { first: size, after: cursor, filter, orderBy: order },
    );
    expect(r.body.errors, r.text).toBeUndefined();
    const c: any = r.body.data.disputes;
    total = c.totalCount;
    expect(r.body.extensions?.index?.[0]).toMatchObject({ path: ['disputes'], complete: true });
    const page = c.nodes.map((n: { id: string }) => n.id);
    if (backward) ids.unshift(...page);
    else ids.push(...page);
    const more = backward ? c.pageInfo.hasPreviousPage : c.pageInfo.hasNextPage;
    if (!more) return { ids, total };
    cursor = backward ? c.pageInfo.startCursor : c.pageInfo.endCursor;
  }
  throw new Error('index walk did not end');
}

describe.each(STORE_KINDS)('disputes from the index (%s store)', (kind) => {
  let opened: OpenedStore;
  let indexed: SandboxHarness;
  beforeAll(async () => {
    opened = await openStore(kind);
    indexed = await startSandboxHarness(77, { count: 130, now: NOW, gateway: { index: { store: opened.store, reconcileEveryS: 3600 } } });
    await indexed.gateway.services.index!.sync.whenLive();
  }, 60_000);
  afterAll(async () => {
    await indexed?.close();
    await opened?.done();
  });

  it('answers every order and index filter, both ways, as the live list sorted and filtered, with an exact totalCount and no provider call', async () => {
    const open = ['NEEDS_RESPONSE', 'WARNING_NEEDS_RESPONSE'];
    const cutoff = '2026-12-05T00:00:00.000Z';
    const cases: { order: Order; filter: Record<string, unknown>; keep: (r: Row) => boolean }[] = [
      { order: { field: 'DUE_BY', direction: 'ASC' }, filter: { status: open }, keep: (r) => open.includes(r.status) },
      { order: { field: 'AMOUNT', direction: 'DESC' }, filter: { amount: { gte: 10_000 } }, keep: (r) => r.amount >= 10_000 },
      {
        order: { field: 'CREATED', direction: 'ASC' },
        filter: { reason: ['FRAUDULENT', 'DUPLICATE'] },
        keep: (r) => ['FRAUDULENT', 'DUPLICATE'].includes(r.reason),
      },
      {
        order: { field: 'DUE_BY', direction: 'DESC' },
        filter: { dueBy: { lt: cutoff } },
        keep: (r) => r.evidenceDetails.dueBy !== null && Date.parse(r.evidenceDetails.dueBy) < Date.parse(cutoff),
      },
      { order: { field: 'CREATED', direction: 'DESC' }, filter: {}, keep: () => true },
    ];
    const before = upstreamCalls(indexed);
    for (const { order, filter, keep } of cases) {
      const want = oracle(all, order, keep);
      expect(want.length).toBeGreaterThan(0);
      const forward = await walkIndex(indexed, order, filter, 17);
      expect(forward.ids, JSON.stringify({ order, filter })).toEqual(want);
      expect(forward.total).toBe(want.length);
      expect((await walkIndex(indexed, order, filter, 23, true)).ids).toEqual(want);
    }
    expect(upstreamCalls(indexed) - before).toBe(0);
  });

  it('searches by provider id, charge and gateway id', async () => {
    const target = all.find((r) => r.charge)!;
    for (const search of [target.providerDisputeId, target.charge!, target.id]) {
      const { ids } = await walkIndex(indexed, { field: 'CREATED', direction: 'DESC' }, { search }, 50);
      expect(ids).toContain(target.id);
      expect(ids).toEqual(oracle(all, { field: 'CREATED', direction: 'DESC' }, (r) => [r.providerDisputeId, r.charge, r.id].includes(search)));
    }
  });

  it('reports each account live in indexStatus, and syncedAt on disputes', async () => {
    const r = await indexed.gql(
      '{ indexStatus { provider account state disputes lastError backfill { listed } } disputes(first: 3) { nodes { syncedAt } } providers { capabilities { filters indexFilters } } }',
    );
    expect(r.body.errors, r.text).toBeUndefined();
    // The index applies every filter to every provider, whatever each applies upstream.
    for (const p of r.body.data.providers)
      expect(new Set(p.capabilities.indexFilters)).toEqual(
        new Set(['STATUS', 'CURRENCY', 'CHARGE', 'PAYMENT_INTENT', 'CREATED', 'DUE_BY', 'AMOUNT', 'REASON', 'SEARCH']),
      );
    const counts = new Map<string, number>();
    for (const row of all) counts.set(row.provider, (counts.get(row.provider) ?? 0) + 1);
    expect(r.body.data.indexStatus).toEqual(
      PROVIDER_DEFINITIONS.map((d) => ({ provider: d.name, account: 'default', state: 'LIVE', disputes: counts.get(d.name), lastError: null, backfill: null })),
    );
    for (const n of r.body.data.disputes.nodes) expect(Date.parse(n.syncedAt)).toBeGreaterThan(0);
    // The same in the metrics, with what the backfill cost upstream.
    const metrics = await (await fetch(new URL('/metrics', indexed.gateway.url))).text();
    for (const d of PROVIDER_DEFINITIONS) {
      const labels = `provider="${d.name}",account="default"`;
      expect(metrics).toContain(`dispute_gateway_index_disputes{${labels}} ${counts.get(d.name)}`);
      expect(metrics).toContain(`dispute_gateway_index_state{${labels},state="LIVE"} 1`);
      expect(metrics).toContain(`dispute_gateway_index_state{${labels},state="BACKFILLING"} 0`);
      expect(metrics).toMatch(new RegExp(`dispute_gateway_index_upstream_calls_total\\{${labels},phase="backfill"\\} [1-9]`));
    }
    expect(metrics).toMatch(/dispute_gateway_index_observations_total\{source="backfill",result="changed"\} [1-9]/);
  });

  it('applies the gateway’s own close to the index: the next index page shows it, with no read of the provider', async () => {
    const target = oracle(all, { field: 'DUE_BY', direction: 'ASC' }, (r) => r.status === 'NEEDS_RESPONSE')[0]!;
    const closed = await indexed.gql(
      `mutation($id: ID!, $k: String!) { closeDispute(input: { id: $id, idempotencyKey: $k }) { dispute { status } userErrors { code } } }`,
      {
        id: target,
        k: `index-close-${Date.now()}`,
      },
    );
    expect(closed.body.data.closeDispute.userErrors).toEqual([]);
    const status = closed.body.data.closeDispute.dispute.status;
    let seen: string | undefined;
    for (let i = 0; i < 100 && seen !== status; i++) {
      const r = await indexed.gql('query($s: String) { disputes(first: 1, filter: { search: $s }) { nodes { status } } }', { s: target });
      seen = r.body.data.disputes.nodes[0]?.status;
      if (seen !== status) await new Promise((res) => setTimeout(res, 20));
    }
    expect(seen).toBe(status);
  });

  it('syncDispute reads the provider now and refreshes syncedAt', async () => {
    const target = all[5]!;
    const q = 'query($s: String) { disputes(first: 1, filter: { search: $s }) { nodes { syncedAt } } }';
    const was = (await indexed.gql(q, { s: target.id })).body.data.disputes.nodes[0].syncedAt;
    const r = await indexed.gql('mutation($id: ID!) { syncDispute(input: { id: $id }) { dispute { id syncedAt } userErrors { code field } } }', {
      id: target.id,
    });
    expect(r.body.errors, r.text).toBeUndefined();
    expect(r.body.data.syncDispute.dispute.id).toBe(target.id);
    expect(Date.parse((await indexed.gql(q, { s: target.id })).body.data.disputes.nodes[0].syncedAt)).toBeGreaterThan(Date.parse(was));
    const bad = await indexed.gql('mutation { syncDispute(input: { id: "nope" }) { dispute { id } userErrors { code field } } }');
    expect(bad.body.data.syncDispute).toEqual({ dispute: null, userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'id'] }] });
  });
});

describe('with the index off', () => {
  it('refuses every index-only argument with INDEX_UNAVAILABLE naming it, and still serves the rest live', async () => {
    for (const [args, argument] of [
      ['orderBy: { field: DUE_BY, direction: ASC }', 'orderBy'],
      ['filter: { amount: { gt: 1 } }', 'filter.amount'],
      ['filter: { reason: [FRAUDULENT] }', 'filter.reason'],
      ['filter: { search: "x" }', 'filter.search'],
      ['filter: { dueBy: { lt: "2027-01-01T00:00:00Z" } }', 'filter.dueBy'],
    ]) {
      const r = await live.gql(`{ disputes(first: 5, ${args}) { nodes { id } } }`);
      expect(r.body.errors?.[0]?.extensions, r.text).toMatchObject({ code: 'INDEX_UNAVAILABLE', argument });
    }
    const ok = await live.gql(
      '{ disputes(first: 5, orderBy: { field: CREATED, direction: DESC }) { totalCount nodes { id syncedAt } } indexStatus { state } providers { capabilities { indexFilters } } }',
    );
    for (const p of ok.body.data.providers) expect(p.capabilities.indexFilters).toEqual([]);
    expect(ok.body.errors, ok.text).toBeUndefined();
    expect(ok.body.data.disputes.totalCount).toBeNull();
    expect(ok.body.data.disputes.nodes[0].syncedAt).toBeNull();
    expect(ok.body.extensions?.index).toBeUndefined();
    expect(new Set(ok.body.data.indexStatus.map((s: { state: string }) => s.state))).toEqual(new Set(['OFF']));
  });
});
