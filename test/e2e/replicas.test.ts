// Three gateway processes sharing one real redis-server, over the sandbox's fakes: a close sent to
// all three at once happens once; a key's rate holds across them; a webhook received by one reaches
// subscribers on the others, once; Redis stopping refuses closes (never doubles one) while reads go
// on, and its return needs no restart; a replica killed while holding a key is taken over.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/auth/keys.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { postWebhook, sseSubscribe } from '../helpers/events.js';
import { readyUrl, spawnGateway } from '../helpers/process.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

const ADMIN = 'gk_replicas_admin_0123456789abcdef';
const TEN = 'gk_replicas_ten_a_second_012345678';

let redis: RedisServer;
let sandbox: Sandbox;
let keysFile: string;
const replicas: { proc: ChildProcess; url: string; out: { out: string } }[] = [];

async function startReplica(extra: Record<string, string> = {}) {
  const proc = spawnGateway({
    ...sandbox.env,
    PORT: '0',
    REDIS_URL: redis.url,
    GATEWAY_API_KEYS_FILE: keysFile,
    CURSOR_SECRETS: 'replicas-cursor-secret-of-at-least-32-chars',
    IDEMPOTENCY_LEASE_MS: '3000',
    LOG_LEVEL: 'info',
    ...extra,
  });
  const out = { out: '' };
  const url = await readyUrl(proc, out);
  return { proc, url, out };
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, key = ADMIN) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

const CLOSE = `mutation($id: ID!, $key: String) { closeDispute(input: { id: $id, idempotencyKey: $key }) { dispute { id status } userErrors { code } } }`;
const fake = (name: string) => sandbox.fakes.find((f) => f.name === name)!.fake;

async function openDisputes(provider: string, n: number): Promise<string[]> {
  const r = await gql(
    replicas[0]!.url,
    `query($p: DisputeProvider!) { disputes(first: 50, filter: { provider: $p, status: [NEEDS_RESPONSE] }) { nodes { id } } }`,
    { p: provider },
  );
  return r.body.data.disputes.nodes.slice(0, n).map((d: { id: string }) => d.id);
}

beforeAll(async () => {
  redis = await startRedis();
  sandbox = await startSandbox(42, { count: 60 });
  keysFile = join(mkdtempSync(join(tmpdir(), 'dg-replicas-')), 'keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify([
      {
        name: 'admin',
        key: `sha256:${sha256(ADMIN).toString('hex')}`,
        scopes: ['disputes:read', 'disputes:write', 'evidence:write'],
        rateLimit: { perSecond: 10_000, burst: 10_000 },
      },
      { name: 'ten', key: `sha256:${sha256(TEN).toString('hex')}`, scopes: ['disputes:read'], rateLimit: { perSecond: 10, burst: 10 } },
    ]),
  );
  for (let i = 0; i < 3; i++) replicas.push(await startReplica());
}, 90_000);

afterAll(async () => {
  for (const r of replicas) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) {
      r.proc.kill('SIGTERM');
      await once(r.proc, 'exit');
    }
  }
  await sandbox?.close();
  await redis?.stop();
});

describe('three replicas sharing one Redis', () => {
  for (const provider of ['FLEX', 'AFTERPAY'] as const) {
    it(`the same close sent to all three at once happens once at ${provider}, with one answer`, async () => {
      const [id] = await openDisputes(provider, 1);
      const before = fake(provider).closesExecuted();
      const answers = await Promise.all(replicas.map((r) => gql(r.url, CLOSE, { id, key: `simultaneous-${provider}` })));
      expect(fake(provider).closesExecuted() - before).toBe(1);
      for (const a of answers) expect(a.body.data.closeDispute).toEqual(answers[0]!.body.data.closeDispute);
      expect(answers[0]!.body.data.closeDispute.dispute.status).toBe('LOST');
    });
  }

  it('a key limited to 10 a second gets about 10 of 60 requests spread over the replicas in one second', async () => {
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * 1000) / 60));
        return (await gql(replicas[i % 3]!.url, '{ __typename }', {}, TEN)).status;
      }),
    );
    const ok = statuses.filter((s) => s === 200).length;
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // One window of 10, perhaps a second one begun within the same second: never 10 per replica (30).
    expect(ok).toBeGreaterThanOrEqual(10);
    expect(ok).toBeLessThanOrEqual(20);
  });

  it('a webhook POSTed to one replica reaches subscribers on the others, once; the same event posted to two is published once', async () => {
    const [a, b, c] = replicas;
    const subB = await sseSubscribe(b!.url, 'subscription { disputeEvents { providerEventId type } }', {}, ADMIN);
    const subC = await sseSubscribe(c!.url, 'subscription { disputeEvents { providerEventId type } }', {}, ADMIN);
    const id = fake('STRIPE').ordered()[5]!;
    const object = (await (
      await fetch(`${sandbox.env.STRIPE_API_BASE}/v1/disputes/${id}`, { headers: { authorization: `Bearer ${sandbox.env.STRIPE_SECRET_KEY}` } })
    ).json()) as object;
    const event = (n: string) => ({
      id: n,
      object: 'event',
      type: 'charge.dispute.updated',
      created: Math.floor(Date.now() / 1000),
      data: { object },
      request: { id: null, idempotency_key: null },
    });
    const origin = (u: string) => new URL(u).origin;
    expect((await postWebhook(origin(a!.url), 'STRIPE', event('evt_replicas_1'), sandbox.env.STRIPE_WEBHOOK_SECRET!)).status).toBe(200);
    const twice = await Promise.all([b, c].map((r) => postWebhook(origin(r!.url), 'STRIPE', event('evt_replicas_2'), sandbox.env.STRIPE_WEBHOOK_SECRET!)));
    expect(twice.map((t) => t.status)).toEqual([200, 200]);
    expect(twice.filter((t) => JSON.parse(t.text).duplicate).length).toBe(1);
    await postWebhook(origin(c!.url), 'STRIPE', event('evt_replicas_3'), sandbox.env.STRIPE_WEBHOOK_SECRET!);
    // Each replica publishes in its own arrival order; across replicas, pub/sub may interleave them.
    for (const sub of [subB, subC]) await sub.waitFor(3);
    // A last event, once the three are in: nothing else (no second copy) came before it.
    await postWebhook(origin(a!.url), 'STRIPE', event('evt_replicas_4'), sandbox.env.STRIPE_WEBHOOK_SECRET!);
    for (const sub of [subB, subC]) {
      await sub.waitFor(4);
      const ids = sub.payloads.map((p) => p.data.disputeEvents.providerEventId);
      expect(ids.slice(0, 3).sort()).toEqual(['evt_replicas_1', 'evt_replicas_2', 'evt_replicas_3']);
      expect(ids.slice(3)).toEqual(['evt_replicas_4']);
    }
    // The history is shared: any replica lists the same events.
    const listed = await gql(a!.url, '{ disputeEvents(first: 4) { nodes { providerEventId } } }');
    const history = listed.body.data.disputeEvents.nodes.map((e: { providerEventId: string }) => e.providerEventId);
    expect(history[0]).toBe('evt_replicas_4');
    expect(history.slice(1).sort()).toEqual(['evt_replicas_1', 'evt_replicas_2', 'evt_replicas_3']);
    subB.close();
    subC.close();
  });

  it('with Redis stopped, reads answer and closes are refused with SERVICE_UNAVAILABLE, none doubled or lost; once it returns, closes work again', async () => {
    const [id, other] = await openDisputes('FLEX', 2);
    const before = fake('FLEX').closesExecuted();
    // A subscriber on C, open across the outage: it hears events again once Redis is back.
    const sub = await sseSubscribe(replicas[2]!.url, 'subscription { disputeEvents { providerEventId } }', {}, ADMIN);
    const stripeId = fake('STRIPE').ordered()[6]!;
    const object = await (
      await fetch(`${sandbox.env.STRIPE_API_BASE}/v1/disputes/${stripeId}`, { headers: { authorization: `Bearer ${sandbox.env.STRIPE_SECRET_KEY}` } })
    ).json();
    await redis.stop();
    try {
      await expect
        .poll(async () => (await fetch(`${new URL(replicas[0]!.url).origin}/readyz`)).json(), { timeout: 5_000 })
        .toMatchObject({ status: 'ready', sharedState: 'down' });
      for (const r of replicas) {
        const read = await gql(r.url, '{ disputes(first: 3) { nodes { id } } }');
        expect(read.body.data.disputes.nodes).toHaveLength(3);
        const refused = await gql(r.url, CLOSE, { id, key: 'during-outage' });
        expect(refused.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
        const keyless = await gql(r.url, CLOSE, { id: other });
        expect(keyless.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      }
      const webhook = await postWebhook(
        new URL(replicas[1]!.url).origin,
        'STRIPE',
        {
          id: 'evt_outage',
          object: 'event',
          type: 'charge.dispute.created',
          created: Math.floor(Date.now() / 1000),
          data: { object },
          request: { id: null, idempotency_key: null },
        },
        sandbox.env.STRIPE_WEBHOOK_SECRET!,
      );
      expect(webhook.status).toBe(503);
      expect(fake('FLEX').closesExecuted()).toBe(before);
    } finally {
      await redis.start();
    }
    await expect.poll(async () => (await fetch(`${new URL(replicas[0]!.url).origin}/readyz`)).json(), { timeout: 10_000 }).toMatchObject({ sharedState: 'up' });
    await expect
      .poll(async () => (await gql(replicas[2]!.url, CLOSE, { id, key: 'during-outage' })).body.data?.closeDispute?.dispute?.status, { timeout: 10_000 })
      .toBe('LOST');
    // The same key again, on another replica: the recorded answer, no second close.
    expect((await gql(replicas[0]!.url, CLOSE, { id, key: 'during-outage' })).body.data.closeDispute.dispute.status).toBe('LOST');
    expect(fake('FLEX').closesExecuted() - before).toBe(1);
    // Events flow again: the close just made on B reaches the subscriber on C.
    await expect.poll(() => sub.payloads.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(sub.payloads.every((p) => p.data.disputeEvents.providerEventId.startsWith('gw_'))).toBe(true);
    sub.close();
  }, 60_000);

  it('a replica killed while holding a key: the retry on another replica closes once', async () => {
    const [id] = await openDisputes('AFTERPAY', 1);
    const before = fake('AFTERPAY').closesExecuted();
    // The provider holds the close without answering, so the first replica dies holding the key.
    fake('AFTERPAY').server.injectFault({ hang: true, times: 1, match: (r) => r.path.endsWith('/accept') });
    const doomed = replicas[0]!;
    const pending = gql(doomed.url, CLOSE, { id, key: 'killed-holding' }).catch(() => null);
    await expect
      .poll(
        () =>
          fake('AFTERPAY').server.requests.some((r) => r.path.endsWith('/accept') && r.path.includes(Buffer.from(id!, 'base64url').toString().split(':')[4]!)),
        { timeout: 5_000 },
      )
      .toBe(true);
    doomed.proc.kill('SIGKILL');
    await once(doomed.proc, 'exit');
    await pending;
    // The retry on another replica waits out the dead replica's lease (3 s here), reads the dispute back, and closes it.
    const retried = await gql(replicas[1]!.url, CLOSE, { id, key: 'killed-holding' });
    expect(retried.body.data.closeDispute).toMatchObject({ dispute: { status: 'LOST' }, userErrors: [] });
    expect(fake('AFTERPAY').closesExecuted() - before).toBe(1);
    replicas[0] = await startReplica();
  }, 60_000);
});
