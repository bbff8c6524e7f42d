// A provider's failure reaches the client as a typed GraphQL error naming the provider and its
// code, after bounded retries; it never carries the secret key.
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startGateway } from '../../src/server.js';
import { startHarness, TEST_STRIPE_KEY, type Harness } from '../helpers/harness.js';

const LIST = '{ disputes(first: 3) { nodes { id } } }';
const listCalls = (h: Harness) => h.stripe.server.count('GET', /^\/v1\/disputes$/);

let h: Harness;
const seen: string[] = [];
beforeAll(async () => {
  h = await startHarness({ seed: 5, count: 40 });
});
afterEach(() => h.stripe.server.clearFaults());
afterAll(async () => {
  await h.close();
  for (const text of [...seen, ...h.logs]) expect(text).not.toContain(TEST_STRIPE_KEY);
});

async function failing(query = LIST) {
  const res = await h.gql(query);
  seen.push(res.text);
  expect(res.body.errors, res.text).toHaveLength(1);
  return res.body.errors![0]!;
}

describe('provider failures through GraphQL', () => {
  it('PROVIDER_UNAVAILABLE after retrying a 503 three times in all', async () => {
    const before = listCalls(h);
    h.stripe.server.injectFault({ status: 503, body: { error: { type: 'api_error', message: 'Service unavailable' } } });
    const err = await failing();
    expect(err.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', provider: 'STRIPE', providerName: 'Stripe', providerStatus: 503 });
    expect(err.extensions!.requestId).toMatch(/^req_fake/);
    expect(err.message).toMatch(/^Stripe answered HTTP 503/);
    expect(listCalls(h) - before).toBe(3);
  });

  it('recovers when a 500 is followed by success', async () => {
    const before = listCalls(h);
    h.stripe.server.injectFault({ status: 500, times: 1, body: { error: { type: 'api_error', message: 'boom' } } });
    const res = await h.gql(LIST);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.disputes.nodes).toHaveLength(3);
    expect(listCalls(h) - before).toBe(2);
  });

  it('RATE_LIMITED when 429s outlast the retries, honouring Retry-After', async () => {
    const before = listCalls(h);
    h.stripe.server.injectFault({
      status: 429,
      headers: { 'retry-after': '0' },
      body: { error: { type: 'rate_limit_error', code: 'rate_limit', message: 'Too many requests' } },
    });
    const err = await failing();
    expect(err.extensions).toMatchObject({ code: 'RATE_LIMITED', provider: 'STRIPE', providerCode: 'rate_limit' });
    expect(listCalls(h) - before).toBe(3);
  });

  it('does not retry when the provider says Stripe-Should-Retry: false', async () => {
    const before = listCalls(h);
    h.stripe.server.injectFault({ status: 503, headers: { 'stripe-should-retry': 'false' }, body: { error: { type: 'api_error' } } });
    const err = await failing();
    expect(err.extensions!.code).toBe('PROVIDER_UNAVAILABLE');
    expect(listCalls(h) - before).toBe(1);
  });

  it('PROVIDER_ERROR with the provider code for a 400, without retrying', async () => {
    const before = listCalls(h);
    h.stripe.server.injectFault({
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'parameter_unknown', param: 'x', message: 'Received unknown parameter: x' } },
    });
    const err = await failing();
    expect(err.extensions).toMatchObject({ code: 'PROVIDER_ERROR', provider: 'STRIPE', providerCode: 'parameter_unknown', providerStatus: 400 });
    expect(err.message).toContain('Received unknown parameter: x');
    expect(listCalls(h) - before).toBe(1);
  });

  it.each([
    ['a body that is not JSON', '<html>oops</html>'],
    ['a truncated body', '{"object":"list","data":[{"id":"du_'],
    ['a list without data', { object: 'list', has_more: false }],
    ['a dispute with a string amount', { object: 'list', url: '/v1/disputes', has_more: false, data: [{ id: 'du_1', amount: '10.00' }] }],
  ])('PROVIDER_ERROR malformed_response for %s', async (_, body) => {
    h.stripe.server.injectFault({ status: 200, body });
    const err = await failing();
    expect(err.extensions).toMatchObject({ code: 'PROVIDER_ERROR', provider: 'STRIPE', providerCode: 'malformed_response' });
  });

  it('does not take a 404 that is not Stripe\'s JSON for "no such dispute"', async () => {
    h.stripe.server.injectFault({ status: 404, body: '<html>Not Found</html>', headers: { 'content-type': 'text/html' } });
    const err = await failing('{ disputeByProviderId(provider: STRIPE, providerDisputeId: "du_anything") { id } }');
    expect(err.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 'malformed_response', providerStatus: 404 });
  });

  it('PROVIDER_ERROR for a malformed single dispute names the field that was wrong', async () => {
    const d = h.stripe.all()[0]!;
    h.stripe.server.injectFault({ status: 200, body: { ...d, evidence_details: { ...d.evidence_details, submission_count: 'one' } } });
    const err = await failing(`{ disputeByProviderId(provider: STRIPE, providerDisputeId: "${d.id}") { id } }`);
    expect(err.extensions!.code).toBe('PROVIDER_ERROR');
    expect(err.message).toContain('dispute.evidence_details.submission_count');
    expect(err.path).toEqual(['disputeByProviderId']);
  });
});

describe('credentials and reachability', () => {
  it('PROVIDER_AUTH_FAILED for a wrong key, without echoing any key', async () => {
    const wrongKey = 'sk_test_wrongWrongWrong000000000000';
    const bad = await startHarness({ count: 5, stripeKey: wrongKey });
    try {
      const res = await bad.gql(LIST);
      const err = res.body.errors![0]!;
      expect(err.extensions).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', provider: 'STRIPE', providerStatus: 401 });
      expect(bad.stripe.server.count('GET', /^\/v1\/disputes$/)).toBe(1);
      for (const text of [res.text, ...bad.logs]) {
        expect(text).not.toContain(wrongKey);
        expect(text).not.toContain(TEST_STRIPE_KEY);
      }
    } finally {
      await bad.close();
    }
  });

  it('PROVIDER_UNAVAILABLE when nothing listens at the provider address', async () => {
    // A port that was free a moment ago: connections are refused.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const logs: string[] = [];
    const gateway = await startGateway({
      providers: providersFromEnv({ STRIPE_SECRET_KEY: TEST_STRIPE_KEY, STRIPE_API_BASE: `http://127.0.0.1:${port}` }),
      logger: createLogger({ secrets: [TEST_STRIPE_KEY], write: (l) => logs.push(l) }),
    });
    try {
      const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: LIST }) });
      const body = await res.json();
      expect(body.errors[0].extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', provider: 'STRIPE', providerCode: 'ECONNREFUSED' });
      expect(body.errors[0].message).toBe('Stripe could not be reached (ECONNREFUSED)');
    } finally {
      await gateway.close();
    }
  });
});
