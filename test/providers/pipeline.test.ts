// The request pipeline's extension points, against a fake over loopback: an observer told of every
// attempt (retries, breaker, outcome), multipart and replayable stream bodies sent whole on every
// attempt, and the provider's own retry hint.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { HttpPipeline, upstreamOperation, type AttemptEvent } from '../../src/providers/http.js';
import { FakeServer } from '../../src/sandbox/fake-server.js';

let agent: Agent;
let fake: FakeServer;
let url: string;

beforeAll(async () => {
  agent = new Agent();
  fake = new FakeServer(() => ({ status: 200, body: { ok: true } }));
  url = await fake.listen();
});

afterAll(async () => {
  await fake.close();
  await agent.close();
});

function pipeline(events: AttemptEvent[], extra: Partial<ConstructorParameters<typeof HttpPipeline>[0]> = {}) {
  return new HttpPipeline({
    provider: 'STRIPE',
    account: 'eu',
    baseUrl: url,
    dispatcher: agent,
    logger: silentLogger,
    authHeaders: () => ({ authorization: 'Bearer sk_test_pipeline' }),
    readErrorEnvelope: () => ({}),
    notFoundCodes: [],
    rateLimit: null,
    baseDelayMs: 1,
    maxDelayMs: 2,
    observer: (e) => events.push(e),
    ...extra,
  });
}

describe('the attempt observer', () => {
  it('sees every attempt, retries included, with provider, account, operation, status and outcome', async () => {
    const events: AttemptEvent[] = [];
    fake.injectFault({ status: 503, times: 2, body: {} });
    const res = await pipeline(events).send({ method: 'GET', path: '/v1/disputes' });
    expect(res.status).toBe(200);
    expect(events.map((e) => [e.attempt, e.status, e.outcome])).toEqual([
      [0, 503, 'retry'],
      [1, 503, 'retry'],
      [2, 200, 'ok'],
    ]);
    for (const e of events) {
      expect(e).toMatchObject({ provider: 'STRIPE', account: 'eu', operation: 'disputes.list', method: 'GET' });
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('tells an error, and a breaker that is open, apart', async () => {
    const events: AttemptEvent[] = [];
    const p = pipeline(events, { breaker: { threshold: 1, cooldownMs: 60_000 }, maxRetries: 0 });
    fake.injectFault({ status: 500, times: 1, body: {} });
    await expect(p.send({ method: 'GET', path: '/v1/disputes/du_1' })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    await expect(p.send({ method: 'GET', path: '/v1/disputes/du_1' })).rejects.toMatchObject({ providerCode: 'circuit_open' });
    expect(events.map((e) => [e.operation, e.outcome, e.code])).toEqual([
      ['disputes.retrieve', 'error', 'PROVIDER_UNAVAILABLE'],
      ['disputes.retrieve', 'breaker_open', 'PROVIDER_UNAVAILABLE'],
    ]);
    expect(events[1]!.breakerState).toBe('OPEN');
  });

  it('frees the half-open probe when it never reached the provider (refused by the rate limit), so the next call probes', async () => {
    const p = pipeline([], { breaker: { threshold: 1, cooldownMs: 30 }, maxRetries: 0, rateLimit: { perSecond: 1, maxQueueMs: 1 } });
    fake.injectFault({ status: 500, times: 1, body: {} });
    await expect(p.send({ method: 'GET', path: '/v1/disputes/du_1' })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    await new Promise((r) => setTimeout(r, 40));
    // Half-open, and the one token a second went to the failed call: the probe is refused by the limit.
    await expect(p.send({ method: 'GET', path: '/v1/disputes/du_1' })).rejects.toMatchObject({ providerCode: 'client_rate_limit' });
    await new Promise((r) => setTimeout(r, 1_050));
    // The limit has tokens again: the next call is the probe, and the provider answers it.
    expect((await p.send({ method: 'GET', path: '/v1/disputes/du_1' })).status).toBe(200);
    expect(p.health().state).toBe('CLOSED');
  });

  it('frees the half-open probe when building the request failed before anything was sent', async () => {
    let failBuild = false;
    const p = pipeline([], {
      breaker: { threshold: 1, cooldownMs: 30 },
      maxRetries: 0,
      authHeaders: () => {
        if (failBuild) throw new Error('credentials unavailable');
        return { authorization: 'Bearer sk_test_pipeline' };
      },
    });
    fake.injectFault({ status: 500, times: 1, body: {} });
    await expect(p.send({ method: 'GET', path: '/v1/disputes/du_1' })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    await new Promise((r) => setTimeout(r, 40));
    failBuild = true;
    await expect(p.send({ method: 'GET', path: '/v1/disputes/du_1' })).rejects.toThrow('credentials unavailable');
    failBuild = false;
    expect((await p.send({ method: 'GET', path: '/v1/disputes/du_1' })).status).toBe(200);
  });

  it('never lets an observer that throws fail a request', async () => {
    const p = pipeline([], {
      observer: () => {
        throw new Error('observer down');
      },
    });
    expect((await p.send({ method: 'GET', path: '/v1/disputes' })).status).toBe(200);
  });

  it('names operations without ids', () => {
    expect(upstreamOperation({ method: 'POST', path: '/v1/disputes/du_123/close' })).toBe('disputes.close');
    expect(upstreamOperation({ method: 'GET', path: '/v2/disputes/dp_9/accept' })).toBe('disputes.close');
    expect(upstreamOperation({ method: 'GET', path: '/v1/disputes/list' })).toBe('disputes.list');
    expect(upstreamOperation({ method: 'POST', path: '/v1/disputes/du_1' })).toBe('disputes.update');
  });
});

describe('bodies', () => {
  it('sends multipart form data, made afresh and whole on a retry', async () => {
    const before = fake.received;
    fake.injectFault({ status: 503, times: 1, body: {} });
    await pipeline([]).send({
      method: 'POST',
      path: '/v1/files',
      idempotencyKey: 'file-1',
      payload: () => {
        const form = new FormData();
        form.set('purpose', 'dispute_evidence');
        form.set('file', new Blob([Buffer.from('%PDF-1.4 evidence')], { type: 'application/pdf' }), 'receipt.pdf');
        return { body: form };
      },
    });
    const sent = fake.requests.slice(fake.requests.length - (fake.received - before));
    expect(sent).toHaveLength(2);
    for (const r of sent) {
      expect(r.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(r.body).toContain('name="purpose"');
      expect(r.body).toContain('filename="receipt.pdf"');
      expect(r.body).toContain('%PDF-1.4 evidence');
    }
  });

  it('sends a replayable stream with its content type and length, whole on every attempt', async () => {
    const before = fake.received;
    fake.injectFault({ status: 502, times: 1, body: {} });
    const chunks = ['one,', 'two,', 'three'];
    await pipeline([]).send({
      method: 'POST',
      path: '/v1/files',
      idempotencyKey: 'stream-1',
      payload: () => ({
        body: (async function* () {
          for (const c of chunks) yield Buffer.from(c);
        })(),
        contentType: 'text/csv',
        length: chunks.join('').length,
      }),
    });
    const sent = fake.requests.slice(fake.requests.length - (fake.received - before));
    expect(sent.map((r) => [r.headers['content-type'], r.body])).toEqual([
      ['text/csv', 'one,two,three'],
      ['text/csv', 'one,two,three'],
    ]);
  });
});

describe("the provider's retry hint", () => {
  it('decides over the status when given (Stripe-Should-Retry)', async () => {
    const events: AttemptEvent[] = [];
    const p = pipeline(events, { retryHint: (h) => (h['stripe-should-retry'] === 'false' ? false : undefined) });
    fake.injectFault({ status: 503, times: 1, body: {}, headers: { 'stripe-should-retry': 'false' } });
    await expect(p.send({ method: 'GET', path: '/v1/disputes' })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(events.map((e) => e.outcome)).toEqual(['error']);
  });
});
