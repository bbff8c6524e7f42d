// The index kept in step behind the real gateway: signed webhooks delivered out of order and twice
// never take it back in time; a dispute changed or created at the provider with no webhook is in
// the index within one reconciliation interval (the real timer); a key limited to one provider
// sees only its disputes from the index, totalCount and indexStatus included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { postWebhook } from '../helpers/events.js';
import { openStore, type OpenedStore } from '../helpers/index-stores.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

const NOW = Date.UTC(2026, 11, 1);
const INTERVAL_S = 2;

const byId = (h: SandboxHarness, id: string, key?: string) =>
  gql(h, 'query($s: String) { disputes(first: 5, filter: { search: $s }) { totalCount nodes { id status syncedAt } } }', { s: id }, key);

async function gql(h: SandboxHarness, query: string, variables: Record<string, unknown> = {}, key?: string) {
  const res = await fetch(h.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: any[]; extensions?: any };
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body;
}

/** Polls `read` until it returns `want` or `ms` pass; the time it took. */
async function until<T>(read: () => Promise<T>, want: T, ms: number): Promise<number> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < ms) {
    last = await read();
    if (last === want) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`after ${ms} ms still ${JSON.stringify(last)}, wanted ${JSON.stringify(want)}`);
}

describe('webhooks out of order and twice', () => {
  let opened: OpenedStore;
  let h: SandboxHarness;
  beforeAll(async () => {
    opened = await openStore('embedded');
    h = await startSandboxHarness(31, { count: 40, now: NOW, only: ['STRIPE'], gateway: { index: { store: opened.store, reconcileEveryS: 3600 } } });
    await h.gateway.services.index!.sync.whenLive();
  });
  afterAll(async () => {
    await h?.close();
    await opened?.done();
  });

  it('keeps the newest state: a late older event and a redelivered one change nothing', async () => {
    const env = h.gateway.services.clients.values().next().value!;
    const fake = h.fakes.get('STRIPE')!;
    const target = fake.expected().find((d) => d.status === 'NEEDS_RESPONSE')!;
    const raw = (await (
      await fetch(`${fake.url}/v1/disputes/${target.id}`, { headers: { authorization: `Bearer ${fake.env.STRIPE_SECRET_KEY}` } })
    ).json()) as Record<string, unknown>;
    const origin = new URL(h.gateway.url).origin;
    const secret = fake.env.STRIPE_WEBHOOK_SECRET!;
    const t = Math.floor(Date.now() / 1000);
    const event = (id: string, created: number, status: string, type = 'charge.dispute.updated') => ({
      id,
      object: 'event',
      type,
      created,
      livemode: false,
      data: { object: { ...raw, status } },
    });
    const status = async () => (await byId(h, target.id)).data.disputes.nodes[0]?.status;
    const [gid] = (await byId(h, target.id)).data.disputes.nodes.map((n: { id: string }) => n.id);
    expect(gid).toBeDefined();
    expect(env.name).toBe('STRIPE');

    // The decision arrives first; the submission it followed arrives late.
    expect((await postWebhook(origin, 'STRIPE', event('evt_ooo_lost', t + 2, 'lost', 'charge.dispute.closed'), secret)).status).toBe(200);
    await until(status, 'LOST', 5_000);
    expect((await postWebhook(origin, 'STRIPE', event('evt_ooo_review', t + 1, 'under_review'), secret)).status).toBe(200);
    // Later in time but earlier in the dispute's life: not taken either.
    expect((await postWebhook(origin, 'STRIPE', event('evt_ooo_reopen', t + 3, 'needs_response'), secret)).status).toBe(200);
    // The decision again, redelivered with the same id.
    expect((await postWebhook(origin, 'STRIPE', event('evt_ooo_lost', t + 2, 'lost', 'charge.dispute.closed'), secret)).status).toBe(200);
    await h.gateway.services.events.settled();
    // Give any stray write time to land before reading.
    await new Promise((r) => setTimeout(r, 200));
    const after = await byId(h, target.id);
    expect(after.data.disputes.totalCount).toBe(1);
    expect(after.data.disputes.nodes[0].status).toBe('LOST');
    // An index-only order still finds it once, as lost.
    const open = await gql(
      h,
      '{ disputes(first: 100, orderBy: { field: DUE_BY, direction: ASC }, filter: { status: [NEEDS_RESPONSE, UNDER_REVIEW] }) { nodes { id } } }',
    );
    expect(open.data.disputes.nodes.map((n: { id: string }) => n.id)).not.toContain(gid);
  });
});

describe('reconciliation on its timer', () => {
  let opened: OpenedStore;
  let h: SandboxHarness;
  beforeAll(async () => {
    opened = await openStore('embedded');
    h = await startSandboxHarness(32, { count: 60, now: NOW, gateway: { index: { store: opened.store, reconcileEveryS: INTERVAL_S } } });
    await h.gateway.services.index!.sync.whenLive();
  });
  afterAll(async () => {
    await h?.close();
    await opened?.done();
  });

  it('finds a dispute closed at the provider and one opened there, with no webhook, within one interval', async () => {
    // No webhooks reach the gateway: only reconciliation can tell it.
    for (const f of h.fakes.values()) f.webhooks?.deliverTo(null);
    const client = [...h.gateway.services.clients.values()].find((c) => c.name === 'AFTERPAY')!;
    const fake = h.fakes.get('AFTERPAY')!;
    const target = fake.expected().find((d) => d.status === 'NEEDS_RESPONSE')!;
    const closed = await client.close!(target.id, { idempotencyKey: 'silent-close' });
    const created = [...h.fakes.values()].map((f) => f.webhooks?.newDispute?.()).find((id) => id !== undefined)!;
    expect(created).toBeDefined();
    const status = async () => (await byId(h, target.id)).data.disputes.nodes[0]?.status;
    const count = async () => (await byId(h, created)).data.disputes.totalCount;
    // A pass starts within one interval and takes a few calls: both are in by then (slack for a slow machine).
    const bound = INTERVAL_S * 1000 + 3_000;
    await until(status, closed.status, bound);
    await until(count, 1, bound);
  });
});

describe('tenancy', () => {
  const AFTERPAY_ONLY = 'gk_index_afterpay_only_5c1e9a3f7b20';
  const ALL = 'gk_index_all_8e2f0a6c4d1b3957aa11';
  let opened: OpenedStore;
  let h: SandboxHarness;
  beforeAll(async () => {
    opened = await openStore('embedded');
    const keys = KeyStore.fromEnv(
      {
        GATEWAY_API_KEYS: JSON.stringify([
          { name: 'afterpay', key: `sha256:${sha256(AFTERPAY_ONLY).toString('hex')}`, scopes: ['disputes:read'], accounts: ['AFTERPAY:default'] },
          { name: 'all', key: `sha256:${sha256(ALL).toString('hex')}`, scopes: ['disputes:read'] },
        ]),
      },
      { perSecond: 1000, burst: 1000 },
    )!;
    h = await startSandboxHarness(33, {
      count: 50,
      now: NOW,
      gateway: { index: { store: opened.store, reconcileEveryS: 3600 }, auth: { mode: 'keys', store: keys } },
    });
    await h.gateway.services.index!.sync.whenLive();
  });
  afterAll(async () => {
    await h?.close();
    await opened?.done();
  });

  it('narrows index pages, totalCount, search and indexStatus to the key’s account', async () => {
    const q = `{ disputes(first: 100, orderBy: { field: AMOUNT, direction: DESC }) { totalCount nodes { provider providerAccount } }
      indexStatus { provider account } }`;
    const mine = (await gql(h, q, {}, AFTERPAY_ONLY)).data;
    const everyone = (await gql(h, q, {}, ALL)).data;
    const afterpay = h.fakes.get('AFTERPAY')!.expected().length;
    expect(mine.disputes.totalCount).toBe(afterpay);
    expect(new Set(mine.disputes.nodes.map((n: { provider: string }) => n.provider))).toEqual(new Set(['AFTERPAY']));
    expect(mine.indexStatus).toEqual([{ provider: 'AFTERPAY', account: 'default' }]);
    expect(everyone.disputes.totalCount).toBe([...h.fakes.values()].reduce((n, f) => n + f.expected().length, 0));
    expect(everyone.indexStatus).toHaveLength(h.fakes.size);
    // Another provider's dispute, searched by its own id: not there for this key.
    const stripeId = h.fakes.get('STRIPE')!.expected()[0]!.id;
    expect((await byId(h, stripeId, AFTERPAY_ONLY)).data.disputes.totalCount).toBe(0);
    expect((await byId(h, stripeId, ALL)).data.disputes.totalCount).toBe(1);
  });
});
