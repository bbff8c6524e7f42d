// Events end to end through the real server: providers' signed webhooks (the sandbox's fakes send
// them, or the test posts them) reach SSE and graphql-ws subscribers once each, filtered by key,
// replayable with `after`; the gateway's own changes are published at once and the provider's
// echo of them is not published again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv, secretsOf } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';
import WebSocket from 'ws';
import { postWebhook, sseSubscribe, wsSubscribe } from '../helpers/events.js';

const ALL = 'gk_events_all_7c1e5a9f3b2d4068aa';
const STRIPE_ONLY = 'gk_events_stripe_2d8f6b0e4a1c39';
const REVOKED = 'gk_events_revoked_5b3a7c9e1f0d24';

const EVENT_FIELDS = `id cursor type provider account providerEventId occurredAt receivedAt dispute { id providerDisputeId status evidenceDetails { submissionCount } }`;
const SUBSCRIPTION = `subscription Events($filter: DisputeEventFilter, $after: String) { disputeEvents(filter: $filter, after: $after) { ${EVENT_FIELDS} } }`;

let sandbox: Sandbox;
let gateway: Gateway;
let origin: string;
let logs: string[];

const keys = (names: string[]) =>
  KeyStore.parse(
    JSON.stringify(
      [
        { name: 'all', key: `sha256:${sha256(ALL).toString('hex')}`, scopes: ['disputes:read', 'disputes:write', 'evidence:write'] },
        { name: 'stripe-only', key: `sha256:${sha256(STRIPE_ONLY).toString('hex')}`, scopes: ['disputes:read'], providers: ['STRIPE'] },
        { name: 'revoked', key: `sha256:${sha256(REVOKED).toString('hex')}`, scopes: ['disputes:read'] },
      ].filter((k) => names.includes(k.name)),
    ),
    'test keys',
    { perSecond: 1000, burst: 1000 },
  );

async function gql(query: string, variables: Record<string, unknown> = {}, key = ALL) {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
}

const env = () => sandbox.env;
const fake = (name: string) => sandbox.fakes.find((f) => f.name === name)!.fake;

/** A Stripe dispute as the Stripe fake serves it (the body of an event's data.object). */
async function stripeDispute(index: number): Promise<Record<string, any>> {
  const id = fake('STRIPE').ordered()[index]!;
  const res = await fetch(`${env().STRIPE_API_BASE}/v1/disputes/${id}`, { headers: { authorization: `Bearer ${env().STRIPE_SECRET_KEY}` } });
  return (await res.json()) as Record<string, any>;
}

async function flexDispute(index: number): Promise<Record<string, any>> {
  const id = fake('FLEX').ordered()[index]!;
  const res = await fetch(`${env().FLEX_API_BASE}/v1/disputes/${id}`, { headers: { authorization: `Bearer ${env().FLEX_API_KEY}` } });
  return ((await res.json()) as { dispute: Record<string, any> }).dispute;
}

let n = 0;
const stripeEvent = (type: string, object: unknown, extra: Record<string, unknown> = {}) => ({
  id: `evt_test${Date.now()}${(n += 1)}`,
  object: 'event',
  type,
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  data: { object },
  request: { id: null, idempotency_key: null },
  ...extra,
});

beforeAll(async () => {
  sandbox = await startSandbox(42, { count: 40 });
  const providers = providersFromEnv(sandbox.env);
  logs = [];
  gateway = await startGateway({
    providers,
    port: 0,
    logger: createLogger({ level: 'debug', secrets: [...secretsOf(providers), ALL, STRIPE_ONLY, REVOKED], write: (l) => logs.push(l) }),
    auth: { mode: 'keys', store: keys(['all', 'stripe-only', 'revoked']) },
    subscriberBuffer: 50,
    webhookRateLimit: 10_000,
  });
  origin = new URL(gateway.url).origin;
  sandbox.connect(origin);
});

afterAll(async () => {
  await gateway?.close(1_000);
  await sandbox?.close();
});

describe('a signed provider event', () => {
  it('reaches an SSE subscriber and a graphql-ws subscriber, once each, carrying the dispute', async () => {
    const sse = await sseSubscribe(gateway.url, SUBSCRIPTION, { filter: { providers: ['STRIPE'] } }, ALL);
    const ws = await wsSubscribe(gateway.url, SUBSCRIPTION, { filter: { providers: ['STRIPE'] } }, ALL);
    const object = await stripeDispute(3);
    const event = stripeEvent('charge.dispute.created', object);
    const posted = await postWebhook(origin, 'STRIPE', event, env().STRIPE_WEBHOOK_SECRET!);
    expect(posted.status).toBe(200);
    // A redelivery of the same event is acknowledged and not published again.
    const again = await postWebhook(origin, 'STRIPE', event, env().STRIPE_WEBHOOK_SECRET!);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.text)).toMatchObject({ duplicate: true });
    await sse.waitFor(1);
    await ws.waitFor(1);
    for (const sub of [sse, ws]) {
      const e = sub.payloads[0]!.data.disputeEvents;
      expect(e).toMatchObject({
        type: 'CREATED',
        provider: 'STRIPE',
        account: 'default',
        providerEventId: event.id,
        dispute: { providerDisputeId: object.id },
      });
      expect(new Date(e.occurredAt).getTime()).toBe(event.created * 1000);
    }
    // A second, different event follows, and nothing else came in between.
    const second = stripeEvent('charge.dispute.funds_withdrawn', object);
    expect((await postWebhook(origin, 'STRIPE', second, env().STRIPE_WEBHOOK_SECRET!)).status).toBe(200);
    await sse.waitFor(2);
    await ws.waitFor(2);
    expect(sse.payloads.map((p) => p.data.disputeEvents.providerEventId)).toEqual([event.id, second.id]);
    expect(ws.payloads.map((p) => p.data.disputeEvents.providerEventId)).toEqual([event.id, second.id]);
    sse.close();
    ws.close();
  });

  it('a bad signature, a stale one and a tampered body get 400, publish nothing, and log one warning without the body', async () => {
    const sse = await sseSubscribe(gateway.url, SUBSCRIPTION, {}, ALL);
    const object = await stripeDispute(4);
    const marker = 'tampered-marker-text-9f2c';
    const event = stripeEvent('charge.dispute.updated', { ...object, metadata: { note: marker } });
    const before = logs.length;
    const wrong = await postWebhook(origin, 'STRIPE', event, 'whsec_notTheSecretAtAll000000');
    const stale = await postWebhook(origin, 'STRIPE', event, env().STRIPE_WEBHOOK_SECRET!, { timestampS: Math.floor(Date.now() / 1000) - 600 });
    const tampered = await postWebhook(origin, 'STRIPE', event, env().STRIPE_WEBHOOK_SECRET!, { tamper: true });
    const unsigned = await fetch(`${origin}/webhooks/stripe`, { method: 'POST', body: JSON.stringify(event) });
    expect([wrong.status, stale.status, tampered.status, unsigned.status]).toEqual([400, 400, 400, 400]);
    expect(JSON.parse(stale.text).errors[0].extensions.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    // Refusals are summed up: the first at once, the rest in one line at the end of the interval.
    const lines = logs.slice(before).filter((l) => l.includes('webhook refused'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).refused).toEqual({ bad_signature: 1 });
    expect(logs.slice(before).join('\n')).not.toContain(marker);
    // Nothing was published: the next event the subscriber sees is a later, valid one.
    const valid = stripeEvent('charge.dispute.updated', object);
    await postWebhook(origin, 'STRIPE', valid, env().STRIPE_WEBHOOK_SECRET!);
    await sse.waitFor(1);
    expect(sse.payloads.map((p) => p.data.disputeEvents.providerEventId)).toEqual([valid.id]);
    sse.close();
  });

  it('an endpoint without a secret (or an account not configured) is a 404; GET is a 405', async () => {
    expect((await fetch(`${origin}/webhooks/stripe/eu`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${origin}/webhooks/paypal`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${origin}/webhooks/stripe`)).status).toBe(405);
  });

  it('a body over the webhook limit is refused with 413 before it is verified', async () => {
    const res = await fetch(`${origin}/webhooks/stripe`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
  });
});

describe('who sees what', () => {
  it('a key limited to Stripe never receives a Flex event', async () => {
    const limited = await sseSubscribe(gateway.url, SUBSCRIPTION, {}, STRIPE_ONLY);
    const everything = await sseSubscribe(gateway.url, SUBSCRIPTION, {}, ALL);
    const flex = await flexDispute(2);
    const flexEvent = { event_dt: Math.floor(Date.now() / 1000), event_id: `fevt_${Date.now()}`, event_type: 'charge.dispute.updated', object: flex };
    expect((await postWebhook(origin, 'FLEX', flexEvent, env().FLEX_WEBHOOK_SECRET!)).status).toBe(200);
    const stripe = stripeEvent('charge.dispute.updated', await stripeDispute(5));
    expect((await postWebhook(origin, 'STRIPE', stripe, env().STRIPE_WEBHOOK_SECRET!)).status).toBe(200);
    await everything.waitFor(2);
    await limited.waitFor(1);
    expect(everything.payloads.map((p) => p.data.disputeEvents.provider)).toEqual(['FLEX', 'STRIPE']);
    expect(limited.payloads.map((p) => p.data.disputeEvents.provider)).toEqual(['STRIPE']);
    // The history is filtered the same way.
    const listed = await gql(`{ disputeEvents(first: 100) { nodes { provider } } }`, {}, STRIPE_ONLY);
    expect(new Set(listed.data.disputeEvents.nodes.map((e: { provider: string }) => e.provider))).toEqual(new Set(['STRIPE']));
    limited.close();
    everything.close();
  });

  it('a subscription without a key is refused, over SSE and WebSocket', async () => {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIPTION }),
    });
    expect(res.status).toBe(401);
    await expect(wsSubscribe(gateway.url, SUBSCRIPTION, {})).rejects.toThrow(/closed: 4403/);
    await expect(wsSubscribe(gateway.url, SUBSCRIPTION, {}, 'gk_not_a_key_at_all_000000000')).rejects.toThrow(/closed: 4403/);
    // A wrong key on the upgrade itself is refused before the WebSocket opens.
    const refusedWith = (headers: Record<string, string>, path = '/graphql') =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${origin.replace('http', 'ws')}${path}`, 'graphql-transport-ws', { headers });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('open', () => reject(new Error('opened')));
        socket.on('error', () => {});
      });
    expect(await refusedWith({ authorization: 'Bearer gk_wrong_0000000000000000000' })).toBe(401);
    expect(await refusedWith({ authorization: `Bearer ${ALL}`, origin: 'https://evil.example' })).toBe(403);
    expect(await refusedWith({ authorization: `Bearer ${ALL}` }, '/other')).toBe(404);
  });

  it('a revoked key ends its subscription', async () => {
    const sub = await sseSubscribe(gateway.url, SUBSCRIPTION, {}, REVOKED);
    gateway.reloadKeys(keys(['all', 'stripe-only']));
    try {
      await sub.waitFor(1, 5_000);
      expect(sub.payloads[0]!.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      await expect.poll(() => sub.ended()).toBe(true);
    } finally {
      gateway.reloadKeys(keys(['all', 'stripe-only', 'revoked']));
      sub.close();
    }
  });
});

describe('catching up', () => {
  it('a reconnect with `after` receives exactly the events it missed, then live ones', async () => {
    const first = await sseSubscribe(gateway.url, SUBSCRIPTION, { filter: { providers: ['STRIPE'] } }, ALL);
    const a = stripeEvent('charge.dispute.updated', await stripeDispute(6));
    await postWebhook(origin, 'STRIPE', a, env().STRIPE_WEBHOOK_SECRET!);
    await first.waitFor(1);
    const cursor = first.payloads[0]!.data.disputeEvents.cursor;
    first.close();
    // Missed while disconnected: two Stripe events and one Flex event (filtered out).
    const b = stripeEvent('charge.dispute.updated', await stripeDispute(7));
    const c = stripeEvent('charge.dispute.updated', await stripeDispute(8));
    await postWebhook(origin, 'STRIPE', b, env().STRIPE_WEBHOOK_SECRET!);
    await postWebhook(
      origin,
      'FLEX',
      { event_dt: Math.floor(Date.now() / 1000), event_id: `fevt_x${Date.now()}`, event_type: 'charge.dispute.updated', object: await flexDispute(3) },
      env().FLEX_WEBHOOK_SECRET!,
    );
    await postWebhook(origin, 'STRIPE', c, env().STRIPE_WEBHOOK_SECRET!);
    await gateway.services.events.settled();
    const again = await sseSubscribe(gateway.url, SUBSCRIPTION, { filter: { providers: ['STRIPE'] }, after: cursor }, ALL);
    await again.waitFor(2);
    const d = stripeEvent('charge.dispute.updated', await stripeDispute(9));
    await postWebhook(origin, 'STRIPE', d, env().STRIPE_WEBHOOK_SECRET!);
    await again.waitFor(3);
    expect(again.payloads.map((p) => p.data.disputeEvents.providerEventId)).toEqual([b.id, c.id, d.id]);
    // The connection pages the same history, newest first; node() finds an event by its id.
    const page = await gql(
      `query($after: String) { disputeEvents(first: 3, after: $after, filter: { providers: [STRIPE] }) { nodes { id providerEventId } pageInfo { hasNextPage } } }`,
    );
    expect(page.data.disputeEvents.nodes.map((e: { providerEventId: string }) => e.providerEventId)).toEqual([d.id, c.id, b.id]);
    const node = await gql(`query($id: ID!) { node(id: $id) { ... on DisputeEvent { providerEventId type } } }`, { id: page.data.disputeEvents.nodes[0].id });
    expect(node.data.node).toEqual({ providerEventId: d.id, type: 'UPDATED' });
    again.close();
  });
});

describe("ordering and the gateway's own changes", () => {
  it('an event older than one already published carries the newer state', async () => {
    const sub = await sseSubscribe(gateway.url, SUBSCRIPTION, { filter: { providers: ['STRIPE'] } }, ALL);
    const object = await stripeDispute(10);
    const now = Math.floor(Date.now() / 1000);
    const newer = stripeEvent('charge.dispute.updated', { ...object, status: 'under_review' }, { created: now });
    const older = stripeEvent('charge.dispute.created', { ...object, status: 'needs_response' }, { created: now - 60 });
    await postWebhook(origin, 'STRIPE', newer, env().STRIPE_WEBHOOK_SECRET!);
    await postWebhook(origin, 'STRIPE', older, env().STRIPE_WEBHOOK_SECRET!);
    await sub.waitFor(2);
    const [first, second] = sub.payloads.map((p) => p.data.disputeEvents);
    expect([first.type, second.type]).toEqual(['UPDATED', 'CREATED']);
    expect(second.dispute.status).toBe('UNDER_REVIEW');
    expect(new Date(second.occurredAt).getTime()).toBe((now - 60) * 1000);
    sub.close();
  });

  for (const provider of ['STRIPE', 'FLEX'] as const) {
    it(`a close through the gateway is published at once, and ${provider}'s webhook for it is not published again`, async () => {
      const sub = await sseSubscribe(gateway.url, SUBSCRIPTION, { filter: { providers: [provider] } }, ALL);
      const list = await gql(
        `query($p: DisputeProvider!) { disputes(first: 50, filter: { provider: $p, status: [NEEDS_RESPONSE] }) { nodes { id providerDisputeId } } }`,
        { p: provider },
      );
      const target = list.data.disputes.nodes[0];
      const closed = await gql(
        `mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "close-${provider}" }) { dispute { status } userErrors { code } } }`,
        { id: target.id },
      );
      expect(closed.data.closeDispute.userErrors).toEqual([]);
      await sub.waitFor(1);
      // The fake's own webhook for the close arrives, is acknowledged, and is recognised as the same change.
      await fake(provider).webhooks!.settle();
      await gateway.services.events.settled();
      expect(fake(provider).webhooks!.attempts.at(-1)!.status).toBe(200);
      // A later, different event proves the stream moved on with nothing in between.
      const marker =
        provider === 'STRIPE'
          ? await postWebhook(origin, 'STRIPE', stripeEvent('charge.dispute.updated', await stripeDispute(11)), env().STRIPE_WEBHOOK_SECRET!)
          : await postWebhook(
              origin,
              'FLEX',
              { event_dt: Math.floor(Date.now() / 1000), event_id: `fevt_m${Date.now()}`, event_type: 'charge.dispute.updated', object: await flexDispute(5) },
              env().FLEX_WEBHOOK_SECRET!,
            );
      expect(marker.status).toBe(200);
      await sub.waitFor(2);
      const events = sub.payloads.map((p) => p.data.disputeEvents);
      expect(events[0]).toMatchObject({ type: 'CLOSED', dispute: { providerDisputeId: target.providerDisputeId, status: 'LOST' } });
      expect(events[0].providerEventId).toMatch(/^gw_/);
      expect(events[1].dispute.providerDisputeId).not.toBe(target.providerDisputeId);
      sub.close();
    });
  }

  it("an Afterpay submission is published at once; Afterpay's notice (an id only, the state fetched) is the same change", async () => {
    const sub = await sseSubscribe(gateway.url, SUBSCRIPTION, { filter: { providers: ['AFTERPAY'] } }, ALL);
    const list = await gql(`{ disputes(first: 50, filter: { provider: AFTERPAY, status: [NEEDS_RESPONSE] }) { nodes { id providerDisputeId } } }`);
    const target = list.data.disputes.nodes[0];
    const submitted = await gql(
      `mutation($id: ID!) { updateDisputeEvidence(input: { id: $id, evidence: { productDescription: "Kettle" }, submit: true, idempotencyKey: "ap-submit" }) { dispute { status } userErrors { code } } }`,
      { id: target.id },
    );
    expect(submitted.data.updateDisputeEvidence.userErrors).toEqual([]);
    await sub.waitFor(1);
    await fake('AFTERPAY').webhooks!.settle();
    await gateway.services.events.settled();
    expect(fake('AFTERPAY').webhooks!.attempts.at(-1)!.status).toBe(200);
    // Another dispute's notice: fetched after the acknowledgement, published with its state.
    const other = list.data.disputes.nodes[1];
    const notice = await postWebhook(
      origin,
      'AFTERPAY',
      { dispute_id: other.providerDisputeId, webhook_event_type: 'created' },
      env().AFTERPAY_WEBHOOK_SECRET!,
      { url: env().AFTERPAY_WEBHOOK_URL },
    );
    expect(notice.status).toBe(200);
    await sub.waitFor(2);
    const events = sub.payloads.map((p) => p.data.disputeEvents);
    expect(events[0]).toMatchObject({ type: 'EVIDENCE_SUBMITTED', dispute: { providerDisputeId: target.providerDisputeId, status: 'UNDER_REVIEW' } });
    expect(events[1]).toMatchObject({ type: 'CREATED', dispute: { providerDisputeId: other.providerDisputeId } });
    sub.close();
  });
});

describe('bounds', () => {
  it('a storm of valid events does not stop queries from answering', async () => {
    const object = await stripeDispute(13);
    const queries: Promise<{ data?: any; errors?: any[] }>[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const posts = Array.from({ length: 100 }, () =>
        postWebhook(origin, 'STRIPE', stripeEvent('charge.dispute.updated', object), env().STRIPE_WEBHOOK_SECRET!),
      );
      queries.push(gql(`{ disputes(first: 5) { nodes { id } } }`));
      for (const r of await Promise.all(posts)) expect(r.status).toBe(200);
    }
    for (const q of await Promise.all(queries)) expect(q.data.disputes.nodes).toHaveLength(5);
    await gateway.services.events.settled();
  }, 60_000);

  it('a subscriber that stops reading is ended once it is 50 events behind, and memory stays flat', async () => {
    // A raw SSE request whose response is never read: the socket's buffers fill, then the gateway's.
    const { request } = await import('node:http');
    const u = new URL(gateway.url);
    const body = JSON.stringify({ query: `subscription { disputeEvents { ${EVENT_FIELDS} dispute { evidence { productDescription uncategorizedText } } } }` });
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${ALL}` },
    });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) => {
      req.on('response', resolve);
      req.end(body);
    });
    res.pause();
    res.socket.pause();
    expect(gateway.services.events.subscribers).toBe(1);
    const big = await stripeDispute(12);
    big.evidence = { ...big.evidence, uncategorized_text: 'x'.repeat(20_000) };
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    // Events until the slow subscriber is ended (bounded: at most 2,000).
    let sent = 0;
    while (sent < 2_000 && gateway.services.events.subscribers > 0) {
      const batch = Array.from({ length: 50 }, () => postWebhook(origin, 'STRIPE', stripeEvent('charge.dispute.updated', big), env().STRIPE_WEBHOOK_SECRET!));
      for (const r of await Promise.all(batch)) expect(r.status).toBe(200);
      sent += 50;
      await gateway.services.events.settled();
    }
    expect(gateway.services.events.subscribers).toBe(0);
    global.gc?.();
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    // The history keeps its events (bounded by its own retention); the subscriber's buffer is gone.
    expect(grownMiB).toBeLessThan(200);
    res.destroy();
    req.destroy();
  }, 60_000);
});
