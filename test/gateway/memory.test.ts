// The gateway's own logic with in-memory provider clients, no HTTP: the merge across accounts and
// providers with ties, cursors both ways, and closeDispute's once-per-key rules.
import { describe, expect, it } from 'vitest';
import { accountKey } from '../../src/domain/ids.js';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { closeDispute, type CloseResult } from '../../src/gateway/close.js';
import { DEFAULT_MERGE_OPTIONS, listDisputes } from '../../src/gateway/connection.js';
import { CursorKeys } from '../../src/gateway/cursor.js';
import { InMemoryIdempotencyStore } from '../../src/gateway/idempotency.js';
import { ProviderError } from '../../src/domain/errors.js';
import { createLoaders } from '../../src/gateway/loaders.js';
import { createRng } from '../../src/sandbox/random.js';
import { MemoryClient, memoryDispute } from '../helpers/memory-client.js';

const RANK = ['STRIPE', 'WOOSHPAY', 'FLEX', 'AFTERPAY'];

function world(seed: number, min = 0) {
  const rng = createRng(seed);
  const streams: ['STRIPE' | 'FLEX', string, number][] = [
    ['STRIPE', 'eu', rng.int(min, 40)],
    ['STRIPE', 'us', rng.int(min, 40)],
    ['FLEX', 'default', rng.int(min, 40)],
  ];
  const clients = new Map<string, MemoryClient>();
  for (const [provider, account, n] of streams) {
    // Few distinct seconds, so ties within and across accounts are certain.
    const items = Array.from({ length: n }, (_, i) =>
      memoryDispute(provider, account, `${provider === 'STRIPE' ? 'du' : 'fdsp'}_${account}${i}`, 1_800_000_000 + rng.int(0, 12)),
    );
    clients.set(accountKey(provider, account), new MemoryClient(provider, account, items));
  }
  return clients;
}

function expected(clients: Map<string, MemoryClient>): string[] {
  const all: { key: string; created: number; provider: string; account: string; seq: number }[] = [];
  for (const c of clients.values()) {
    (c as unknown as { items: { providerDisputeId: string; created: Date }[] }).items.forEach((d, seq) =>
      all.push({ key: `${c.account}/${d.providerDisputeId}`, created: d.created.getTime(), provider: c.name, account: c.account, seq }),
    );
  }
  return all
    .sort((a, b) => b.created - a.created || RANK.indexOf(a.provider) - RANK.indexOf(b.provider) || a.account.localeCompare(b.account) || a.seq - b.seq)
    .map((x) => x.key);
}

describe('the merge over in-memory accounts', () => {
  // Providers that can list but not read one dispute by id (retrieve is optional) page back too: the
  // item a cursor stops at is read from the list instead.
  it.each([
    [1, 'retrieve'],
    [2, 'retrieve'],
    [3, 'retrieve'],
    [4, 'retrieve'],
    [5, 'retrieve'],
    [6, 'retrieve'],
    [7, 'list only'],
    [8, 'list only'],
    [9, 'list only'],
  ] as const)('seed %i (%s): pages forward and back give exactly the documented order', async (seed, kind) => {
    const clients = world(seed);
    if (kind === 'list only') for (const c of clients.values()) (c as { retrieve?: unknown }).retrieve = undefined;
    const env = { clients, loaders: createLoaders(clients), merge: DEFAULT_MERGE_OPTIONS, cursorKeys: new CursorKeys(['memory-tier-secret']) };
    const size = (seed % 5) + 1;
    const forward: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 200; i++) {
      const { connection } = await listDisputes(env, { first: size, after });
      forward.push(...connection.edges.map((e) => `${e.node.providerAccount}/${e.node.providerDisputeId}`));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor!;
    }
    expect(forward).toEqual(expected(clients));
    const backward: string[][] = [];
    let before: string | undefined;
    for (let i = 0; i < 200; i++) {
      const { connection } = await listDisputes(env, { last: size, before });
      backward.unshift(connection.edges.map((e) => `${e.node.providerAccount}/${e.node.providerDisputeId}`));
      if (!connection.pageInfo.hasPreviousPage) break;
      before = connection.pageInfo.startCursor!;
    }
    expect(backward.flat()).toEqual(expected(clients));
  });
});

describe('closeDispute over in-memory clients', () => {
  function services() {
    const clients = world(9, 5);
    return {
      clients,
      loaders: createLoaders(clients),
      idempotency: new InMemoryIdempotencyStore<CloseResult>(),
      caller: { name: 'svc' },
      inflight: new Map(),
    };
  }
  const idOf = (c: MemoryClient, i: number) => encodeDisputeId({ provider: c.name, account: c.account, providerDisputeId: `du_${c.account}${i}` });

  it('closes once per key: a repeat is answered from the record, concurrent duplicates share one attempt', async () => {
    const s = services();
    const eu = s.clients.get('STRIPE:eu')!;
    const id = idOf(eu, 0);
    const results = await Promise.all([closeDispute(s, { id, idempotencyKey: 'k1' }), closeDispute(s, { id, idempotencyKey: 'k1' })]);
    const again = await closeDispute({ ...s, loaders: createLoaders(s.clients) }, { id, idempotencyKey: 'k1' });
    for (const r of [...results, again]) expect(r.dispute?.status).toBe('LOST');
    expect(eu.calls.close).toBe(1);
    expect(again.replayed).toBe(true);
  });

  it('refuses the key for a dispute at another account, sending nothing there', async () => {
    const s = services();
    const eu = s.clients.get('STRIPE:eu')!;
    const us = s.clients.get('STRIPE:us')!;
    expect((await closeDispute(s, { id: idOf(eu, 1), idempotencyKey: 'k2' })).userErrors).toEqual([]);
    const other = await closeDispute(s, { id: idOf(us, 1), idempotencyKey: 'k2' });
    expect(other.userErrors[0]!.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(us.calls.close).toBe(0);
  });

  it('replicas sharing one store: the same key at the same instant closes once, and both answer alike', async () => {
    const s = services();
    const eu = s.clients.get('STRIPE:eu')!;
    const close = eu.close.bind(eu);
    eu.close = async (...a: Parameters<typeof close>) => (await new Promise((r) => setTimeout(r, 100)), close(...a));
    // Two replicas: one store, each its own in-flight map and loaders.
    const replica = () => ({ ...s, loaders: createLoaders(s.clients), inflight: new Map() });
    const id = idOf(eu, 3);
    const [a, b] = await Promise.all([closeDispute(replica(), { id, idempotencyKey: 'same' }), closeDispute(replica(), { id, idempotencyKey: 'same' })]);
    expect(eu.calls.close).toBe(1);
    expect(a.dispute).toEqual(b.dispute);
    expect([a.userErrors, b.userErrors]).toEqual([[], []]);
  });

  it('a claim whose holder died is taken over once its lease is over; a failed attempt lets go of its claim at once', async () => {
    {
      const s = { ...services(), idempotencyLeaseMs: 300 };
      const eu = s.clients.get('STRIPE:eu')!;
      const id = idOf(eu, 4);
      // A replica claimed the key and died before sending anything.
      await s.idempotency.reserve('close:svc:dead', { fingerprint: `STRIPE:eu:du_eu4`, owner: 'a-dead-replica', leaseUntil: Date.now() + 300 });
      const started = Date.now();
      const taken = await closeDispute(s, { id, idempotencyKey: 'dead' });
      expect(taken.userErrors).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(eu.calls.close).toBe(1);
      // An attempt that fails with its outcome unknown: the retry goes ahead without waiting out a lease.
      const close = eu.close.bind(eu);
      let fail = true;
      eu.close = async (...a: Parameters<typeof close>) => {
        if (fail) {
          fail = false;
          throw new ProviderError({ provider: 'STRIPE', code: 'PROVIDER_UNAVAILABLE', message: 'timed out', retryable: true });
        }
        return close(...a);
      };
      const other = idOf(eu, 5);
      await expect(closeDispute({ ...s, loaders: createLoaders(s.clients) }, { id: other, idempotencyKey: 'flaky' })).rejects.toThrow();
      const retryStarted = Date.now();
      const retried = await closeDispute({ ...s, loaders: createLoaders(s.clients) }, { id: other, idempotencyKey: 'flaky' });
      expect(retried.userErrors).toEqual([]);
      expect(Date.now() - retryStarted).toBeLessThan(250);
      expect(eu.calls.close).toBe(2);
    }
  });

  it('answers an already closed dispute without calling close', async () => {
    const s = services();
    const eu = s.clients.get('STRIPE:eu')!;
    await closeDispute(s, { id: idOf(eu, 2) });
    const second = await closeDispute({ ...s, loaders: createLoaders(s.clients) }, { id: idOf(eu, 2) });
    expect(second.userErrors[0]!.code).toBe('DISPUTE_ALREADY_CLOSED');
    expect(eu.calls.close).toBe(1);
  });
});
