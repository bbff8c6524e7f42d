// The index's sync against every registered provider's fake over loopback: a backfill equal to
// the fake's own list, resumed from its checkpoint after a stop mid-walk without listing a page
// twice, and reconciliation that finds a silently closed and a silently new dispute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { openEmbeddedStore } from '../../src/index/sqlite.js';
import type { IndexStore } from '../../src/index/store.js';
import { IndexSync } from '../../src/index/sync.js';
import { configuredProviders, createProviderSet, PROVIDER_DEFINITIONS, type ProviderSet } from '../../src/providers/registry.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import type { ProviderFake } from '../../src/sandbox/types.js';

const quiet = createLogger({ write: () => {} });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'dg-sync-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Every indexed dispute of one account, newest first, as provider ids. */
async function indexed(store: IndexStore, provider: string, account: string): Promise<string[]> {
  const out: string[] = [];
  let after;
  for (;;) {
    const page = await store.page({
      filter: { accounts: [{ provider: provider as never, account }] },
      order: { field: 'CREATED', direction: 'DESC' },
      direction: 'forward',
      limit: 200,
      ...(after && { after }),
    });
    out.push(...page.rows.map((r) => r.dispute.providerDisputeId));
    if (!page.hasMore) return out;
    after = page.rows.at(-1)!.key;
  }
}

describe.each(PROVIDER_DEFINITIONS.map((d) => d.name))('the index sync of %s', (name) => {
  let fake: ProviderFake;
  let set: ProviderSet;
  let store: IndexStore | undefined;
  let sync: IndexSync | undefined;

  beforeAll(async () => {
    fake = await sandboxProviderOf(name).startFake({ seed: 11, count: 230 });
    set = createProviderSet(configuredProviders({ ...fake.env, [`${name}_RATE_LIMIT`]: '0' }), quiet);
  });
  afterEach(async () => {
    await sync?.stop();
    await store?.close();
    sync = store = undefined;
  });
  afterAll(async () => {
    await set.close();
    await fake.close();
  });

  it('backfills every dispute the provider lists, and goes live', async () => {
    store = await openEmbeddedStore(tempDir());
    sync = new IndexSync(store, set.clients.values(), quiet, { reconcileEveryS: 3600 });
    sync.start();
    await sync.whenLive();
    const client = [...set.clients.values()][0]!;
    const ids = await indexed(store, name, client.account);
    expect(new Set(ids)).toEqual(new Set(fake.expected().map((d) => d.id)));
    expect(ids).toHaveLength(fake.expected().length);
    const [status] = await sync.status();
    expect(status).toMatchObject({ provider: name, state: 'LIVE', disputes: fake.expected().length, lastError: null, backfill: null });
  });

  it('resumes a stopped backfill from its checkpoint: no page listed twice, nothing lost or doubled', async () => {
    const dir = tempDir();
    const client = [...set.clients.values()][0]!;
    const pageSize = client.capabilities.maxPageSize;
    const pages = Math.ceil(fake.expected().length / pageSize);
    store = await openEmbeddedStore(dir);
    sync = new IndexSync(store, set.clients.values(), quiet, { reconcileEveryS: 3600 });
    // Stopped as soon as the first page is checkpointed.
    sync.start();
    for (let i = 0; i < 500 && !((await store.sync(name, client.account))?.listed ?? 0); i++) await new Promise((r) => setTimeout(r, 5));
    await sync.stop();
    await store.close();
    const stoppedAt = (await (store = await openEmbeddedStore(dir)).sync(name, client.account))!;
    expect(stoppedAt.phase).toBe('BACKFILLING');
    expect(stoppedAt.listed).toBeGreaterThan(0);
    sync = new IndexSync(store, set.clients.values(), quiet, { reconcileEveryS: 3600 });
    sync.start();
    await sync.whenLive();
    const after = (await store.sync(name, client.account))!;
    // The listing went on from the checkpoint: the first run's pages plus the rest make the list once.
    expect(after.listed).toBe(fake.expected().length);
    // Its own calls: the pages after the checkpoint and the head sweep's (one, or a probe more where a list needs it to know the end).
    expect(sync.callsOf(`${name}:${client.account}`)).toBeLessThanOrEqual(pages - Math.floor(stoppedAt.listed / pageSize) + 2);
    const ids = await indexed(store, name, client.account);
    expect(ids).toHaveLength(fake.expected().length);
    expect(new Set(ids)).toEqual(new Set(fake.expected().map((d) => d.id)));
  });

  // Last: it changes the fake.
  it('reconciles what no webhook said: a dispute closed at the provider, and one created there, are in the index after one pass', async () => {
    store = await openEmbeddedStore(tempDir());
    sync = new IndexSync(store, set.clients.values(), quiet, { reconcileEveryS: 3600 });
    sync.start();
    await sync.whenLive();
    const client = [...set.clients.values()][0]!;
    const open = fake.expected().find((d) => d.status === 'NEEDS_RESPONSE')!;
    // Changed behind the gateway's back: closed straight at the provider, and a new dispute, with no webhook delivered.
    fake.webhooks?.deliverTo(null);
    const closed = await client.close!(open.id, { idempotencyKey: `silent-${name}` });
    const created = fake.webhooks?.newDispute?.();
    const before = await indexed(store, name, client.account);
    if (created) expect(before).not.toContain(created);
    await sync.reconcileNow();
    const row = (
      await store.page({
        filter: { accounts: [{ provider: name, account: client.account }], search: open.id },
        order: { field: 'CREATED', direction: 'DESC' },
        direction: 'forward',
        limit: 1,
      })
    ).rows[0]!;
    expect(row.dispute.status).toBe(closed.status);
    expect(row.dispute.status).not.toBe('NEEDS_RESPONSE');
    if (created) expect(await indexed(store, name, client.account)).toContain(created);
  });
});

describe('replaying the event list', () => {
  const calls = new Map<string, number>();
  const metrics = {
    indexCalls: (provider: string, _account: string, phase: string, n: number) =>
      calls.set(`${provider}:${phase}`, (calls.get(`${provider}:${phase}`) ?? 0) + n),
    indexPass() {},
    indexApplied() {},
  };
  const statusOf = async (store: IndexStore, provider: string, id: string) =>
    (
      await store.page({
        filter: { accounts: [{ provider: provider as never, account: 'default' }], search: id },
        order: { field: 'CREATED', direction: 'DESC' },
        direction: 'forward',
        limit: 1,
      })
    ).rows[0]!.dispute.status;

  it('finds a change no webhook told of in Stripe’s events, with no read per dispute; a list answering 404 turns replay off, not the account DEGRADED', async () => {
    const stripe = await sandboxProviderOf('STRIPE').startFake({ seed: 12, count: 150 });
    const set = createProviderSet(configuredProviders(stripe.env), quiet);
    const store = await openEmbeddedStore(tempDir());
    const sync = new IndexSync(store, set.clients.values(), quiet, { reconcileEveryS: 3600, metrics });
    try {
      sync.start();
      await sync.whenLive();
      // Past the list's first page, so the head sweep cannot be what finds them.
      const deep = new Set(stripe.ordered().slice(100));
      const [a, b] = stripe.expected().filter((d) => d.status === 'NEEDS_RESPONSE' && deep.has(d.id));
      // Moved on at Stripe; the webhook never came.
      stripe.events!.changeWithoutWebhook(a!.id);
      calls.clear();
      await sync.reconcileNow();
      expect(await statusOf(store, 'STRIPE', a!.id)).toBe('UNDER_REVIEW');
      expect(calls.get('STRIPE:replay')).toBe(1);
      expect(calls.get('STRIPE:reread') ?? 0).toBe(0);
      expect((await store.sync('STRIPE', 'default'))!.replay).toBe('on');

      // The events list gone (as at a provider without one): re-read instead, and still live.
      stripe.events!.setListed(false);
      stripe.events!.changeWithoutWebhook(b!.id);
      calls.clear();
      await sync.reconcileNow();
      expect(await statusOf(store, 'STRIPE', b!.id)).toBe('UNDER_REVIEW');
      expect(calls.get('STRIPE:replay')).toBe(1);
      expect(calls.get('STRIPE:reread')).toBeGreaterThan(0);
      expect((await store.sync('STRIPE', 'default'))!.replay).toBe('off');
      const [status] = await sync.status();
      expect(status).toMatchObject({ state: 'LIVE', lastError: null });
      // Off stays off: no more calls to a list that is not there.
      calls.clear();
      await sync.reconcileNow();
      expect(calls.get('STRIPE:replay') ?? 0).toBe(0);
    } finally {
      await sync.stop();
      await store.close();
      await set.close();
      await stripe.close();
    }
  });

  it('treats WooshPay’s unconfirmed events list as absent when its API answers 404', async () => {
    const woosh = await sandboxProviderOf('WOOSHPAY').startFake({ seed: 13, count: 60 });
    const set = createProviderSet(configuredProviders(woosh.env), quiet);
    const store = await openEmbeddedStore(tempDir());
    const sync = new IndexSync(store, set.clients.values(), quiet, { reconcileEveryS: 3600, metrics });
    try {
      sync.start();
      await sync.whenLive();
      await sync.reconcileNow();
      expect((await store.sync('WOOSHPAY', 'default'))!.replay).toBe('off');
      expect((await sync.status())[0]).toMatchObject({ state: 'LIVE', lastError: null });
    } finally {
      await sync.stop();
      await store.close();
      await set.close();
      await woosh.close();
    }
  });
});
