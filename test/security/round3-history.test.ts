// Security round three, the event history (item 2): a read of `disputeEvents` touches only the
// accounts (or the one dispute) its caller may see, whether the history is in memory or on a real
// redis-server, so a key of one account cannot make the gateway decode another account's events;
// and a history read is priced by the cost estimator. Work is measured in entries decoded, not time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { encodeDisputeId } from '../../src/domain/ids.js';
import type { EventLog } from '../../src/events/log.js';
import { DEFAULT_LIMITS } from '../../src/graphql/limits.js';
import { createLogger } from '../../src/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { connectRedis, type RedisState } from '../../src/state/redis.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { gql, probeGateway, type ProbeGateway } from './helpers.js';

const STRIPE_KEY = 'gk_history_stripe_7c1e9a3f5b2d4086';
const FLEX_KEY = 'gk_history_flex_2b8d4f6a0c1e3957a';
const keys = () =>
  KeyStore.parse(
    JSON.stringify([
      { name: 'stripe-reader', key: `sha256:${sha256(STRIPE_KEY).toString('hex')}`, scopes: ['disputes:read'], providers: ['STRIPE'] },
      { name: 'flex-reader', key: `sha256:${sha256(FLEX_KEY).toString('hex')}`, scopes: ['disputes:read'], providers: ['FLEX'] },
    ]),
    'test keys',
    { perSecond: 10_000, burst: 10_000 },
  );

const FILLED = 3_000;
const DISPUTES = 30;

/** Fills the history with Stripe events only, spread over DISPUTES disputes. */
async function fill(log: EventLog): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < FILLED; i++) {
    await log.append({
      type: 'UPDATED',
      provider: 'STRIPE',
      account: 'default',
      providerEventId: `evt_fill${i}`,
      providerDisputeId: `dp_fill${i % DISPUTES}`,
      occurredAt: new Date(now),
      receivedAt: new Date(now),
      dispute: null,
    });
  }
}

/** Entries the history decoded to answer one query. */
async function work(probe: ProbeGateway, key: string, query: string): Promise<{ read: number; body: any }> {
  const log = probe.gateway.services.events.log;
  const before = log.entriesRead;
  const { body } = await gql(probe.gateway.url, key, query);
  return { read: log.entriesRead - before, body };
}

describe('security round three: history reads are bounded by what the caller may see', () => {
  let sandbox: Sandbox;
  let redis: RedisServer;
  let shared: RedisState;
  const gateways: Record<'memory' | 'redis', ProbeGateway> = {} as never;
  const logger = createLogger({ level: 'error', write: () => {} });

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandbox(41, { count: 10, only: ['STRIPE', 'FLEX'] });
    shared = connectRedis({ url: redis.url }, { logger, retention: { maxAgeMs: 3600_000, maxEvents: 10_000 }, uploadBytesPerHour: 1 << 20 });
    for (let i = 0; i < 50 && !shared.healthy(); i++) await new Promise((r) => setTimeout(r, 20));
    const auth = { mode: 'keys' as const, store: keys() };
    gateways.memory = await probeGateway(sandbox, { auth });
    gateways.redis = await probeGateway(sandbox, { auth, state: shared.state });
    await fill(gateways.memory.gateway.services.events.log);
    await fill(gateways.redis.gateway.services.events.log);
  }, 60_000);

  afterAll(async () => {
    await gateways.memory?.gateway.close();
    await gateways.redis?.gateway.close();
    await shared?.close();
    await sandbox?.close();
    await redis?.stop();
  });

  for (const kind of ['memory', 'redis'] as const) {
    it(`${kind}: a key of another provider decodes none of the ${FILLED} events it cannot see`, async () => {
      const { read, body } = await work(gateways[kind], FLEX_KEY, '{ disputeEvents(first: 1) { nodes { id } pageInfo { hasNextPage } } }');
      expect(body.errors).toBeUndefined();
      expect(body.data.disputeEvents).toEqual({ nodes: [], pageInfo: { hasNextPage: false } });
      expect(read).toBe(0);
    });

    it(`${kind}: a page reads about its own size, and one dispute's events read only that dispute's`, async () => {
      const page = await work(gateways[kind], STRIPE_KEY, '{ disputeEvents(first: 10) { nodes { id } pageInfo { hasNextPage } } }');
      expect(page.body.data.disputeEvents.nodes).toHaveLength(10);
      expect(page.body.data.disputeEvents.pageInfo.hasNextPage).toBe(true);
      expect(page.read).toBeLessThanOrEqual(11);

      const id = encodeDisputeId({ provider: 'STRIPE', account: 'default', providerDisputeId: 'dp_fill7' });
      const one = await work(
        gateways[kind],
        STRIPE_KEY,
        `{ disputeEvents(first: 100, filter: { disputeId: "${id}" }) { nodes { id } pageInfo { hasNextPage } } }`,
      );
      expect(one.body.errors).toBeUndefined();
      expect(one.body.data.disputeEvents.nodes).toHaveLength(FILLED / DISPUTES);
      expect(one.body.data.disputeEvents.pageInfo.hasNextPage).toBe(false);
      expect(one.read).toBe(FILLED / DISPUTES);

      // The flex key may not read Stripe's dispute: nothing is decoded for it either.
      const foreign = await work(gateways[kind], FLEX_KEY, `{ disputeEvents(first: 100, filter: { disputeId: "${id}" }) { nodes { id } } }`);
      expect(foreign.body.data.disputeEvents.nodes).toEqual([]);
      expect(foreign.read).toBe(0);
    });
  }

  it('both logs answer the same pages with the same work, page after page', async () => {
    const walk = async (probe: ProbeGateway) => {
      let after: string | null = null;
      const ids: string[] = [];
      let read = 0;
      for (let i = 0; i < 5; i++) {
        const r: { read: number; body: any } = await work(
          probe,
          STRIPE_KEY,
          `{ disputeEvents(first: 50${after ? `, after: "${after}"` : ''}) { nodes { id } pageInfo { endCursor } } }`,
        );
        expect(r.body.errors).toBeUndefined();
        ids.push(...r.body.data.disputeEvents.nodes.map((n: { id: string }) => n.id));
        after = r.body.data.disputeEvents.pageInfo.endCursor;
        read += r.read;
      }
      return { ids, read };
    };
    const memory = await walk(gateways.memory);
    const onRedis = await walk(gateways.redis);
    expect(onRedis.ids).toEqual(memory.ids);
    expect(new Set(memory.ids).size).toBe(250);
    expect(memory.read).toBeLessThanOrEqual(5 * 51);
    expect(onRedis.read).toBeLessThanOrEqual(5 * 51);
  });

  it('redis: positions stay distinct and increasing when the clock is behind the history', async () => {
    // The history's last id is a minute ahead (the Redis clock stepped back): new events must still
    // get positions after it, each its own, where `*` ids would pile up in that millisecond.
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    try {
      await raw.xadd('dg:{ev}:seq', `${Date.now() + 60_000}-997`, 'a', 'STRIPE:other', 'd', 'STRIPE:other:dp_x', 'k', 'dg:{ev}:id:none');
    } finally {
      raw.disconnect();
    }
    const log = gateways.redis.gateway.services.events.log;
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const e = await log.append({
        type: 'UPDATED',
        provider: 'STRIPE',
        account: 'default',
        providerEventId: `evt_skew${i}`,
        providerDisputeId: 'dp_skew',
        occurredAt: new Date(),
        receivedAt: new Date(),
        dispute: null,
      });
      seqs.push(e.seq);
    }
    expect(new Set(seqs).size).toBe(5);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const id = encodeDisputeId({ provider: 'STRIPE', account: 'default', providerDisputeId: 'dp_skew' });
    const { body } = await gql(
      gateways.redis.gateway.url,
      STRIPE_KEY,
      `{ disputeEvents(first: 2, filter: { disputeId: "${id}" }) { nodes { providerEventId } pageInfo { endCursor } } }`,
    );
    expect(body.data.disputeEvents.nodes.map((n: { providerEventId: string }) => n.providerEventId)).toEqual(['evt_skew4', 'evt_skew3']);
    const next = await gql(
      gateways.redis.gateway.url,
      STRIPE_KEY,
      `{ disputeEvents(first: 5, after: "${body.data.disputeEvents.pageInfo.endCursor}", filter: { disputeId: "${id}" }) { nodes { providerEventId } } }`,
    );
    expect(next.body.data.disputeEvents.nodes.map((n: { providerEventId: string }) => n.providerEventId)).toEqual(['evt_skew2', 'evt_skew1', 'evt_skew0']);
  });

  it('a history read has a price in the cost estimator', async () => {
    const tight = await probeGateway(sandbox, { auth: { mode: 'keys', store: keys() }, limits: { ...DEFAULT_LIMITS, maxCost: 1_000 } });
    try {
      const aliases = Array.from({ length: 30 }, (_, i) => `e${i}: disputeEvents(first: 1) { nodes { id } }`).join(' ');
      const { body } = await gql(tight.gateway.url, STRIPE_KEY, `{ ${aliases} }`);
      expect(body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      const one = await gql(tight.gateway.url, STRIPE_KEY, '{ disputeEvents(first: 1) { nodes { id } } }');
      expect(one.body.errors).toBeUndefined();
    } finally {
      await tight.gateway.close();
    }
  });
});
