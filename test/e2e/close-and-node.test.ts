// closeDispute, node refetch and per-request batching, end to end over loopback.
import { upstreamIdempotencyKey } from '../../src/gateway/close.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { listDisputes } from '../../src/gateway/connection.js';
import { disputeRef } from '../../src/gateway/loaders.js';
import { createContext } from '../../src/graphql/context.js';
import type { StripeDispute } from '../../src/providers/kit/stripe-wire.js';
import { startHarness, TEST_STRIPE_KEY, type Harness } from '../helpers/harness.js';

const FULL = /* GraphQL */ `
  fragment Full on Dispute {
    id
    provider
    providerAccount
    providerDisputeId
    amount
    currency
    status
    providerStatus
    reason
    providerReason
    created
    charge
    paymentIntent
    isChargeRefundable
    livemode
    metadata
    networkReasonCode
    enhancedEligibilityTypes
    closable
    evidence {
      accessActivityLog
      billingAddress
      cancellationPolicyDisclosure
      cancellationRebuttal
      customerEmailAddress
      customerName
      customerPurchaseIp
      duplicateChargeExplanation
      duplicateChargeId
      productDescription
      refundPolicyDisclosure
      refundRefusalExplanation
      serviceDate
      shippingAddress
      shippingCarrier
      shippingDate
      shippingTrackingNumber
      uncategorizedText
      cancellationPolicy {
        id
        filename
      }
      customerCommunication {
        id
        filename
      }
      customerSignature {
        id
        filename
      }
      duplicateChargeDocumentation {
        id
        filename
      }
      receipt {
        id
        filename
      }
      refundPolicy {
        id
        filename
      }
      serviceDocumentation {
        id
        filename
      }
      shippingDocumentation {
        id
        filename
      }
      uncategorizedFile {
        id
        filename
      }
    }
    evidenceDetails {
      dueBy
      hasEvidence
      pastDue
      submissionCount
    }
    balanceTransactions {
      id
      amount
      currency
      fee
      net
      status
      type
      reportingCategory
      description
      created
      availableOn
      feeDetails {
        amount
        currency
        type
        description
      }
    }
    paymentMethodDetails {
      type
      card {
        brand
        network
        caseType
        networkReasonCode
      }
    }
  }
`;

const CLOSE = /* GraphQL */ `
  mutation Close($input: CloseDisputeInput!) {
    closeDispute(input: $input) {
      dispute {
        id
        status
        providerStatus
        closable
      }
      userErrors {
        code
        message
        field
      }
    }
  }
`;

let h: Harness;
const responses: string[] = [];
const gid = (d: Pick<StripeDispute, 'id'>) => encodeDisputeId({ provider: 'STRIPE', account: 'default', providerDisputeId: d.id });
const closes = () => h.stripe.server.count('POST', /\/close$/);
const gql = async (q: string, v?: Record<string, unknown>) => {
  const r = await h.gql(q, v);
  responses.push(r.text);
  return r;
};
/** Disputes in a status, set aside so no two tests close the same one. */
const taken = new Set<string>();
const take = (status: string): StripeDispute => {
  const d = h.stripe.all().find((x) => x.status === status && !taken.has(x.id));
  if (!d) throw new Error(`no unused ${status} dispute in the seed`);
  taken.add(d.id);
  return d;
};

beforeAll(async () => {
  h = await startHarness({ seed: 23 });
});
afterAll(async () => {
  await h.close();
});

describe('node refetch', () => {
  it('returns exactly what the connection listed, for every field', async () => {
    const list = await gql(`${FULL} { disputes(first: 25) { nodes { ...Full } } }`);
    const nodes = list.body.data.disputes.nodes as { id: string }[];
    expect(nodes).toHaveLength(25);
    for (const listed of nodes) {
      const one = await gql(`${FULL} query($id: ID!) { node(id: $id) { ...Full } dispute(id: $id) { ...Full } }`, { id: listed.id });
      expect(one.body.errors).toBeUndefined();
      expect(one.body.data.node).toEqual(listed);
      expect(one.body.data.dispute).toEqual(listed);
    }
  });

  it('carries the wire values through: amount in minor units, zero-decimal JPY, evidence files', async () => {
    const jpy = h.stripe.all().find((d) => d.currency === 'jpy')!;
    const withFile = h.stripe.all().find((d) => typeof d.evidence.receipt === 'string')!;
    const res = await gql(`${FULL} query($a: ID!, $b: ID!) { a: node(id: $a) { ...Full } b: node(id: $b) { ...Full } }`, { a: gid(jpy), b: gid(withFile) });
    expect(res.body.data.a).toMatchObject({ amount: jpy.amount, currency: 'jpy', created: new Date(jpy.created * 1000).toISOString() });
    expect(res.body.data.b.evidence.receipt).toEqual({ id: withFile.evidence.receipt, filename: null });
    expect(res.body.data.b.evidence.customerName).toBe(withFile.evidence.customer_name);
  });

  it('is null for a dispute the provider does not have, and nodes keeps length and order', async () => {
    const real = h.stripe.all()[0]!;
    const ghost = gid({ id: 'du_doesNotExist000000000' });
    const res = await gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } node(id: "${ghost}") { id } }`, {
      ids: [gid(real), 'garbage!', ghost],
    });
    expect(res.body.data.node).toBeNull();
    expect(res.body.data.nodes).toEqual([{ id: gid(real) }, null, null]);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({ path: ['nodes', 1], extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('finds a dispute by the provider id', async () => {
    const d = h.stripe.all()[5]!;
    const res = await gql(`query($p: String!) { disputeByProviderId(provider: STRIPE, providerDisputeId: $p) { id } }`, { p: d.id });
    expect(res.body.data.disputeByProviderId).toEqual({ id: gid(d) });
    const none = await gql(`{ disputeByProviderId(provider: STRIPE, providerDisputeId: "du_nope") { id } }`);
    expect(none.body.data.disputeByProviderId).toBeNull();
    // A provider not configured here has no disputes: null, as for any missing dispute.
    const other = await gql(`{ disputeByProviderId(provider: FLEX, providerDisputeId: "fdsp_1") { id } }`);
    expect(other.body).toEqual({ data: { disputeByProviderId: null } });
  });

  it('rejects malformed global ids with BAD_USER_INPUT', async () => {
    const forged = Buffer.from('dg1:Dispute:PAYPAL:default:du_1').toString('base64url');
    const extraPart = Buffer.from('dg1:Dispute:STRIPE:default:du_1:x').toString('base64url');
    const otherType = Buffer.from('dg1:Charge:STRIPE:default:ch_1').toString('base64url');
    for (const id of ['', 'not base64 !', forged, 'ZGcx', extraPart, otherType, `${gid({ id: 'du_x' })}=`]) {
      const res = await gql(`query($id: ID!) { dispute(id: $id) { id } }`, { id });
      expect(res.body.errors?.[0]?.extensions?.code, id).toBe('BAD_USER_INPUT');
    }
  });
});

describe('per-request batching', () => {
  it('asks the provider once for a dispute named several times in one operation', async () => {
    const d = h.stripe.all()[9]!;
    const before = h.stripe.server.count('GET', new RegExp(`/v1/disputes/${d.id}$`));
    const res = await gql(
      `query($id: ID!, $p: String!) { a: dispute(id: $id) { id } b: dispute(id: $id) { amount } c: node(id: $id) { id }
        d: nodes(ids: [$id, $id]) { id } e: disputeByProviderId(provider: STRIPE, providerDisputeId: $p) { status } }`,
      { id: gid(d), p: d.id },
    );
    expect(res.body.errors).toBeUndefined();
    expect(h.stripe.server.count('GET', new RegExp(`/v1/disputes/${d.id}$`)) - before).toBe(1);
  });

  it('primes the loader from a listed page, so loading those disputes costs no call', async () => {
    const ctx = createContext(h.gateway.services);
    const { connection: page } = await listDisputes(ctx, { first: 20 });
    const before = h.stripe.server.received;
    const loaded = await Promise.all(page.edges.map((e) => ctx.loaders.dispute.load(disputeRef(e.node))));
    expect(loaded).toEqual(page.edges.map((e) => e.node));
    expect(h.stripe.server.received).toBe(before);
  });

  it('does not share loaded disputes between requests', async () => {
    const d = h.stripe.all()[10]!;
    const path = new RegExp(`/v1/disputes/${d.id}$`);
    const before = h.stripe.server.count('GET', path);
    await gql(`query($id: ID!) { dispute(id: $id) { id } }`, { id: gid(d) });
    await gql(`query($id: ID!) { dispute(id: $id) { id } }`, { id: gid(d) });
    expect(h.stripe.server.count('GET', path) - before).toBe(2);
  });
});

describe('closeDispute', () => {
  it('closes a dispute that needs a response: LOST now and on the next read', async () => {
    const d = take('needs_response');
    const before = closes();
    const res = await gql(CLOSE, { input: { id: gid(d), idempotencyKey: 'close-once-1' } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.closeDispute).toEqual({
      dispute: { id: gid(d), status: 'LOST', providerStatus: 'lost', closable: false },
      userErrors: [],
    });
    expect(closes() - before).toBe(1);
    const sent = h.stripe.server.requests.filter((r) => r.path.endsWith('/close')).at(-1)!;
    expect(sent.headers['idempotency-key']).toBe(upstreamIdempotencyKey({ name: 'anonymous' }, 'close-once-1'));
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const read = await gql(`query($id: ID!) { dispute(id: $id) { status providerStatus } }`, { id: gid(d) });
    expect(read.body.data.dispute).toEqual({ status: 'LOST', providerStatus: 'lost' });
    expect(h.stripe.get(d.id)!.status).toBe('lost');
  });

  it('answers a repeated close with the same key from its record, sending one close upstream', async () => {
    const d = take('needs_response');
    const before = closes();
    const executed = h.stripe.closesExecuted;
    const input = { id: gid(d), idempotencyKey: 'repeat-me' };
    const first = await gql(CLOSE, { input });
    const second = await gql(CLOSE, { input });
    const [third, fourth] = await Promise.all([gql(CLOSE, { input }), gql(CLOSE, { input })]);
    for (const r of [second, third, fourth]) expect(r.body.data.closeDispute).toEqual(first.body.data.closeDispute);
    expect(first.body.data.closeDispute.dispute.status).toBe('LOST');
    expect(closes() - before).toBe(1);
    expect(h.stripe.closesExecuted - executed).toBe(1);
  });

  it('sends concurrent first attempts with the same key upstream once', async () => {
    const d = take('needs_response');
    const before = closes();
    const input = { id: gid(d), idempotencyKey: 'concurrent-key' };
    const results = await Promise.all([gql(CLOSE, { input }), gql(CLOSE, { input }), gql(CLOSE, { input })]);
    for (const r of results) expect(r.body.data.closeDispute.dispute.status).toBe('LOST');
    expect(closes() - before).toBe(1);
  });

  it('generates one idempotency key when the caller gives none, and reuses it on retry', async () => {
    const d = take('warning_needs_response');
    const before = closes();
    h.stripe.server.injectFault({
      match: (r) => r.path.endsWith(`${d.id}/close`),
      times: 1,
      status: 503,
      body: { error: { type: 'api_error', message: 'try again' } },
    });
    const res = await gql(CLOSE, { input: { id: gid(d) } });
    // An inquiry closed is warning_closed at Stripe, not lost.
    expect(res.body.data.closeDispute.dispute.status).toBe('WARNING_CLOSED');
    const sent = h.stripe.server.requests.filter((r) => r.path.endsWith(`${d.id}/close`));
    expect(sent).toHaveLength(2);
    expect(closes() - before).toBe(2);
    expect(sent[0]!.headers['idempotency-key']).toMatch(/^dg_[0-9a-f-]{36}$/);
    expect(sent[1]!.headers['idempotency-key']).toBe(sent[0]!.headers['idempotency-key']);
  });

  it.each(['won', 'lost', 'warning_closed', 'prevented'])('refuses a %s dispute with DISPUTE_ALREADY_CLOSED, without calling close', async (status) => {
    const d = take(status);
    const before = closes();
    const res = await gql(CLOSE, { input: { id: gid(d) } });
    expect(res.body.data.closeDispute.dispute).toBeNull();
    expect(res.body.data.closeDispute.userErrors).toEqual([
      { code: 'DISPUTE_ALREADY_CLOSED', message: expect.stringContaining(status), field: ['input', 'id'] },
    ]);
    expect(closes()).toBe(before);
  });

  it('refuses a dispute under review with DISPUTE_NOT_CLOSABLE, without calling close', async () => {
    const d = take('under_review');
    const before = closes();
    const res = await gql(CLOSE, { input: { id: gid(d) } });
    expect(res.body.data.closeDispute.userErrors[0].code).toBe('DISPUTE_NOT_CLOSABLE');
    expect(closes()).toBe(before);
  });

  it('answers NOT_FOUND for an unknown dispute and BAD_USER_INPUT for a malformed id or key', async () => {
    const unknown = await gql(CLOSE, { input: { id: gid({ id: 'du_unknown0000000000000000' }) } });
    expect(unknown.body.data.closeDispute).toEqual({ dispute: null, userErrors: [{ code: 'NOT_FOUND', message: expect.any(String), field: ['input', 'id'] }] });
    const malformed = await gql(CLOSE, { input: { id: '%%%' } });
    expect(malformed.body.data.closeDispute.userErrors[0]).toMatchObject({ code: 'BAD_USER_INPUT', field: ['input', 'id'] });
    const d = take('needs_response');
    const longKey = await gql(CLOSE, { input: { id: gid(d), idempotencyKey: 'k'.repeat(256) } });
    expect(longKey.body.data.closeDispute.userErrors[0]).toMatchObject({ code: 'BAD_USER_INPUT', field: ['input', 'idempotencyKey'] });
    expect(h.stripe.get(d.id)!.status).toBe('needs_response');
  });

  it('refuses one key for two different disputes with IDEMPOTENCY_KEY_REUSED', async () => {
    const a = take('needs_response');
    const b = take('needs_response');
    await gql(CLOSE, { input: { id: gid(a), idempotencyKey: 'shared-key' } });
    const res = await gql(CLOSE, { input: { id: gid(b), idempotencyKey: 'shared-key' } });
    expect(res.body.data.closeDispute.userErrors[0]).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'] });
    expect(h.stripe.get(b.id)!.status).toBe('needs_response');
  });

  it('reports a dispute that was closed elsewhere meanwhile as DISPUTE_ALREADY_CLOSED', async () => {
    const d = take('needs_response');
    // The read says needs_response; by the time close arrives the provider refuses it.
    h.stripe.server.injectFault({
      match: (r) => r.path.endsWith(`${d.id}/close`),
      times: 1,
      status: 400,
      body: { error: { type: 'invalid_request_error', message: 'This dispute is already lost.' } },
    });
    h.stripe.server.injectFault({
      match: (r) => r.method === 'GET' && r.path.endsWith(d.id) && h.stripe.server.requests.some((x) => x.path.endsWith(`${d.id}/close`)),
      times: 1,
      status: 200,
      body: { ...h.stripe.get(d.id)!, status: 'lost' },
    });
    const res = await gql(CLOSE, { input: { id: gid(d) } });
    expect(res.body.data.closeDispute.userErrors[0].code).toBe('DISPUTE_ALREADY_CLOSED');
  });

  it('never returns the provider secret', () => {
    for (const text of responses) expect(text).not.toContain(TEST_STRIPE_KEY);
    for (const line of h.logs) expect(line).not.toContain(TEST_STRIPE_KEY);
  });
});
