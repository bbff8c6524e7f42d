// The disputes connection end to end: real gateway, real Stripe fake, real HTTP on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, stripeOrder, TEST_STRIPE_KEY, type Harness } from '../helpers/harness.js';

const PAGE = /* GraphQL */ `
  query Page($first: Int, $after: String, $last: Int, $before: String, $filter: DisputeFilter) {
    disputes(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      edges {
        cursor
        node {
          id
          providerDisputeId
          created
        }
      }
      nodes {
        id
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`;

interface Page {
  edges: { cursor: string; node: { id: string; providerDisputeId: string; created: string } }[];
  nodes: { id: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seed: 11 });
});
afterAll(async () => {
  await h.close();
});

async function page(vars: Record<string, unknown>): Promise<Page> {
  const res = await h.gql<{ disputes: Page }>(PAGE, vars);
  expect(res.body.errors).toBeUndefined();
  const p = res.body.data!.disputes;
  // Invariants of every page.
  expect(p.nodes.map((n) => n.id)).toEqual(p.edges.map((e) => e.node.id));
  expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
  expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
  return p;
}

describe('disputes connection over Stripe', () => {
  it('walks every seeded dispute forward in pages of 7, newest first, each exactly once', async () => {
    const expected = stripeOrder(h.stripe);
    expect(expected.length).toBeGreaterThanOrEqual(250);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const p: Page = await page({ first: 7, after });
      pages += 1;
      expect(p.pageInfo.hasPreviousPage).toBe(pages > 1);
      seen.push(...p.edges.map((e) => e.node.providerDisputeId));
      if (!p.pageInfo.hasNextPage) {
        expect(p.edges.length).toBeGreaterThan(0);
        break;
      }
      expect(p.edges).toHaveLength(7);
      after = p.pageInfo.endCursor;
      expect(pages).toBeLessThan(100);
    }
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 7));
  });

  it('walks back again with last/before from the oldest page, each exactly once', async () => {
    const expected = stripeOrder(h.stripe);
    const pagesNewestLast: string[][] = [];
    let before: string | null = null;
    for (let i = 0; ; i++) {
      const p: Page = await page({ last: 7, before });
      const ids = p.edges.map((e) => e.node.providerDisputeId);
      // Each page is itself newest first.
      const created = p.edges.map((e) => Date.parse(e.node.created));
      expect([...created].sort((a, b) => b - a)).toEqual(created);
      if (i === 0) expect(p.pageInfo.hasNextPage).toBe(false);
      else expect(p.pageInfo.hasNextPage).toBe(true);
      pagesNewestLast.push(ids);
      if (!p.pageInfo.hasPreviousPage) break;
      expect(ids).toHaveLength(7);
      before = p.pageInfo.startCursor;
      expect(i).toBeLessThan(100);
    }
    const seen = pagesNewestLast.reverse().flat();
    expect(seen).toEqual(expected);
  });

  it('keeps disputes created in the same second in one stable order both ways', async () => {
    const all = h.stripe.all();
    const tied = all.findIndex((d, i) => i > 0 && all[i - 1]!.created === d.created);
    expect(tied).toBeGreaterThan(0);
    // A page boundary right between the two tied disputes.
    const first = await page({ first: tied });
    const next = await page({ first: 1, after: first.pageInfo.endCursor });
    expect(next.edges[0]!.node.providerDisputeId).toBe(all[tied]!.id);
    const back = await page({ last: 1, before: next.pageInfo.startCursor });
    expect(back.edges[0]!.node.providerDisputeId).toBe(all[tied - 1]!.id);
  });

  it('maps the filter onto Stripe and pages within it', async () => {
    const all = h.stripe.all();
    const target = all[17]!;
    const byCharge = await page({ first: 10, filter: { charge: target.charge } });
    expect(byCharge.edges.map((e) => e.node.providerDisputeId)).toEqual([target.id]);
    expect(byCharge.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    const withPi = all.find((d) => d.payment_intent)!;
    const byPi = await page({ first: 10, filter: { paymentIntent: withPi.payment_intent } });
    expect(byPi.edges.map((e) => e.node.providerDisputeId)).toEqual([withPi.id]);

    const gte = all[120]!.created;
    const lt = all[40]!.created;
    const want = all.filter((d) => d.created >= gte && d.created < lt).map((d) => d.id);
    const filter = { created: { gte: new Date(gte * 1000).toISOString(), lt: new Date(lt * 1000).toISOString() } };
    const got: string[] = [];
    let after: string | null = null;
    for (;;) {
      const p: Page = await page({ first: 25, after, filter });
      got.push(...p.edges.map((e) => e.node.providerDisputeId));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(want.length).toBeGreaterThan(50);
    expect(got).toEqual(want);

    // The oldest few within the filter, without a cursor.
    const oldest = await page({ last: 3, filter });
    expect(oldest.edges.map((e) => e.node.providerDisputeId)).toEqual(want.slice(-3));
    expect(oldest.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('returns an empty page with null cursors when nothing matches', async () => {
    const p = await page({ first: 5, filter: { created: { gt: '2030-01-01T00:00:00Z' } } });
    expect(p.edges).toEqual([]);
    expect(p.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
  });

  it('defaults to the newest 10 without arguments', async () => {
    const p = await page({});
    expect(p.edges.map((e) => e.node.providerDisputeId)).toEqual(stripeOrder(h.stripe).slice(0, 10));
  });

  it.each([
    [{ first: 0 }, 'first'],
    [{ first: 101 }, 'first'],
    [{ last: -1 }, 'last'],
    [{ last: 101 }, 'last'],
    [{ first: 5, last: 5 }, 'last'],
    [{ first: 5, after: 'not-a-cursor!' }, 'after'],
    [{ first: 5, after: 'eyJ2Ijo5fQ' }, 'after'],
    [{ last: 5, before: Buffer.from('{"v":1}').toString('base64url') }, 'before'],
    [{ first: 5, before: 'x' }, 'before'],
  ])('rejects %j with BAD_USER_INPUT', async (vars, field) => {
    const res = await h.gql(PAGE, vars);
    expect(res.body.data?.disputes ?? null).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('rejects a cursor issued under another filter', async () => {
    const target = h.stripe.all()[3]!;
    const filtered = await page({ first: 1, filter: { charge: target.charge } });
    const res = await h.gql(PAGE, { first: 5, after: filtered.pageInfo.endCursor });
    expect(res.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0]!.message).toMatch(/different filter/);
  });

  it('rejects a malformed DateTime in the filter with BAD_USER_INPUT', async () => {
    const res = await h.gql(PAGE, { first: 5, filter: { created: { gte: 'yesterday' } } });
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('never writes the provider secret to a log line', () => {
    expect(h.logs.length).toBeGreaterThan(0);
    for (const line of h.logs) expect(line).not.toContain(TEST_STRIPE_KEY);
  });
});
