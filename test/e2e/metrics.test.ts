// /metrics counts exactly: after a scripted sequence against the fakes, the scraped counters equal
// what the fakes received; every operation is counted on either path to yoga; labels stay bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';
import { postWebhook, sseSubscribe } from '../helpers/events.js';
import { scrape, total } from '../helpers/prometheus.js';

let sandbox: Sandbox;
let gateway: Gateway;
let origin: string;
const logs: string[] = [];

const stripeFake = () => sandbox.fakes.find((f) => f.name === 'STRIPE')!.fake;
const stripeLists = () => stripeFake().server.requests.filter((r) => r.method === 'GET' && r.path === '/v1/disputes').length;

async function post(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: any[] };
}

beforeAll(async () => {
  sandbox = await startSandbox(42, { count: 30 });
  const env = { ...sandbox.env, STRIPE_BREAKER_THRESHOLD: '3', STRIPE_BREAKER_COOLDOWN_MS: '60000', STRIPE_TIMEOUT_MS: '2000' };
  gateway = await startGateway({ providers: providersFromEnv(env), port: 0, logger: createLogger({ level: 'info', secrets: [], write: (l) => logs.push(l) }) });
  origin = new URL(gateway.url).origin;
});

afterAll(async () => {
  await gateway?.close(500);
  await sandbox?.close();
});

const UPSTREAM = 'dispute_gateway_upstream_requests_total';
const STRIPE_LIST = { provider: 'STRIPE', account: 'default', operation: 'disputes.list' };

describe('GET /metrics', () => {
  it('counts every upstream attempt exactly as the fake received them: plain, retried 503, breaker open', async () => {
    const before = await scrape(`${origin}/metrics`);
    const receivedBefore = stripeLists();
    const query = `query Inbox { disputes(first: 5, filter: { provider: STRIPE }) { nodes { id } } }`;
    // 4 on the direct path (plain POST), 2 through yoga's hooks (GET).
    for (let i = 0; i < 4; i++) expect((await post(query)).errors).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${gateway.url}?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(200);
    }
    // One 503, retried once.
    stripeFake().server.injectFault({ status: 503, times: 1, body: { error: { type: 'api_error' } } });
    expect((await post(query)).errors).toBeUndefined();
    // 503s until the breaker opens (threshold 3), then one more query fails fast.
    stripeFake().server.injectFault({ status: 503, body: { error: { type: 'api_error' } } });
    const failed = await post(query);
    expect(failed.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    const fastFail = await post(query);
    expect(fastFail.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    stripeFake().server.clearFaults();

    const after = await scrape(`${origin}/metrics`);
    const delta = (match: Record<string, string>) =>
      total(after, UPSTREAM, { ...STRIPE_LIST, ...match }) - total(before, UPSTREAM, { ...STRIPE_LIST, ...match });
    const received = stripeLists() - receivedBefore;
    // Everything that reached the fake, and only that, has a status class.
    expect(delta({ status_class: '2xx' }) + delta({ status_class: '5xx' })).toBe(received);
    expect(delta({ status_class: '2xx', outcome: 'ok' })).toBe(7);
    expect(delta({ status_class: '5xx', outcome: 'retry' }) + delta({ status_class: '5xx', outcome: 'error' })).toBe(received - 7);
    expect(delta({ outcome: 'breaker_open' })).toBeGreaterThanOrEqual(1);
    expect(total(after, 'dispute_gateway_circuit_state', { provider: 'STRIPE', account: 'default' })).toBe(2);
    expect(total(after, 'dispute_gateway_circuit_state', { provider: 'FLEX', account: 'default' })).toBe(0);
    // Durations: one observation per attempt.
    const durations = (s: typeof after) =>
      total(s, 'dispute_gateway_upstream_request_duration_seconds_count', { provider: 'STRIPE', operation: 'disputes.list' });
    expect(durations(after) - durations(before)).toBe(delta({}));
    // Operations on both paths, by name; their errors by code.
    const ops = (s: typeof after, outcome: string) =>
      total(s, 'dispute_gateway_graphql_operations_total', { operation_name: 'Inbox', operation_type: 'query', outcome });
    expect(ops(after, 'ok') - ops(before, 'ok')).toBe(7);
    expect(ops(after, 'error') - ops(before, 'error')).toBe(2);
    expect(
      total(after, 'dispute_gateway_graphql_errors_total', { code: 'PROVIDER_UNAVAILABLE' }) -
        total(before, 'dispute_gateway_graphql_errors_total', { code: 'PROVIDER_UNAVAILABLE' }),
    ).toBe(2);
  });

  it('counts closes, evidence, webhooks, published events and open subscriptions, with bounded labels', async () => {
    const sub = await sseSubscribe(gateway.url, 'subscription { disputeEvents { type } }');
    const before = await scrape(`${origin}/metrics`);
    expect(total(before, 'dispute_gateway_active_subscriptions')).toBe(1);
    const open = await post(`{ disputes(first: 3, filter: { provider: FLEX, status: [NEEDS_RESPONSE] }) { nodes { id } } }`);
    const id = open.data.disputes.nodes[0].id;
    const close = `mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "metrics-close" }) { userErrors { code } } }`;
    await post(close, { id });
    await post(close, { id }); // a replay of the same key: its recorded answer, audited CLOSED again
    await post(close, { id: 'not-an-id' });
    await post(
      `mutation($id: ID!) { updateDisputeEvidence(input: { id: $id, evidence: { productDescription: "x" }, submit: true }) { userErrors { code } } }`,
      { id: open.data.disputes.nodes[1].id },
    );
    await postWebhook(
      origin,
      'FLEX',
      { event_dt: 1, event_id: 'fevt_metrics', event_type: 'charge.dispute.funds_withdrawn', object: null },
      'whsec_QmFkU2VjcmV0QmFkU2VjcmV0QmFk',
    );
    // Unnamed and oddly named operations.
    await post(`{ __typename }`);
    await post(`query Weird_Name { __typename }`);
    await gateway.services.events.settled();
    const after = await scrape(`${origin}/metrics`);
    const d = (name: string, match: Record<string, string>) => total(after, name, match) - total(before, name, match);
    expect(d('dispute_gateway_closes_total', { provider: 'FLEX', result: 'CLOSED' })).toBe(2);
    expect(d('dispute_gateway_closes_total', { provider: 'unknown', result: 'BAD_USER_INPUT' })).toBe(1);
    expect(d('dispute_gateway_evidence_total', { provider: 'FLEX', operation: 'update', result: 'SUBMITTED' })).toBe(1);
    expect(d('dispute_gateway_webhooks_received_total', { provider: 'FLEX', result: 'bad_signature' })).toBe(1);
    expect(d('dispute_gateway_events_published_total', { provider: 'FLEX', type: 'CLOSED' })).toBe(1);
    expect(d('dispute_gateway_events_published_total', { provider: 'FLEX', type: 'EVIDENCE_SUBMITTED' })).toBe(1);
    expect(d('dispute_gateway_graphql_operations_total', { operation_name: 'anonymous' })).toBeGreaterThanOrEqual(1);
    expect(d('dispute_gateway_graphql_operations_total', { operation_name: 'Weird_Name' })).toBe(1);
    sub.close();
    // No label value is a dispute id, and the defaults of Node.js are there.
    const text = await (await fetch(`${origin}/metrics`)).text();
    expect(text).not.toContain(id);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_resident_memory_bytes');
    // Scrapes and probes write no access line.
    expect(logs.some((l) => l.includes('"path":"/metrics"'))).toBe(false);
  });
});

describe('switches', () => {
  it('METRICS=off answers 404; METRICS_PORT serves /metrics there and not on the main port', async () => {
    const off = await startGateway({
      providers: providersFromEnv(sandbox.env),
      port: 0,
      metrics: false,
      logger: createLogger({ level: 'error', secrets: [], write: () => {} }),
    });
    const apart = await startGateway({
      providers: providersFromEnv(sandbox.env),
      port: 0,
      metricsPort: 0,
      logger: createLogger({ level: 'error', secrets: [], write: () => {} }),
    });
    try {
      expect((await fetch(`${new URL(off.url).origin}/metrics`)).status).toBe(404);
      expect((await fetch(`${new URL(apart.url).origin}/metrics`)).status).toBe(404);
      expect(apart.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(apart.metricsUrl!);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('dispute_gateway_circuit_state');
    } finally {
      await off.close(100);
      await apart.close(100);
    }
  });
});
