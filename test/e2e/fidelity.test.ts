// Provider fidelity found against independent servers, replayed against the fakes through the
// gateway: the pinned Stripe-Version and User-Agent, whole-second created bounds, odd items in a
// page, WooshPay's non-idempotent close, inquiry closes, and non-card reason codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { STRIPE_API_VERSION } from '../../src/providers/stripe/index.js';
import { GATEWAY_VERSION } from '../../src/version.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

let h: Harness;
let sb: SandboxHarness;

beforeAll(async () => {
  h = await startHarness({ seed: 31, count: 120 });
  sb = await startSandboxHarness(8, { count: 60 });
});

afterAll(async () => {
  await h.close();
  await sb.close();
});

const gid = (provider: 'STRIPE' | 'WOOSHPAY' | 'FLEX' | 'AFTERPAY', id: string) => encodeDisputeId({ provider, account: 'default', providerDisputeId: id });
const CLOSE =
  'mutation($id: ID!, $key: String) { closeDispute(input: { id: $id, idempotencyKey: $key }) { dispute { status providerStatus } userErrors { code } } }';

describe('what the gateway sends', () => {
  it('pins Stripe-Version on every Stripe request, says so in Query.providers, and names itself to every provider', async () => {
    const from = h.stripe.server.received;
    await h.gql('{ disputes(first: 3) { nodes { id } } }');
    const sent = h.stripe.server.requests.slice(h.stripe.server.requests.length - (h.stripe.server.received - from));
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) {
      expect(r.headers['stripe-version']).toBe(STRIPE_API_VERSION);
      expect(r.headers['user-agent']).toMatch(new RegExp(`^DisputeGateway/${GATEWAY_VERSION.replace(/\./g, '\\.')} \\(Node\\.js/\\d+`));
    }
    const providers = await h.gql('{ providers { provider apiVersion } }');
    expect(providers.body.data.providers).toEqual([{ provider: 'STRIPE', apiVersion: STRIPE_API_VERSION }]);
    for (const name of ['WOOSHPAY', 'FLEX', 'AFTERPAY'] as const) {
      const fake = sb.fakes.get(name)!;
      await sb.gql(`{ disputes(first: 2, filter: { provider: ${name} }) { nodes { id } } }`);
      expect(fake.server.requests.at(-1)!.headers['user-agent'], name).toMatch(/^DisputeGateway\//);
    }
    const all = await sb.gql('{ providers { provider apiVersion } }');
    expect(all.body.data.providers.filter((p: { apiVersion: string | null }) => p.apiVersion === null).map((p: { provider: string }) => p.provider)).toEqual([
      'WOOSHPAY',
      'FLEX',
      'AFTERPAY',
    ]);
  });

  it('sends the STRIPE_API_VERSION it is given, and refuses a malformed one at start', async () => {
    const other = await startHarness({ seed: 31, count: 5, extraEnv: { STRIPE_API_VERSION: '2025-08-27.basil' } });
    try {
      await other.gql('{ disputes(first: 1) { nodes { id } } }');
      expect(other.stripe.server.requests.at(-1)!.headers['stripe-version']).toBe('2025-08-27.basil');
    } finally {
      await other.close();
    }
    await expect(startHarness({ count: 1, extraEnv: { STRIPE_API_VERSION: 'latest' } })).rejects.toThrow(/STRIPE_API_VERSION must look like/);
  });
});

describe('created bounds on whole-second filters', () => {
  it('includes a dispute created at :42.000 in lt :42.500 and leaves it out of gte :42.500', async () => {
    const target = h.stripe.all()[10]!;
    const at = new Date(target.created * 1000 + 500).toISOString();
    const ask = async (created: Record<string, string>) => {
      const res = await h.gql('query($c: DateTimeRange) { disputes(first: 100, filter: { created: $c }) { nodes { providerDisputeId } } }', { c: created });
      expect(res.body.errors).toBeUndefined();
      return res.body.data.disputes.nodes.map((n: { providerDisputeId: string }) => n.providerDisputeId);
    };
    expect(await ask({ lt: at })).toContain(target.id);
    expect(await ask({ gte: at })).not.toContain(target.id);
    expect(await ask({ lte: at })).toContain(target.id);
    expect(await ask({ gt: at })).not.toContain(target.id);
  });
});

describe('a page with a dispute the gateway cannot read', () => {
  it('returns the others, names the odd one, and pages past it without repeating or skipping', async () => {
    const order = h.stripe.ordered();
    const odd = order[4]!;
    h.stripe.mutate(odd, (raw) => {
      raw.evidence_details = 'not an object';
    });
    try {
      const seen: string[] = [];
      const errors: { message: string; extensions?: Record<string, unknown> }[] = [];
      let after: string | null = null;
      for (let i = 0; i < 20; i++) {
        const res: Awaited<ReturnType<typeof h.gql<any>>> = await h.gql(
          'query($after: String) { disputes(first: 3, after: $after) { nodes { providerDisputeId } pageInfo { hasNextPage endCursor } } }',
          { after },
        );
        seen.push(...res.body.data.disputes.nodes.map((n: { providerDisputeId: string }) => n.providerDisputeId));
        errors.push(...(res.body.errors ?? []));
        if (seen.length >= 9) break;
        after = res.body.data.disputes.pageInfo.endCursor;
      }
      expect(seen.slice(0, 9)).toEqual(order.slice(0, 10).filter((id) => id !== odd));
      expect(errors).toHaveLength(1);
      expect(errors[0]!.extensions).toMatchObject({ code: 'PROVIDER_ERROR', provider: 'STRIPE', providerCode: 'malformed_response' });
      expect(errors[0]!.message).toContain(odd);
      // Read on its own, it is an error naming the provider, not a crash.
      const one = await h.gql('query($id: ID!) { dispute(id: $id) { id } }', { id: gid('STRIPE', odd) });
      expect(one.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_ERROR', provider: 'STRIPE' });
    } finally {
      h.stripe.mutate(odd, (raw) => {
        raw.evidence_details = { due_by: null, has_evidence: false, past_due: false, submission_count: 0 };
      });
    }
  });

  it('reads WooshPay balance transactions given as ids (its schema) as well as objects', async () => {
    const all: { providerDisputeId: string; balanceTransactions: { id: string }[]; balanceTransactionIds: string[] }[] = [];
    let after: string | null = null;
    for (;;) {
      const res: Awaited<ReturnType<typeof sb.gql<any>>> = await sb.gql(
        'query($after: String) { disputes(first: 100, after: $after, filter: { provider: WOOSHPAY }) { nodes { providerDisputeId balanceTransactions { id } balanceTransactionIds } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      expect(res.body.errors).toBeUndefined();
      all.push(...res.body.data.disputes.nodes);
      if (!res.body.data.disputes.pageInfo.hasNextPage) break;
      after = res.body.data.disputes.pageInfo.endCursor;
    }
    const idsOnly = all.filter((d) => d.balanceTransactionIds.length > 0 && d.balanceTransactions.length === 0);
    const detailed = all.filter((d) => d.balanceTransactions.length > 0);
    expect(idsOnly.length).toBeGreaterThan(0);
    expect(detailed.length).toBeGreaterThan(0);
    for (const d of detailed) expect(d.balanceTransactionIds).toEqual(d.balanceTransactions.map((b) => b.id));
  });
});

describe('closing', () => {
  async function open(provider: 'WOOSHPAY' | 'STRIPE', status: 'NEEDS_RESPONSE' | 'WARNING_NEEDS_RESPONSE') {
    const res = await sb.gql(`{ disputes(first: 60, filter: { provider: ${provider}, status: [${status}] }) { nodes { providerDisputeId } } }`);
    const id = res.body.data.disputes.nodes[0]?.providerDisputeId as string;
    expect(id, `an open ${provider} ${status}`).toBeDefined();
    return id;
  }

  it('WooshPay: a close whose answer was lost is read back and reported closed, sent once, even if WooshPay ignores the key', async () => {
    const id = await open('WOOSHPAY', 'NEEDS_RESPONSE');
    const fake = sb.fakes.get('WOOSHPAY')!;
    const before = fake.closesExecuted();
    fake.server.injectFault({ lost: true, times: 1, match: (r) => r.path.endsWith(`${id}/close`) });
    const res = await sb.gql(CLOSE, { id: gid('WOOSHPAY', id), key: 'woosh-lost' });
    expect(res.body.data.closeDispute).toEqual({ dispute: { status: 'LOST', providerStatus: 'lost' }, userErrors: [] });
    expect(fake.closesExecuted() - before).toBe(1);
    expect(fake.server.requests.filter((r) => r.path.endsWith(`${id}/close`))).toHaveLength(1);
  });

  it.each(['STRIPE', 'WOOSHPAY'] as const)('%s: closing an inquiry ends in WARNING_CLOSED, and a lost answer is recognised as the close', async (provider) => {
    const id = await open(provider, 'WARNING_NEEDS_RESPONSE');
    const fake = sb.fakes.get(provider)!;
    const before = fake.closesExecuted();
    fake.server.injectFault({ lost: true, times: 1, match: (r) => r.path.endsWith(`${id}/close`) });
    const res = await sb.gql(CLOSE, { id: gid(provider, id), key: `inquiry-${provider}` });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.closeDispute).toEqual({ dispute: { status: 'WARNING_CLOSED', providerStatus: 'warning_closed' }, userErrors: [] });
    expect(fake.closesExecuted() - before).toBe(1);
  });
});

describe('non-card disputes', () => {
  it('gives Klarna and PayPal disputes their own reason code as networkReasonCode, with the type-specific details', async () => {
    const nodes: { networkReasonCode: string | null; paymentMethodDetails: Record<string, any> }[] = [];
    let after: string | null = null;
    for (;;) {
      const res: Awaited<ReturnType<typeof h.gql<any>>> = await h.gql(
        `query($after: String) { disputes(first: 100, after: $after) { nodes { networkReasonCode paymentMethodDetails { type card { brand } klarna { reasonCode chargebackLossReasonCode } paypal { caseId reasonCode } amazonPay { disputeType } } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      expect(res.body.errors).toBeUndefined();
      nodes.push(...res.body.data.disputes.nodes);
      if (!res.body.data.disputes.pageInfo.hasNextPage) break;
      after = res.body.data.disputes.pageInfo.endCursor;
    }
    const of = (type: string) => nodes.filter((n) => n.paymentMethodDetails?.type === type);
    expect(of('klarna').length).toBeGreaterThan(0);
    for (const n of of('klarna')) {
      expect(n.networkReasonCode).toBe('unauthorized_purchase');
      expect(n.paymentMethodDetails).toMatchObject({ card: null, klarna: { reasonCode: 'unauthorized_purchase' }, paypal: null });
    }
    for (const n of of('paypal')) {
      expect(n.networkReasonCode).toBe('MERCHANDISE_OR_SERVICE_NOT_RECEIVED');
      expect(n.paymentMethodDetails.paypal.caseId).toMatch(/^PP-D-/);
    }
    for (const n of of('amazon_pay')) {
      expect(n.networkReasonCode).toBeNull();
      expect(n.paymentMethodDetails.amazonPay).toEqual({ disputeType: 'claim' });
    }
    expect(of('paypal').length + of('amazon_pay').length).toBeGreaterThan(0);
    expect(of('card').every((n) => n.networkReasonCode !== null)).toBe(true);
  });
});
