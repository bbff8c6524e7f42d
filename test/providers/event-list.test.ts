// The providers' event lists, which the dispute index replays: Stripe's GET /v1/events through its
// client against its fake over loopback (newest first, paged, filtered by time, each event carrying
// the dispute as it then was, a change whose webhook was missed included), the fake's switches as
// the sandbox hands them out, and WooshPay's unconfirmed list read both ways: absent (its fake's
// 404 by default) and offered.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispute } from '../../src/domain/dispute.js';
import { ProviderError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/logger.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { stripe } from '../../src/providers/stripe/index.js';
import type { DisputeProviderClient, ProviderEvent } from '../../src/providers/types.js';
import { WooshPayFake } from '../../src/providers/wooshpay/fake/server.js';
import { seedWooshPayDisputes } from '../../src/providers/wooshpay/fake/seed.js';
import { wooshpay } from '../../src/providers/wooshpay/index.js';
import { sandboxProviderOf } from '../../src/sandbox/registry.js';
import { freshDispute, seedStripeDisputes } from '../../src/sandbox/stripe-shape/seed.js';
import { StripeFake } from '../../src/sandbox/stripe-shape/server.js';
import { signStripeScheme } from '../../src/sandbox/stripe-shape/sign.js';
import type { ProviderFake } from '../../src/sandbox/types.js';
import { fakeWebhookSecret, FakeWebhookSender } from '../../src/sandbox/webhooks.js';

const KEY = 'sk_test_eventList00000000000000000';
const DISPUTE_TYPES = [
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
];

let agent: Agent;
beforeAll(() => {
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
});

/** Every event, page by page (`limit` each) from the newest, with each page's hasMore. */
async function walk(client: DisputeProviderClient, limit: number, createdGte?: Date) {
  const events: ProviderEvent[] = [];
  const pages: { size: number; hasMore: boolean }[] = [];
  let startingAfter: string | undefined;
  for (let calls = 0; calls < 50; calls++) {
    const page = await client.listEvents!({ limit, startingAfter, createdGte });
    events.push(...page.events);
    pages.push({ size: page.events.length, hasMore: page.hasMore });
    if (!page.hasMore) return { events, pages };
    startingAfter = page.events.at(-1)!.id;
  }
  throw new Error('did not finish');
}

/** A loopback endpoint that takes every webhook and keeps the event ids it was sent. */
async function webhookSink(): Promise<{ url: string; ids: string[]; server: Server }> {
  const ids: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      ids.push((JSON.parse(body) as { id: string }).id);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`, ids, server };
}

describe('Stripe: GET /v1/events through the client', () => {
  let fake: StripeFake;
  let client: DisputeProviderClient;
  let sink: Awaited<ReturnType<typeof webhookSink>>;
  let webhooks: FakeWebhookSender;
  /** The fake's clock: every change a minute after the one before. */
  let clock = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  /** What the test changed, oldest first: the event type, the dispute, a retrieve of it just after, when. */
  const changes: { type: string; id: string; then: Dispute; at: number }[] = [];
  let missedEventId = '';

  async function change(type: string, id: string, act: () => Promise<unknown> | unknown) {
    clock += 60_000;
    await act();
    changes.push({ type, id, then: (await client.retrieve!(id))!, at: clock });
  }

  beforeAll(async () => {
    fake = new StripeFake(KEY, seedStripeDisputes(5, 30));
    fake.now = () => clock;
    webhooks = new FakeWebhookSender(signStripeScheme, fakeWebhookSecret());
    fake.webhooks = webhooks;
    sink = await webhookSink();
    webhooks.deliverTo(sink.url);
    const url = await fake.start();
    client = stripe.create(stripe.configFromEnv({ STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: url, STRIPE_RATE_LIMIT: '0' })!, {
      dispatcher: agent,
      logger: silentLogger,
    });
    const open = fake.all().filter((d) => d.status === 'needs_response');
    const [a, b, c, d] = open.map((x) => x.id);
    expect(d).toBeDefined();
    await change('charge.dispute.updated', a!, () => client.updateEvidence!(a!, { evidence: { customerName: 'Ada' }, submit: false, idempotencyKey: 'e1' }));
    await change('charge.dispute.updated', a!, () => client.updateEvidence!(a!, { evidence: {}, submit: true, idempotencyKey: 'e2' }));
    await change('charge.dispute.closed', a!, () => fake.changeAtProvider(a!));
    await change('charge.dispute.closed', b!, () => client.close!(b!, { idempotencyKey: 'e3' }));
    await change('charge.dispute.updated', c!, () => (missedEventId = fake.changeAtProvider(c!, { webhook: false }).id));
    await change('charge.dispute.closed', c!, () => fake.changeAtProvider(c!));
    await change('charge.dispute.updated', b!, () => fake.changeAtProvider(b!));
    const fresh = freshDispute(5);
    await change('charge.dispute.created', fresh.id, () => fake.add(fresh));
    await change('charge.dispute.closed', d!, () => client.close!(d!, { idempotencyKey: 'e4' }));
    await change('charge.dispute.updated', fresh.id, () =>
      client.updateEvidence!(fresh.id, { evidence: { productDescription: 'A' }, submit: false, idempotencyKey: 'e5' }),
    );
    await change('charge.dispute.updated', fresh.id, () => fake.changeAtProvider(fresh.id));
    await webhooks.settle();
  });
  afterAll(async () => {
    webhooks.deliverTo(null);
    await fake.close();
    await new Promise((r) => sink.server.close(r));
  });

  it('lists every change newest first, the event types and disputes in the order they happened', async () => {
    const { events } = await client.listEvents!({ limit: 100 });
    const newestFirst = [...changes].reverse();
    expect(events.map((e) => [e.type, e.dispute.providerDisputeId])).toEqual(newestFirst.map((c) => [c.type, c.id]));
    expect(events.map((e) => e.occurredAt.getTime())).toEqual(newestFirst.map((c) => c.at));
    expect(new Set(events.map((e) => e.id)).size).toBe(changes.length);
    for (const e of events) expect(e.id).toMatch(/^evt_/);
  });

  it('pages with starting_after to the end: the same events, each once, hasMore on every page but the last', async () => {
    const { events: all } = await client.listEvents!({ limit: 100 });
    const { events, pages } = await walk(client, 4);
    expect(events.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(pages).toEqual([
      { size: 4, hasMore: true },
      { size: 4, hasMore: true },
      { size: 3, hasMore: false },
    ]);
  });

  it('sends the dispute event types, created[gte] in whole seconds, starting_after and limit, with its key', async () => {
    const { events } = await client.listEvents!({ limit: 2 });
    await client.listEvents!({ limit: 3, startingAfter: events[1]!.id, createdGte: new Date(changes[2]!.at + 1) });
    const sent = fake.server.requests.at(-1)!;
    expect(sent.path).toBe('/v1/events');
    expect(sent.headers.authorization).toBe(`Basic ${Buffer.from(`${KEY}:`).toString('base64')}`);
    const q = new URLSearchParams(sent.query);
    expect([...q.keys()].filter((k) => k.startsWith('types[')).map((k) => q.get(k))).toEqual(DISPUTE_TYPES);
    expect(q.get('created[gte]')).toBe(String(changes[2]!.at / 1000 + 1));
    expect(q.get('starting_after')).toBe(events[1]!.id);
    expect(q.get('limit')).toBe('3');
  });

  it.each([
    ['exactly at a change', 0],
    ['half a second before it (rounded up to its second)', -500],
  ])('filters by created[gte] %s: that change and the ones after', async (_, offsetMs) => {
    const from = 5;
    const { events } = await walk(client, 2, new Date(changes[from]!.at + offsetMs));
    expect(events.map((e) => e.occurredAt.getTime())).toEqual(
      changes
        .slice(from)
        .map((c) => c.at)
        .reverse(),
    );
  });

  it('filters out the change of that second when created[gte] is half a second after it', async () => {
    const { events } = await client.listEvents!({ limit: 100, createdGte: new Date(changes[5]!.at + 500) });
    expect(events).toHaveLength(changes.length - 6);
  });

  it('carries each dispute as a retrieve read it just after the change; the last event of each dispute is its state now', async () => {
    const { events } = await walk(client, 5);
    const oldestFirst = [...events].reverse();
    oldestFirst.forEach((e, i) => expect(e.dispute).toEqual(changes[i]!.then));
    const seen = new Set<string>();
    for (const e of events) {
      if (seen.has(e.dispute.providerDisputeId)) continue;
      seen.add(e.dispute.providerDisputeId);
      expect(e.dispute).toEqual(await client.retrieve!(e.dispute.providerDisputeId));
    }
    // The same dispute changed between its events: not one state shared by all.
    const a = oldestFirst.filter((e) => e.dispute.providerDisputeId === changes[0]!.id).map((e) => e.dispute.status);
    expect(a).toEqual(['NEEDS_RESPONSE', 'UNDER_REVIEW', 'WON']);
  });

  it('lists the change whose webhook was never sent; every other change was delivered', async () => {
    const { events } = await client.listEvents!({ limit: 100 });
    const missed = events.find((e) => e.id === missedEventId)!;
    expect(missed).toMatchObject({ type: 'charge.dispute.updated', dispute: { providerDisputeId: changes[4]!.id, status: 'UNDER_REVIEW' } });
    expect(sink.ids).not.toContain(missedEventId);
    expect([...sink.ids].sort()).toEqual(
      events
        .map((e) => e.id)
        .filter((id) => id !== missedEventId)
        .sort(),
    );
  });

  it('answers a 403 as a ProviderError with status 403, sent once', async () => {
    fake.server.injectFault({
      match: (r) => r.path === '/v1/events',
      status: 403,
      body: { error: { type: 'invalid_request_error', message: 'no' } },
      times: 1,
    });
    const before = fake.server.count('GET', /^\/v1\/events$/);
    const err = await client.listEvents!({ limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ provider: 'STRIPE', status: 403, code: 'PROVIDER_AUTH_FAILED' });
    expect(fake.server.count('GET', /^\/v1\/events$/) - before).toBe(1);
  });

  it('refuses a limit over 100 at the fake, as Stripe does', async () => {
    const err = await client.listEvents!({ limit: 101 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ provider: 'STRIPE', status: 400, code: 'PROVIDER_ERROR' });
  });
});

describe("the Stripe fake's switches, as the sandbox hands them out (ProviderFake.events)", () => {
  let fake: ProviderFake;
  let client: DisputeProviderClient;

  beforeAll(async () => {
    fake = await sandboxProviderOf('STRIPE').startFake({ seed: 11, count: 20 });
    client = stripe.create(stripe.configFromEnv(fake.env)!, { dispatcher: agent, logger: silentLogger });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('changeWithoutWebhook: the change is made and listed, and no webhook is sent', async () => {
    const sink = await webhookSink();
    try {
      fake.webhooks!.deliverTo(sink.url);
      const id = fake.ordered()[3]!;
      const before = (await client.retrieve!(id))!;
      const { eventId, type } = fake.events!.changeWithoutWebhook(id);
      await fake.webhooks!.settle();
      const now = (await client.retrieve!(id))!;
      expect(now).not.toEqual(before);
      const [newest] = (await client.listEvents!({ limit: 1 })).events;
      expect(newest).toMatchObject({ id: eventId, type });
      expect(newest!.dispute).toEqual(now);
      expect(sink.ids).toEqual([]);
    } finally {
      fake.webhooks!.deliverTo(null);
      await new Promise((r) => sink.server.close(r));
    }
  });

  it('setListed(false): a ProviderError with status 404 naming Stripe, not retried; setListed(true) serves it again', async () => {
    fake.events!.setListed(false);
    try {
      const before = fake.server.count('GET', /^\/v1\/events$/);
      const err = await client.listEvents!({ limit: 10 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ provider: 'STRIPE', status: 404, code: 'PROVIDER_ERROR' });
      expect((err as Error).message).toContain('Stripe');
      expect(fake.server.count('GET', /^\/v1\/events$/) - before).toBe(1);
    } finally {
      fake.events!.setListed(true);
    }
    expect((await client.listEvents!({ limit: 10 })).events.length).toBeGreaterThan(0);
  });
});

describe('WooshPay: an events list nobody has confirmed, read both ways', () => {
  it('its fake has none by default: the client answers its 404 as a ProviderError with status 404', async () => {
    const fake = await sandboxProviderOf('WOOSHPAY').startFake({ seed: 4, count: 10 });
    try {
      const client = wooshpay.create(wooshpay.configFromEnv(fake.env)!, { dispatcher: agent, logger: silentLogger });
      expect(fake.events).toBeUndefined();
      const err = await client.listEvents!({ limit: 10 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ provider: 'WOOSHPAY', status: 404, code: 'PROVIDER_ERROR' });
      expect((err as Error).message).toContain('WooshPay');
      expect(fake.server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/events' });
    } finally {
      await fake.close();
    }
  });

  it.each(['body', 'query'])('where it has one, lists its events with the parameters in the %s, read as its disputes are', async (listParams) => {
    const fake = new WooshPayFake(KEY, seedWooshPayDisputes(4, 17), { eventsList: true });
    const url = await fake.start();
    try {
      const client = wooshpay.create(wooshpay.configFromEnv({ WOOSHPAY_SECRET_KEY: KEY, WOOSHPAY_API_BASE: url, WOOSHPAY_LIST_PARAMS: listParams })!, {
        dispatcher: agent,
        logger: silentLogger,
      });
      const [a, b] = fake
        .all()
        .filter((d) => d.status === 'needs_response')
        .map((d) => d.id);
      await client.close!(a!, { idempotencyKey: 'w1' });
      fake.changeAtProvider(b!, { webhook: false });
      const page = await client.listEvents!({ limit: 1 });
      expect(page.hasMore).toBe(true);
      const rest = await client.listEvents!({ limit: 10, startingAfter: page.events[0]!.id, createdGte: new Date(0) });
      const events = [...page.events, ...rest.events];
      expect(events.map((e) => [e.type, e.dispute.providerDisputeId])).toEqual([
        ['charge.dispute.updated', b],
        ['charge.dispute.closed', a],
      ]);
      expect(events[0]!.dispute).toEqual(await client.retrieve!(b!));
      expect(events[1]!.dispute).toEqual(await client.retrieve!(a!));
      expect(events[1]!.dispute).toMatchObject({ provider: 'WOOSHPAY', status: 'LOST' });
      const sent = fake.server.requests.filter((r) => r.path === '/v1/events').at(-1)!;
      expect(listParams === 'body' ? JSON.parse(sent.body).starting_after : new URLSearchParams(sent.query).get('starting_after')).toBe(page.events[0]!.id);
    } finally {
      await fake.close();
    }
  });
});

describe('providers that document no event list', () => {
  it.each(PROVIDER_DEFINITIONS.filter((d) => d.name === 'FLEX' || d.name === 'AFTERPAY').map((d) => [d.name, d] as const))(
    '%s: its client has no listEvents (absent: not supported)',
    async (_, def) => {
      const fake = await sandboxProviderOf(def.name).startFake({ seed: 1, count: 3 });
      try {
        const client = def.create(def.configFromEnv(fake.env)!, { dispatcher: agent, logger: silentLogger });
        expect(client.listEvents).toBeUndefined();
      } finally {
        await fake.close();
      }
    },
  );
});
