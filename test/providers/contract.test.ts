// One contract, every registered provider: its client against its own fake over loopback.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/logger.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import type { DisputeProviderClient, ListPage } from '../../src/providers/types.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import type { ProviderFake } from '../../src/sandbox/types.js';

/** Disputes seeded per fake; a fake may add some of its own (Stripe's adds one: seedStripeOpenCe3), so lengths are the fake's. */
const COUNT = 37;
const PAGE = 5;

describe.each(PROVIDER_DEFINITIONS.map((d) => [d.name, d] as const))('%s provider contract', (_, def) => {
  let fake: ProviderFake;
  let client: DisputeProviderClient;
  let agent: Agent;
  const make = (env: Record<string, string>) => def.create(def.configFromEnv(env)!, { dispatcher: agent, logger: silentLogger });

  beforeAll(async () => {
    fake = await sandboxProviderOf(def.name).startFake({ seed: 99, count: COUNT });
    agent = new Agent();
    client = make(fake.env);
  });
  afterAll(async () => {
    await fake.close();
    await agent.close();
  });

  async function walkForward() {
    const items: ListPage['items'] = [];
    let startingAfter: string | undefined;
    for (let calls = 0; calls < 50; calls++) {
      const page = await client.list({ limit: PAGE, startingAfter, filter: {} });
      items.push(...page.items);
      if (!page.hasMore) return items;
      expect(page.items).toHaveLength(PAGE);
      startingAfter = page.items.at(-1)!.position;
    }
    throw new Error('did not finish');
  }

  it('is enabled by the environment its fake gives, and by nothing less', () => {
    expect(def.configFromEnv(fake.env)).not.toBeNull();
    expect(def.configFromEnv({})).toBeNull();
    expect(client.name).toBe(def.name);
  });

  it('lists every dispute forward, newest first, each once', async () => {
    const items = await walkForward();
    expect(items.map((i) => i.dispute.providerDisputeId)).toEqual(fake.ordered());
    expect(items).toHaveLength(fake.expected().length);
    expect(items.length).toBeGreaterThanOrEqual(COUNT);
    for (const { dispute } of items) expect(dispute.provider).toBe(def.name);
  });

  it('lists every dispute backward from the oldest, each once, pages still newest first', async () => {
    const forward = await walkForward();
    const oldest = forward.at(-1)!;
    const pages: string[][] = [];
    let endingBefore = oldest.position;
    for (let calls = 0; calls < 50; calls++) {
      const page = await client.list({ limit: PAGE, endingBefore, filter: {} });
      pages.unshift(page.items.map((i) => i.dispute.providerDisputeId));
      if (!page.hasMore) break;
      expect(page.items).toHaveLength(PAGE);
      endingBefore = page.items[0]!.position;
    }
    expect([...pages.flat(), oldest.dispute.providerDisputeId]).toEqual(fake.ordered());
  });

  it('pages exactly at the end: a page that ends on the last dispute says there is no more', async () => {
    const ids = fake.ordered();
    const forward = await walkForward();
    const page = await client.list({ limit: PAGE, startingAfter: forward[ids.length - PAGE - 1]!.position, filter: {} });
    expect(page.items.map((i) => i.dispute.providerDisputeId)).toEqual(ids.slice(-PAGE));
    expect(page.hasMore).toBe(false);
  });

  it('retrieves what it lists', async () => {
    const [first] = (await client.list({ limit: 3, filter: {} })).items;
    const one = await client.retrieve!(first!.dispute.providerDisputeId);
    expect(one).not.toBeNull();
    const { detail: _a, balanceTransactions: _b, paymentMethodDetails: _c, networkReasonCode: _d, ...listed } = first!.dispute;
    expect(one).toMatchObject(listed);
    expect(one!.detail).toBe('full');
  });

  it('retrieves null for a dispute it does not have', async () => {
    expect(await client.retrieve!('dp_doesnotexist000')).toBeNull();
  });

  it('closes a closable dispute: LOST, and LOST on the next read', async () => {
    const target = (await walkForward()).find((i) => client.capabilities.closableStatuses.includes(i.dispute.status))!;
    expect(target).toBeDefined();
    const closed = await client.close!(target.dispute.providerDisputeId, { idempotencyKey: `contract-${def.name}` });
    expect(closed.status).toBe('LOST');
    expect((await client.retrieve!(target.dispute.providerDisputeId))!.status).toBe('LOST');
  });

  it('refuses to close a dispute that is already final, as a typed provider error', async () => {
    const final = (await walkForward()).find((i) => i.dispute.status === 'WON' || i.dispute.status === 'LOST')!;
    const err = await client.close!(final.dispute.providerDisputeId, { idempotencyKey: `final-${def.name}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: def.name, code: 'PROVIDER_ERROR' });
  });

  it('reports bad credentials as PROVIDER_AUTH_FAILED, without the credentials', async () => {
    const wrong = Object.fromEntries(Object.entries(fake.env).map(([k, v]) => [k, /SECRET|API_KEY/.test(k) ? `${v}wrong` : v]));
    const err = await make(wrong)
      .list({ limit: 1, filter: {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: def.name, code: 'PROVIDER_AUTH_FAILED', status: 401 });
    for (const secret of Object.values(wrong)) if (/wrong$/.test(secret)) expect(String((err as Error).message)).not.toContain(secret);
  });

  it.each([
    ['not JSON', '<html>502 Bad Gateway</html>'],
    ['an empty object', {}],
    ['a list of numbers', { data: [1], disputes: [1], object: 'list', has_more: false, total: 1, offset: 0 }],
  ])('reports a malformed upstream body (%s) as PROVIDER_ERROR', async (_, body) => {
    fake.server.injectFault({ status: 200, body, times: 1 });
    const err = await client.list({ limit: 2, filter: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: def.name, code: 'PROVIDER_ERROR', providerCode: 'malformed_response' });
  });

  it('reports an unreachable provider as PROVIDER_UNAVAILABLE after retrying reads', async () => {
    const before = fake.server.received;
    fake.server.injectFault({ status: 503, body: '{}', times: 3 });
    const err = await client.list({ limit: 2, filter: {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ provider: def.name, code: 'PROVIDER_UNAVAILABLE' });
    expect(fake.server.received - before).toBe(3);
  });
});
