// Every provider through the one schema, over the sandbox's seeded fakes and real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, type ProviderName } from '../../src/domain/dispute.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

const PAGE = /* GraphQL */ `
  query Page($first: Int, $after: String, $last: Int, $before: String, $filter: DisputeFilter) {
    disputes(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      edges {
        cursor
        node {
          provider
          providerDisputeId
        }
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

let h: SandboxHarness;
beforeAll(async () => {
  h = await startSandboxHarness(42);
});
afterAll(async () => {
  await h.close();
  for (const text of [...h.responses, ...h.logs]) for (const secret of h.secrets) expect(text).not.toContain(secret);
});

async function page(vars: Record<string, unknown>) {
  const res = await h.gql(PAGE, vars);
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data.disputes as {
    edges: { cursor: string; node: { provider: ProviderName; providerDisputeId: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

describe('every provider through one schema', () => {
  it('lists the four configured providers with their capabilities', async () => {
    const res = await h.gql('{ providers { provider displayName account capabilities { list retrieve close filters pagination } } }');
    expect(res.body.data.providers).toEqual([
      {
        provider: 'STRIPE',
        displayName: 'Stripe',
        account: 'default',
        capabilities: { list: true, retrieve: true, close: true, filters: ['CHARGE', 'PAYMENT_INTENT', 'CREATED'], pagination: 'ID_CURSOR' },
      },
      {
        provider: 'WOOSHPAY',
        displayName: 'WooshPay',
        account: 'default',
        capabilities: { list: true, retrieve: true, close: true, filters: ['CHARGE', 'PAYMENT_INTENT', 'CREATED'], pagination: 'ID_CURSOR' },
      },
      {
        provider: 'FLEX',
        displayName: 'Flex',
        account: 'default',
        capabilities: { list: true, retrieve: true, close: true, filters: ['CHARGE', 'PAYMENT_INTENT', 'STATUS'], pagination: 'ID_CURSOR' },
      },
      {
        provider: 'AFTERPAY',
        displayName: 'Afterpay',
        account: 'default',
        capabilities: { list: true, retrieve: true, close: true, filters: ['CREATED', 'STATUS'], pagination: 'OFFSET' },
      },
    ]);
  });

  it.each(PROVIDERS.map((p) => [p]))('walks all of %s forward by 7 and back by 7, each dispute exactly once', async (provider) => {
    const expected = h.fakes.get(provider)!.ordered();
    expect(expected.length).toBeGreaterThanOrEqual(120);
    const filter = { provider };

    const forward: string[] = [];
    let after: string | null = null;
    for (let i = 0; ; i++) {
      const p = await page({ first: 7, after, filter });
      expect(p.pageInfo.hasPreviousPage).toBe(i > 0);
      forward.push(...p.edges.map((e) => e.node.providerDisputeId));
      if (!p.pageInfo.hasNextPage) break;
      expect(p.edges).toHaveLength(7);
      after = p.pageInfo.endCursor;
    }
    expect(forward).toEqual(expected);

    const backward: string[][] = [];
    let before: string | null = null;
    for (let i = 0; ; i++) {
      const p = await page({ last: 7, before, filter });
      expect(p.pageInfo.hasNextPage).toBe(i > 0);
      backward.unshift(p.edges.map((e) => e.node.providerDisputeId));
      if (!p.pageInfo.hasPreviousPage) break;
      expect(p.edges).toHaveLength(7);
      before = p.pageInfo.startCursor;
    }
    expect(backward.flat()).toEqual(expected);
  });

  it('applies in the gateway a filter Flex cannot apply upstream, with full pages', async () => {
    const all = await h.gql('{ disputes(first: 100, filter: { provider: FLEX }) { nodes { providerDisputeId created } } }');
    // The sandbox's dates follow the day it starts: a bound taken from its data.
    const since = (all.body.data.disputes.nodes as { created: string }[])[40]!.created;
    const res = await h.gql('query($f: DisputeFilter) { disputes(first: 100, filter: $f) { nodes { providerDisputeId created } pageInfo { hasNextPage } } }', {
      f: { provider: 'FLEX', created: { gte: since } },
    });
    const want = (all.body.data.disputes.nodes as { created: string }[]).filter((n) => n.created >= since);
    expect(want.length).toBeGreaterThan(10);
    expect(res.body.data.disputes.nodes).toEqual(want);
    expect(res.body.extensions?.scanLimited).toBeUndefined();
  });

  it('asks Afterpay nothing for a charge filter: its disputes have no charge', async () => {
    const afterpay = h.fakes.get('AFTERPAY')!;
    const before = afterpay.server.received;
    for (const filter of [{ charge: 'ch_1' }, { paymentIntent: 'pi_1' }]) {
      const res = await h.gql(PAGE, { first: 5, filter: { provider: 'AFTERPAY', ...filter } });
      expect(res.body.data.disputes).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
    }
    expect(afterpay.server.received).toBe(before);
  });

  it('serves a cursor only to the provider that issued it', async () => {
    const stripe = await page({ first: 2, filter: { provider: 'STRIPE' } });
    const res = await h.gql(PAGE, { first: 2, after: stripe.pageInfo.endCursor, filter: { provider: 'AFTERPAY' } });
    expect(res.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it.each(PROVIDERS.map((p) => [p]))('closes a %s dispute through closeDispute', async (provider) => {
    const res = await h.gql(`query($p: DisputeFilter) { disputes(first: 40, filter: $p) { nodes { id closable status } } }`, { p: { provider } });
    const target = res.body.data.disputes.nodes.find((n: { closable: boolean; status: string }) => n.closable && n.status === 'NEEDS_RESPONSE');
    expect(target).toBeDefined();
    const closed = await h.gql(
      `mutation($id: ID!, $key: String!) { closeDispute(input: { id: $id, idempotencyKey: $key }) { dispute { provider status closable closingReason } userErrors { code } } }`,
      { id: target.id, key: `all-providers-${provider}` },
    );
    expect(closed.body.data.closeDispute.userErrors).toEqual([]);
    expect(closed.body.data.closeDispute.dispute).toMatchObject({
      provider,
      status: 'LOST',
      closable: false,
      closingReason: provider === 'AFTERPAY' ? 'merchant_accepted' : null,
    });
  });

  it('fills a Flex list with the details only its retrieve has, one retrieve per dispute', async () => {
    const flex = h.fakes.get('FLEX')!;
    const FIELDS =
      'id providerDisputeId clientReferenceId evidence { receipt { id stripeFileId } } balanceTransactions { id amount currency category } paymentMethodDetails { type card { brand networkReasonCode } } networkReasonCode';
    const before = flex.server.received;
    const res = await h.gql(`{ disputes(first: 6, filter: { provider: FLEX }) { nodes { ${FIELDS} } } }`);
    const sent = flex.server.requests.slice(before);
    expect(sent.filter((r) => r.path === '/v1/disputes')).toHaveLength(1);
    expect(sent.filter((r) => r.path.startsWith('/v1/disputes/'))).toHaveLength(6);
    const nodes = res.body.data.disputes.nodes as { id: string; paymentMethodDetails: { type: string } | null }[];
    expect(nodes.every((n) => n.paymentMethodDetails?.type === 'card')).toBe(true);
    for (const listed of nodes) {
      const one = await h.gql(`query($id: ID!) { node(id: $id) { ... on Dispute { ${FIELDS} } } }`, { id: listed.id });
      expect(one.body.data.node).toEqual(listed);
    }
  });

  it('costs a Flex list page one call, no retrieve, when no detail-only field is asked for', async () => {
    const flex = h.fakes.get('FLEX')!;
    const before = flex.server.received;
    const res = await h.gql(
      `{ disputes(first: 6, filter: { provider: FLEX }) { nodes { id providerDisputeId amount status clientReferenceId evidence { receipt { id } } evidenceDetails { dueBy submissionCount } } } }`,
    );
    expect(res.body.data.disputes.nodes).toHaveLength(6);
    const sent = flex.server.requests.slice(before);
    expect(sent.map((r) => r.path)).toEqual(['/v1/disputes']);
  });

  it('shows provider-specific fields as null where a provider has none', async () => {
    const res = await h.gql(`{
      s: disputes(first: 1, filter: { provider: STRIPE }) { nodes { reasonType clientReferenceId order settlementAmount orderMeta { orderType } } }
      w: disputes(first: 20, filter: { provider: WOOSHPAY }) { nodes { reasonType reasonCode reasonDescription } }
      a: disputes(first: 1, filter: { provider: AFTERPAY }) { nodes { order open settlementAmount orderMeta { orderType transactionCurrency } reasonType } }
    }`);
    expect(res.body.data.s.nodes[0]).toEqual({ reasonType: null, clientReferenceId: null, order: null, settlementAmount: null, orderMeta: null });
    expect(res.body.data.w.nodes.some((n: { reasonType: string | null }) => n.reasonType !== null)).toBe(true);
    expect(res.body.data.a.nodes[0]).toMatchObject({
      order: expect.any(String),
      open: expect.any(Boolean),
      settlementAmount: expect.any(Number),
      reasonType: null,
    });
  });
});
