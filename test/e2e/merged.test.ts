// The merged disputes connection over the sandbox's four seeded fakes, end to end.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, type ProviderName } from '../../src/domain/dispute.js';
import { silentLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startGateway } from '../../src/server.js';
import type { GqlResult } from '../helpers/harness.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

const PAGE = /* GraphQL */ `
  query Page($first: Int, $after: String, $last: Int, $before: String, $filter: DisputeFilter) {
    disputes(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      edges {
        cursor
        node {
          provider
          providerDisputeId
          created
          status
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
type Node = { provider: ProviderName; providerDisputeId: string; created: string; status: string };
type Page = {
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
};

let h: SandboxHarness;
beforeAll(async () => {
  // These tests inject provider failures one after another: the circuit breaker (tested on its
  // own) would open between them, so it is set out of reach here.
  h = await startSandboxHarness(42, { env: Object.fromEntries(PROVIDERS.map((p) => [`${p}_BREAKER_THRESHOLD`, '1000'])) });
});
afterEach(() => {
  for (const fake of h.fakes.values()) fake.server.clearFaults();
});
afterAll(async () => {
  await h.close();
  for (const text of [...h.responses, ...h.logs]) for (const secret of h.secrets) expect(text).not.toContain(secret);
});

const RANK = new Map(PROVIDERS.map((p, i) => [p, i]));
const key = (n: Node) => `${n.provider}:${n.providerDisputeId}`;

async function walkForward(size: number, filter: Record<string, unknown> = {}, between?: (i: number) => void) {
  const nodes: Node[] = [];
  const errors: unknown[] = [];
  let after: string | null = null;
  for (let i = 0; i < 400; i++) {
    between?.(i);
    const res: GqlResult<{ disputes: Page }> = await h.gql<{ disputes: Page }>(PAGE, { first: size, after, filter });
    errors.push(...(res.body.errors ?? []));
    const p: Page = res.body.data!.disputes;
    nodes.push(...p.edges.map((e) => e.node));
    if (!p.pageInfo.hasNextPage) return { nodes, errors };
    after = p.pageInfo.endCursor;
  }
  throw new Error('did not finish');
}

describe('merged disputes connection', () => {
  it('walks the whole inbox of all four providers forward and back, in the documented order', async () => {
    const { nodes: forward } = await walkForward(25);
    const all = PROVIDERS.flatMap((p) =>
      h.fakes
        .get(p)!
        .ordered()
        .map((id) => `${p}:${id}`),
    );
    expect(forward.map(key).sort()).toEqual(all.sort());
    // created desc, then provider; within a provider, the provider's own order.
    for (let i = 1; i < forward.length; i++) {
      const [a, b] = [forward[i - 1]!, forward[i]!];
      const order = Date.parse(b.created) - Date.parse(a.created) || RANK.get(a.provider)! - RANK.get(b.provider)!;
      expect(order, `${key(a)} before ${key(b)}`).toBeLessThanOrEqual(0);
    }
    for (const p of PROVIDERS) expect(forward.filter((n) => n.provider === p).map((n) => n.providerDisputeId)).toEqual(h.fakes.get(p)!.ordered());

    const backward: string[][] = [];
    let before: string | null = null;
    for (;;) {
      const res: GqlResult<{ disputes: Page }> = await h.gql<{ disputes: Page }>(PAGE, { last: 25, before });
      const p: Page = res.body.data!.disputes;
      backward.unshift(p.edges.map((e) => key(e.node)));
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    expect(backward.flat()).toEqual(forward.map(key));
  });

  it('filters across providers by status and currency, upstream where it can', async () => {
    const { nodes: all } = await walkForward(100);
    const want = all.filter((n) => n.status === 'NEEDS_RESPONSE' || n.status === 'UNDER_REVIEW').map(key);
    const flex = h.fakes.get('FLEX')!;
    const before = flex.server.received;
    const { nodes } = await walkForward(30, { status: ['NEEDS_RESPONSE', 'UNDER_REVIEW'] });
    expect(nodes.map(key)).toEqual(want);
    // Flex takes the status filter upstream.
    expect(flex.server.requests.slice(before).every((r) => new URLSearchParams(r.query).get('statuses') === 'needs_response,under_review')).toBe(true);
  });

  it('keeps serving the others while one provider is down, and resumes it later without loss', async () => {
    const flex = h.fakes.get('FLEX')!;
    const { nodes, errors } = await walkForward(20, {}, (i) => {
      if (i === 2) flex.server.injectFault({ status: 503, body: { error: { code: 'unavailable', message: 'down' } } });
      if (i === 5) flex.server.clearFaults();
    });
    expect(errors.length).toBe(3);
    for (const e of errors)
      expect(e).toMatchObject({ path: ['disputes'], extensions: { code: 'PROVIDER_UNAVAILABLE', provider: 'FLEX', providerName: 'Flex' } });
    const all = PROVIDERS.flatMap((p) =>
      h.fakes
        .get(p)!
        .ordered()
        .map((id) => `${p}:${id}`),
    );
    // Every dispute exactly once; Flex's come later than their place while it was down.
    expect(nodes.map(key).sort()).toEqual(all.sort());
    expect(new Set(nodes.map(key)).size).toBe(nodes.length);
    expect(nodes.filter((n) => n.provider === 'FLEX').map((n) => n.providerDisputeId)).toEqual(flex.ordered());
  });

  it('answers a page with data and an error entry when one provider fails', async () => {
    h.fakes.get('AFTERPAY')!.server.injectFault({ status: 500, body: { errorCode: 'internal', errorId: 'e1', message: 'boom', httpStatusCode: 500 } });
    const res = await h.gql<{ disputes: Page }>(PAGE, { first: 10 });
    expect(res.status).toBe(200);
    expect(res.body.data!.disputes.edges).toHaveLength(10);
    expect(res.body.data!.disputes.edges.some((e) => e.node.provider === 'AFTERPAY')).toBe(false);
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        path: ['disputes'],
        extensions: expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', provider: 'AFTERPAY', providerCode: 'internal' }),
      }),
    ]);
  });

  it('fails the field when every provider asked fails', async () => {
    for (const fake of h.fakes.values()) fake.server.injectFault({ status: 401, body: '{}' });
    const res = await h.gql(PAGE, { first: 5 });
    expect(res.body.data).toBeNull();
    expect(res.body.errors![0]!.extensions!.code).toBe('PROVIDER_AUTH_FAILED');
  });

  it('does not ask a provider whose statuses cannot match', async () => {
    const counts = () => new Map([...h.fakes].map(([p, f]) => [p, f.server.received]));
    const before = counts();
    const res = await h.gql<{ disputes: Page }>(PAGE, { first: 50, filter: { status: ['MERCHANT_VOIDED'] } });
    expect(res.body.data!.disputes.edges.length).toBeGreaterThan(0);
    expect(res.body.data!.disputes.edges.every((e) => e.node.provider === 'AFTERPAY')).toBe(true);
    const after = counts();
    for (const p of ['STRIPE', 'WOOSHPAY', 'FLEX'] as const) expect(after.get(p)).toBe(before.get(p));
  });

  it('rejects a cursor from one filter used with another', async () => {
    const p = await h.gql<{ disputes: Page }>(PAGE, { first: 3, filter: { providers: ['STRIPE', 'FLEX'] } });
    const res = await h.gql(PAGE, { first: 3, after: p.body.data!.disputes.pageInfo.endCursor, filter: { providers: ['STRIPE'] } });
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it.each([
    [{ providers: [] }, 'filter.providers'],
    [{ status: [] }, 'filter.status'],
    [{ currency: 'dollars' }, 'filter.currency'],
    [{ provider: 'FLEX', providers: ['STRIPE'] }, 'filter.provider'],
  ])('rejects filter %j', async (filter, field) => {
    const res = await h.gql(PAGE, { first: 3, filter });
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('bounded gateway-side filtering', () => {
  let small: SandboxHarness;
  beforeAll(async () => {
    small = await startSandboxHarness(42, { only: ['STRIPE'] });
  });
  afterAll(async () => {
    await small.close();
  });

  it('says in extensions when the scan bound stopped a page, and pages on to every match', async () => {
    // The default bound is 10 pages; a bound of 1 page of 100 makes the sandbox's 260 disputes hit it.
    const env = Object.fromEntries([...small.fakes.values()].flatMap((f) => Object.entries(f.env)));
    const gw = await startGateway({ providers: providersFromEnv(env), logger: silentLogger, merge: { maxScanPages: 1 } });
    try {
      const post = async (variables: Record<string, unknown>) =>
        (await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: PAGE, variables }) })).json();
      const full = await walkAll(post, {});
      const want = full.filter((n) => n.status === 'PREVENTED').map(key);
      expect(want.length).toBeGreaterThan(3);
      const first = await post({ first: 50, filter: { status: ['PREVENTED'] } });
      expect(first.extensions.scanLimited).toEqual([expect.objectContaining({ path: ['disputes'], provider: 'STRIPE', scannedPages: 1 })]);
      expect(first.data.disputes.pageInfo.hasNextPage).toBe(true);
      expect(first.data.disputes.edges.length).toBeLessThan(want.length);
      const filtered = await walkAll(post, { status: ['PREVENTED'] });
      expect(filtered.map(key)).toEqual(want);
    } finally {
      await gw.close();
    }
  });
});

async function walkAll(post: (v: Record<string, unknown>) => Promise<{ data: { disputes: Page } }>, filter: Record<string, unknown>) {
  const nodes: Node[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const body = await post({ first: 50, after, filter });
    nodes.push(...body.data.disputes.edges.map((e) => e.node));
    if (!body.data.disputes.pageInfo.hasNextPage) return nodes;
    after = body.data.disputes.pageInfo.endCursor;
  }
  throw new Error('did not finish');
}
