// A provider is a plugin: TestPay, defined entirely under test/, is registered, configured from the
// environment like the others, and paged through the merged connection beside Stripe; its own
// GraphQL type answers `details`, and the close it lacks is NOT_SUPPORTED, with nothing sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { configuredProviders, registerProvider } from '../../src/providers/registry.js';
import { registerSandboxProvider, sandboxProviderOf } from '../../src/sandbox/registry.js';
import type { ProviderFake } from '../../src/sandbox/types.js';
import { startGateway, type Gateway } from '../../src/server.js';
import { startTestPayFake, testpaySandbox } from '../../src/providers/_template/fake/index.js';
import { TESTPAY, testpay } from '../../src/providers/_template/index.js';

registerProvider(testpay);
registerSandboxProvider(testpaySandbox);

let stripe: ProviderFake;
let tp: Awaited<ReturnType<typeof startTestPayFake>>;
let gateway: Gateway;

beforeAll(async () => {
  // Creation times from one small pool: ties across the two providers are certain.
  const pool = [1_780_000_000, 1_780_000_500, 1_780_001_000, 1_780_002_000];
  let i = 0;
  stripe = await sandboxProviderOf('STRIPE').startFake({ seed: 3, count: 12 });
  tp = await startTestPayFake({ seed: 5, count: 23, created: () => pool[i++ % pool.length]! });
  const providers = configuredProviders({ ...stripe.env, ...tp.env });
  gateway = await startGateway({ providers, logger: createLogger({ write: () => {} }) });
});
afterAll(async () => {
  await gateway?.close();
  await stripe?.close();
  await tp?.close();
});

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions: { code: string } }[] };
}

describe('an extra provider defined under test/', () => {
  it('is in the schema and in providers, with what it can and cannot do', async () => {
    const r = await gql('{ providers { provider displayName account capabilities { list retrieve close pagination } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data.providers.map((p: { provider: string }) => p.provider)).toEqual(['STRIPE', TESTPAY]);
    expect(r.data.providers[1]).toEqual({
      provider: TESTPAY,
      displayName: 'TestPay',
      account: 'default',
      capabilities: { list: true, retrieve: true, close: false, pagination: 'ID_CURSOR' },
    });
  });

  it('pages through the merged connection with Stripe: every dispute once, in the gateway order', async () => {
    const seen: { provider: string; providerDisputeId: string; created: string }[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const r = await gql(
        'query($after: String) { disputes(first: 7, after: $after) { pageInfo { hasNextPage endCursor } nodes { provider providerDisputeId created } } }',
        { after },
      );
      expect(r.errors).toBeUndefined();
      seen.push(...r.data.disputes.nodes);
      if (!r.data.disputes.pageInfo.hasNextPage) break;
      after = r.data.disputes.pageInfo.endCursor;
    }
    // Stripe's 12 seeded, the three its fake adds (an open CE 3.0 dispute, two appeals), and TestPay's 23.
    expect(seen).toHaveLength(12 + 3 + 23);
    expect(seen.filter((n) => n.provider === TESTPAY).map((n) => n.providerDisputeId)).toEqual(tp.ordered());
    expect(seen.filter((n) => n.provider === 'STRIPE').map((n) => n.providerDisputeId)).toEqual(stripe.ordered());
    // Created descending; on a tie Stripe (the SDL's providers) before TestPay (registered after).
    for (let k = 1; k < seen.length; k++) {
      const [a, b] = [seen[k - 1]!, seen[k]!];
      expect(
        Date.parse(a.created) > Date.parse(b.created) ||
          (a.created === b.created && (a.provider === b.provider || (a.provider === 'STRIPE' && b.provider === TESTPAY))),
      ).toBe(true);
    }
  });

  it('reads one by global id, with its own details type, filtered by provider', async () => {
    const r = await gql(
      `{ disputes(first: 3, filter: { providers: [${TESTPAY}] }) { nodes { id provider closable details { __typename ... on TestPayDisputeDetails { channel } } } } }`,
    );
    expect(r.errors).toBeUndefined();
    const [first] = r.data.disputes.nodes;
    expect(first.provider).toBe(TESTPAY);
    expect(first.closable).toBe(false);
    expect(first.details.__typename).toBe('TestPayDisputeDetails');
    expect(['web', 'app', 'pos']).toContain(first.details.channel);
    const byId = await gql('query($id: ID!) { node(id: $id) { ... on Dispute { providerDisputeId details { ... on TestPayDisputeDetails { channel } } } } }', {
      id: first.id,
    });
    expect(byId.data.node.providerDisputeId).toBe(tp.ordered()[0]);
    expect(byId.data.node.details.channel).toBe(first.details.channel);
  });

  it('answers a close it cannot do with NOT_SUPPORTED, sending nothing', async () => {
    const r = await gql(`{ disputes(first: 1, filter: { providers: [${TESTPAY}] }) { nodes { id } } }`);
    const before = tp.server.received;
    const closed = await gql('mutation($id: ID!) { closeDispute(input: { id: $id }) { dispute { id } userErrors { code field message } } }', {
      id: r.data.disputes.nodes[0].id,
    });
    expect(closed.data.closeDispute.dispute).toBeNull();
    expect(closed.data.closeDispute.userErrors).toEqual([{ code: 'NOT_SUPPORTED', field: ['input', 'id'], message: expect.stringContaining('TestPay') }]);
    expect(tp.server.received).toBe(before);
  });

  it("keeps the built-in providers' flat fields as deprecated aliases of details", async () => {
    const r = await gql(`{ __type(name: "Dispute") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }`);
    const reasonType = r.data.__type.fields.find((f: { name: string }) => f.name === 'reasonType');
    expect(reasonType.isDeprecated).toBe(true);
    expect(reasonType.deprecationReason).toContain('WooshPayDisputeDetails');
  });
});
