// The response cache (graphql/response-cache.ts, RESPONSE_CACHE_TTL_MS): off by default; on, a
// repeated read costs no upstream call; one key never gets another's answer; the gateway's own
// close, and a provider's signed webhook, make the next read fresh; the event history is never
// cached; hits and misses are counted; on Redis, two replicas share answers and invalidations.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '../../src/auth/keys.js';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/server.js';
import { connectRedis, type RedisState } from '../../src/state/redis.js';
import { scrape, total } from '../helpers/prometheus.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

const A = 'dg_test_cache_key_a_0123456789abcdef';
const B = 'dg_test_cache_key_b_0123456789abcdef';
const M = 'dg_test_cache_key_m_0123456789abcdef';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const keys = () =>
  KeyStore.parse(
    JSON.stringify([
      { name: 'a', key: `sha256:${sha256(A)}`, scopes: ['disputes:read', 'disputes:write'] },
      { name: 'b', key: `sha256:${sha256(B)}`, scopes: ['disputes:read'], providers: ['STRIPE'] },
      { name: 'm', key: `sha256:${sha256(M)}`, scopes: ['metrics:read'] },
    ]),
    'test keys',
    { perSecond: 1000, burst: 1000 },
  );

let sandbox: Sandbox;
let providers: GatewayOptions['providers'];
let cached: Gateway;
let plain: Gateway;
const logger = createLogger({ write: () => {} });
const started: Gateway[] = [];

beforeAll(async () => {
  sandbox = await startSandbox(42, { count: 40 });
  providers = providersFromEnv(sandbox.env);
  cached = await startGateway({
    providers,
    logger,
    port: 0,
    auth: { mode: 'keys', store: keys() },
    responseCache: { ttlMs: 60_000 },
    webhookRateLimit: 10_000,
  });
  plain = await startGateway({ providers, logger, port: 0, auth: { mode: 'keys', store: keys() } });
  sandbox.connect(new URL(cached.url).origin);
  started.push(cached, plain);
});
afterAll(async () => {
  for (const g of started) await g.close(1_000);
  await sandbox?.close();
});

const stripe = () => sandbox.fakes.find((f) => f.name === 'STRIPE')!.fake;
const stripeCalls = () => stripe().server.received;
async function gql(g: Gateway, query: string, variables: Record<string, unknown> = {}, key = A) {
  const res = await fetch(g.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}
const ONE = 'query One($id: ID!) { dispute(id: $id) { id providerDisputeId status amount } }';
const PAGE = '{ disputes(first: 5, filter: { provider: STRIPE, status: [NEEDS_RESPONSE, WARNING_NEEDS_RESPONSE] }) { nodes { id status } } }';
async function openStripeIds(n: number): Promise<string[]> {
  const r = JSON.parse((await gql(plain, PAGE)).text);
  return r.data.disputes.nodes.slice(0, n).map((d: { id: string }) => d.id);
}

describe('the response cache', () => {
  it('is off by default: every read goes upstream', async () => {
    const [id] = await openStripeIds(1);
    const before = stripeCalls();
    for (let i = 0; i < 3; i++) await gql(plain, ONE, { id });
    expect(stripeCalls() - before).toBe(3);
  });

  it('on: a repeated read is answered without an upstream call, the same answer, and counted', async () => {
    const [id] = await openStripeIds(1);
    const metricsBefore = await scrape(cached.url.replace('/graphql', '/metrics'), M);
    const before = stripeCalls();
    const first = await gql(cached, ONE, { id });
    const second = await gql(cached, ONE, { id });
    const third = await gql(cached, ONE, { id });
    expect(stripeCalls() - before).toBe(1);
    expect(second.text).toBe(first.text);
    expect(third.text).toBe(first.text);
    const after = await scrape(cached.url.replace('/graphql', '/metrics'), M);
    const delta = (result: string) =>
      total(after, 'dispute_gateway_response_cache_lookups_total', { result }) -
      total(metricsBefore, 'dispute_gateway_response_cache_lookups_total', { result });
    expect(delta('miss')).toBe(1);
    expect(delta('hit')).toBe(2);
  });

  it('keeps answers per key: another key asking the same is a miss of its own', async () => {
    const [id] = await openStripeIds(1);
    await gql(cached, ONE, { id }, A);
    const before = stripeCalls();
    await gql(cached, ONE, { id }, B);
    await gql(cached, ONE, { id }, B);
    expect(stripeCalls() - before).toBe(1);
  });

  it('forgets a dispute the gateway closes: the next read shows it closed', async () => {
    const [id] = await openStripeIds(1);
    expect(JSON.parse((await gql(cached, ONE, { id })).text).data.dispute.status).toMatch(/NEEDS_RESPONSE/);
    const closed = JSON.parse(
      (
        await gql(
          cached,
          `mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "cache-close-1" }) { dispute { status } userErrors { code } } }`,
          { id },
        )
      ).text,
    );
    expect(closed.data.closeDispute.userErrors).toEqual([]);
    expect(closed.data.closeDispute.dispute.status).toMatch(/LOST|CLOSED/);
    expect(JSON.parse((await gql(cached, ONE, { id })).text).data.dispute.status).toBe(closed.data.closeDispute.dispute.status);
  });

  it("forgets a dispute a provider's signed webhook says changed", async () => {
    const [, id] = await openStripeIds(2);
    const read = async () => JSON.parse((await gql(cached, ONE, { id })).text).data.dispute as { status: string; providerDisputeId: string };
    const open = (await read()).status;
    expect(open).toMatch(/NEEDS_RESPONSE/);
    // Closed at Stripe itself (the dashboard, say): the fake announces it by signed webhook to the cached gateway.
    const providerId = (await read()).providerDisputeId;
    const res = await fetch(`${sandbox.env.STRIPE_API_BASE}/v1/disputes/${providerId}/close`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.env.STRIPE_SECRET_KEY}` },
    });
    expect(res.status).toBe(200);
    const atStripe = ((await res.json()) as { status: string }).status;
    let status = (await read()).status;
    for (let i = 0; i < 50 && status === open; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await read()).status;
    }
    expect(status).toBe(atStripe.toUpperCase());
  });

  it('forgets every list when a provider announces a new dispute', async () => {
    const LIST = '{ disputes(first: 3, filter: { provider: STRIPE }) { nodes { id } } }';
    const ids = async () => (JSON.parse((await gql(cached, LIST)).text).data.disputes.nodes as { id: string }[]).map((n) => n.id);
    const before = await ids();
    expect(await ids()).toEqual(before);
    // The newest first: a dispute opened now heads the list, and the webhook announcing it must reach past the cache.
    const opened = await stripe().webhooks!.newDispute!();
    let now = await ids();
    for (let i = 0; i < 50 && now[0] === before[0]; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await ids();
    }
    expect(now[0]).not.toBe(before[0]);
    expect(Buffer.from(now[0]!, 'base64url').toString()).toContain(String(opened));
  });

  it('never caches the event history', async () => {
    const q = '{ disputeEvents(first: 1) { edges { cursor } } }';
    const metricsBefore = await scrape(cached.url.replace('/graphql', '/metrics'), M);
    await gql(cached, q);
    await gql(cached, q);
    const after = await scrape(cached.url.replace('/graphql', '/metrics'), M);
    expect(total(after, 'dispute_gateway_response_cache_lookups_total', { result: 'hit' })).toBe(
      total(metricsBefore, 'dispute_gateway_response_cache_lookups_total', { result: 'hit' }),
    );
  });
});

describe('the response cache on Redis', () => {
  let redis: RedisServer;
  const states: RedisState[] = [];
  let r1: Gateway;
  let r2: Gateway;
  beforeAll(async () => {
    redis = await startRedis();
    const replica = async () => {
      const s = connectRedis({ url: redis.url, prefix: 'rc-test:' }, { logger, retention: { maxAgeMs: 60_000, maxEvents: 1000 }, uploadBytesPerHour: 1e9 });
      for (let i = 0; i < 50 && !s.healthy(); i++) await new Promise((r) => setTimeout(r, 100));
      states.push(s);
      const g = await startGateway({
        providers,
        logger,
        port: 0,
        auth: { mode: 'keys', store: keys() },
        responseCache: { ttlMs: 60_000, cache: s.responseCache },
        state: s.state as GatewayOptions['state'],
      });
      started.push(g);
      return g;
    };
    r1 = await replica();
    r2 = await replica();
  }, 30_000);
  afterAll(async () => {
    for (const s of states) await s.close();
    await redis?.stop();
  });

  it('shares answers and invalidations between replicas', async () => {
    const [id] = await openStripeIds(1);
    const before = stripeCalls();
    const first = await gql(r1, ONE, { id });
    expect((await gql(r2, ONE, { id })).text).toBe(first.text);
    expect(stripeCalls() - before).toBe(1);
    // Closed through replica 1: replica 2's next read is fresh.
    const closed = JSON.parse(
      (
        await gql(
          r1,
          `mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "cache-close-redis" }) { dispute { status } userErrors { code } } }`,
          { id },
        )
      ).text,
    );
    expect(closed.data.closeDispute.dispute.status).toMatch(/LOST|CLOSED/);
    expect(JSON.parse((await gql(r2, ONE, { id })).text).data.dispute.status).toBe(closed.data.closeDispute.dispute.status);
  });

  it('answers reads from upstream while Redis is away', async () => {
    const [id] = await openStripeIds(1);
    await redis.stop();
    try {
      const r = await gql(r1, ONE, { id });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text).data.dispute.id).toBe(id);
    } finally {
      await redis.start();
    }
  });
});
