// State replicas will share is injected through the gateway's options: two gateways given one
// idempotency store behave as replicas of one gateway (one close per key, the record answering
// the other), and the key rate limiter and the breakers and limiters come from what is passed in.
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryIdempotencyStore } from '../../src/gateway/idempotency.js';
import type { CloseResult } from '../../src/gateway/close.js';
import { silentLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { inMemoryResilience, type ResilienceFactory } from '../../src/providers/resilience.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';
import { inMemoryKeyRateLimiter } from '../../src/auth/rate.js';

let sandbox: Sandbox;
let a: Gateway;
let b: Gateway;
const store = new InMemoryIdempotencyStore<CloseResult>();
const made: string[] = [];
const resilience: ResilienceFactory = {
  breaker: (p, acct, o) => (made.push(`breaker ${p}:${acct}`), inMemoryResilience.breaker(p, acct, o)),
  limiter: (p, acct, o) => (made.push(`limiter ${p}:${acct}`), inMemoryResilience.limiter(p, acct, o)),
};

beforeAll(async () => {
  sandbox = await startSandbox(12, { count: 30 });
  const providers = providersFromEnv({ ...sandbox.env, STRIPE_RATE_LIMIT: '100' });
  a = await startGateway({ providers, logger: silentLogger, state: { idempotency: store, resilience } });
  b = await startGateway({ providers, logger: silentLogger, state: { idempotency: store } });
});

afterAll(async () => {
  await a.close();
  await b.close();
  await sandbox.close();
});

const CLOSE = 'mutation($id: ID!, $key: String) { closeDispute(input: { id: $id, idempotencyKey: $key }) { dispute { status } userErrors { code } } }';
async function post(g: Gateway, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(g.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as any;
}

describe('an injected idempotency store', () => {
  it('reserves atomically: of two concurrent claims, exactly one wins', async () => {
    const s = new InMemoryIdempotencyStore<CloseResult>();
    const results = await Promise.all([s.reserve('k', { fingerprint: 'x' }), s.reserve('k', { fingerprint: 'y' }), s.reserve('k', { fingerprint: 'x' })]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await s.get('k'))!.fingerprint).toBe(results[1] ? 'y' : 'x');
  });

  it('shared by two gateways: one close per key across both, the other answered from the record or refused', async () => {
    const page = await post(a, '{ disputes(first: 60, filter: { provider: STRIPE, status: [NEEDS_RESPONSE] }) { nodes { id } } }');
    const [x, y] = page.data.disputes.nodes.map((n: { id: string }) => n.id);
    const fake = sandbox.fakes.find((f) => f.name === 'STRIPE')!.fake;
    const before = fake.closesExecuted();
    // The same key for two disputes at the same instant, on two "replicas".
    const [onA, onB] = await Promise.all([post(a, CLOSE, { id: x, key: 'replicas-1' }), post(b, CLOSE, { id: y, key: 'replicas-1' })]);
    const outcomes = [onA, onB].map((r) => r.data.closeDispute.userErrors[0]?.code ?? r.data.closeDispute.dispute.status).sort();
    expect(outcomes).toEqual(['IDEMPOTENCY_KEY_REUSED', 'LOST']);
    expect(fake.closesExecuted() - before).toBe(1);
    // The winner's retry on the other gateway is answered from the shared record: no second close.
    const winner = onA.data.closeDispute.dispute ? x : y;
    const retry = await post(winner === x ? b : a, CLOSE, { id: winner, key: 'replicas-1' });
    expect(retry.data.closeDispute).toEqual({ dispute: { status: 'LOST' }, userErrors: [] });
    expect(fake.closesExecuted() - before).toBe(1);
  });
});

describe('injected rate limiting and resilience', () => {
  it("builds each account's breaker and rate limit from the factory given", () => {
    expect(made).toContain('breaker STRIPE:default');
    expect(made).toContain('limiter STRIPE:default');
    // One per account's API, and Stripe's files host apart (its own rate).
    expect(made.filter((m) => m.startsWith('breaker') && !m.includes('/'))).toHaveLength(PROVIDER_DEFINITIONS.length);
    expect(made).toContain('breaker STRIPE:default/files');
  });

  it('asks the key rate limiter given for every keyed request', async () => {
    const seen: string[] = [];
    const inner = inMemoryKeyRateLimiter();
    const { KeyStore } = await import('../../src/auth/keys.js');
    const keys = KeyStore.fromEnv(
      { GATEWAY_API_KEYS: JSON.stringify([{ name: 'svc', key: 'gk_shared_state_key_0123456789ab', scopes: ['disputes:read'] }]) },
      { perSecond: 100, burst: 100 },
    )!;
    const g = await startGateway({
      providers: providersFromEnv(sandbox.env),
      logger: silentLogger,
      auth: { mode: 'keys', store: keys },
      state: { keyRateLimiter: { take: (name, limit) => (seen.push(name), inner.take(name, limit)) } },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(g.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer gk_shared_state_key_0123456789ab' },
          body: '{"query":"{ __typename }"}',
        });
        expect(res.status).toBe(200);
      }
      expect(seen).toEqual(['svc', 'svc', 'svc']);
    } finally {
      await g.close();
    }
  });
});
