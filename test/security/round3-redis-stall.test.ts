// Security round three, with a real redis-server that stalls (SIGSTOP) at the worst moment:
//   - item 7: a webhook event is answered 200 only once it is stored; an event the stall kept from
//     being stored is answered 503, and the provider's redelivery is taken (never `duplicate`),
//     once, so no acknowledged event is lost;
//   - item 12: a close carried out at the provider while Redis stalls says the outcome is unknown,
//     and the retry with the same key answers the closed dispute without closing it twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { FakeServer } from '../../src/sandbox/fake-server.js';
import { connectRedis, type RedisState } from '../../src/state/redis.js';
import { postWebhook } from '../helpers/events.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { gql, probeGateway, type ProbeGateway } from './helpers.js';

const LEASE_MS = 1_500;

describe('security round three: a redis-server that stalls', () => {
  let sandbox: Sandbox;
  let redis: RedisServer;
  let shared: RedisState;
  let probe: ProbeGateway;
  const server = (name: string) => (sandbox.fakes.find((f) => f.name === name)!.fake as unknown as { server: FakeServer }).server;
  const origin = () => probe.gateway.url.replace(/\/graphql$/, '');
  /** Stalls Redis for `ms` the moment a provider request matching `match` arrives (once). */
  const stallOn = (name: string, match: (path: string, method: string) => boolean, ms: number) => {
    let stalled: Promise<void> | null = null;
    server(name).injectFault({
      times: 1,
      match: (req) => {
        if (stalled || !match(req.path, req.method)) return false;
        redis.pause();
        stalled = new Promise((r) => setTimeout(r, ms)).then(() => redis.resume());
        return false;
      },
    });
    return () => stalled;
  };

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandbox(47, { count: 20, only: ['STRIPE', 'AFTERPAY'] });
    const logger = createLogger({ level: 'error', write: () => {} });
    shared = connectRedis(
      { url: redis.url, commandTimeoutMs: 300 },
      { logger, retention: { maxAgeMs: 3600_000, maxEvents: 10_000 }, uploadBytesPerHour: 1 << 20 },
    );
    for (let i = 0; i < 50 && !shared.healthy(); i++) await new Promise((r) => setTimeout(r, 20));
    probe = await probeGateway(sandbox, { state: shared.state, webhookClaimLeaseMs: LEASE_MS });
  }, 60_000);

  afterAll(async () => {
    redis?.resume();
    await probe?.gateway.close();
    await shared?.close();
    await sandbox?.close();
    await redis?.stop();
  });

  it('item 7: an event the stall kept from being stored is answered 503, and its redelivery is taken once', async () => {
    const [target] = (await gql(probe.gateway.url, null, '{ disputes(first: 1, filter: { provider: AFTERPAY }) { nodes { providerDisputeId } } }')).body.data
      .disputes.nodes;
    const id = target.providerDisputeId as string;
    const notice = { dispute_id: id, webhook_event_type: 'updated', event_id: 'apev_stalled_1' };
    const send = () => postWebhook(origin(), 'AFTERPAY', notice, sandbox.env.AFTERPAY_WEBHOOK_SECRET!, { url: sandbox.env.AFTERPAY_WEBHOOK_URL });
    // The event is claimed, then its dispute is read from Afterpay: Redis stalls right then, so
    // the event cannot be stored, nor its claim given back.
    const stalled = stallOn('AFTERPAY', (path, method) => method === 'GET' && path === `/v2/disputes/${id}`, 1_000);
    const first = await send();
    expect(first.status).toBe(503);
    await stalled();

    // Redeliveries: refused while the lapsed claim is still held, taken once it lapses; never a 200 `duplicate`.
    const answers: { status: number; text: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await send();
      answers.push(r);
      if (r.status === 200) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const taken = answers.at(-1)!;
    expect(taken.status).toBe(200);
    expect(JSON.parse(taken.text)).toEqual({ received: true, duplicate: false });
    expect(answers.slice(0, -1).every((a) => a.status === 503)).toBe(true);
    expect(JSON.parse((await send()).text).duplicate).toBe(true);

    const history = await gql(probe.gateway.url, null, '{ disputeEvents(first: 100, filter: { providers: [AFTERPAY] }) { nodes { providerEventId } } }');
    expect(history.body.data.disputeEvents.nodes.filter((n: { providerEventId: string }) => n.providerEventId === 'apev_stalled_1')).toHaveLength(1);
  });

  it('item 7: of a burst of signed events with a stall in the middle, every one answered 200 is in the history, and the rest are taken on redelivery', async () => {
    const list = await gql(probe.gateway.url, null, '{ disputes(first: 20, filter: { provider: STRIPE }) { nodes { providerDisputeId } } }');
    const ids: string[] = list.body.data.disputes.nodes.map((n: { providerDisputeId: string }) => n.providerDisputeId);
    const stripe = server('STRIPE');
    const disputeOf = async (id: string) =>
      (await fetch(`${sandbox.env.STRIPE_API_BASE}/v1/disputes/${id}`, { headers: { authorization: `Bearer ${sandbox.env.STRIPE_SECRET_KEY}` } })).json();
    const bodies = await Promise.all(ids.map(disputeOf));
    expect(stripe).toBeDefined();
    const events = Array.from({ length: 200 }, (_, i) => ({
      id: `evt_burst_${i}`,
      object: 'event',
      type: 'charge.dispute.updated',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      data: { object: bodies[i % bodies.length] },
    }));
    const send = (e: (typeof events)[number]) => postWebhook(origin(), 'STRIPE', e, sandbox.env.STRIPE_WEBHOOK_SECRET!);
    const statuses = new Map<string, number>();
    let resumed: Promise<void> | null = null;
    for (let i = 0; i < events.length; i += 10) {
      if (i === 60) {
        redis.pause();
        resumed = new Promise((r) => setTimeout(r, 800)).then(() => redis.resume());
      }
      const batch = events.slice(i, i + 10);
      const answers = await Promise.all(batch.map(send));
      batch.forEach((e, j) => statuses.set(e.id, answers[j]!.status));
    }
    await resumed;
    const refused = [...statuses].filter(([, s]) => s !== 200).map(([id]) => id);
    expect(refused.length).toBeGreaterThan(0);
    expect([...statuses.values()].every((s) => s === 200 || s === 503)).toBe(true);

    const stored = async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const r: any = await gql(
          probe.gateway.url,
          null,
          `{ disputeEvents(first: 100, filter: { providers: [STRIPE] }${after ? `, after: "${after}"` : ''}) { nodes { providerEventId } pageInfo { hasNextPage endCursor } } }`,
        );
        seen.push(...r.body.data.disputeEvents.nodes.map((n: { providerEventId: string }) => n.providerEventId));
        if (!r.body.data.disputeEvents.pageInfo.hasNextPage) return seen.filter((id) => id.startsWith('evt_burst_'));
        after = r.body.data.disputeEvents.pageInfo.endCursor;
      }
    };
    // Every acknowledged event is stored.
    const before = new Set(await stored());
    for (const [id, s] of statuses) if (s === 200) expect(before.has(id), id).toBe(true);

    // The provider redelivers what was refused, until it is taken; none is answered as a duplicate.
    for (const id of refused) {
      const e = events.find((x) => x.id === id)!;
      let r = await send(e);
      for (let i = 0; i < 40 && r.status !== 200; i++) {
        await new Promise((res) => setTimeout(res, 100));
        r = await send(e);
      }
      expect(r.status, id).toBe(200);
      const body = JSON.parse(r.text);
      if (body.duplicate) expect(before.has(id), `${id} answered duplicate but not stored`).toBe(true);
    }
    const after = await stored();
    expect(after.length).toBeGreaterThanOrEqual(200);
    expect(new Set(after).size).toBe(200);
  }, 60_000);

  it('item 12: a close carried out while Redis stalls says the outcome is unknown, and the retry answers without a second close', async () => {
    const list = await gql(
      probe.gateway.url,
      null,
      '{ disputes(first: 20, filter: { provider: STRIPE, status: [NEEDS_RESPONSE] }) { nodes { id providerDisputeId } } }',
    );
    const target = list.body.data.disputes.nodes[0];
    const path = `/v1/disputes/${target.providerDisputeId}/close`;
    const posts = () => server('STRIPE').requests.filter((r) => r.method === 'POST' && r.path === path);
    const closes = () => new Set(posts().map((r) => r.headers['idempotency-key'])).size;
    const CLOSE = 'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "stall-close" }) { dispute { status } userErrors { code } } }';

    // The key is claimed, the close reaches Stripe, and Redis stalls before its result is written.
    const stalled = stallOn('STRIPE', (p, method) => method === 'POST' && p === path, 1_000);
    const first = await gql(probe.gateway.url, null, CLOSE, { id: target.id });
    expect(first.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(first.body.errors[0].message).toContain('outcome is unknown');
    expect(first.body.errors[0].message).not.toContain('nothing was sent');
    expect(closes()).toBe(1);
    await stalled();

    let retry = await gql(probe.gateway.url, null, CLOSE, { id: target.id });
    // The first attempt's lease may still hold the key: the retry is told to wait, then answers.
    for (let i = 0; i < 40 && retry.body.errors; i++) {
      await new Promise((r) => setTimeout(r, 200));
      retry = await gql(probe.gateway.url, null, CLOSE, { id: target.id });
    }
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data.closeDispute).toEqual({ dispute: { status: 'LOST' }, userErrors: [] });
    expect(closes()).toBe(1);
  }, 30_000);
});
