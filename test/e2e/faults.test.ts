// Fault injection: the fakes misbehave in every way HTTP allows; the gateway's answers and the
// number of upstream attempts are asserted for each.
import { upstreamIdempotencyKey } from '../../src/gateway/close.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { startGateway } from '../../src/server.js';
import { installProcessGuards } from '../../src/process-guards.js';
import { startHarness, TEST_STRIPE_KEY, type GqlResult, type Harness } from '../helpers/harness.js';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';
import { readyUrl, spawnGateway } from '../helpers/process.js';

const LIST = '{ disputes(first: 3) { nodes { id } } }';
const CLOSE = 'mutation($input: CloseDisputeInput!) { closeDispute(input: $input) { dispute { status closingReason } userErrors { code } } }';
const gid = (provider: 'STRIPE' | 'AFTERPAY' | 'FLEX', id: string) => encodeDisputeId({ provider, account: 'default', providerDisputeId: id });

describe('upstream faults (Stripe, timeout 300 ms)', () => {
  let h: Harness;
  const lists = () => h.stripe.server.count('GET', /^\/v1\/disputes$/);
  beforeAll(async () => {
    h = await startHarness({ count: 30, extraEnv: { STRIPE_TIMEOUT_MS: '300', STRIPE_BREAKER_THRESHOLD: '1000' } });
  });
  afterEach(() => h.stripe.server.clearFaults());
  afterAll(async () => {
    await h.close();
    for (const line of h.logs) expect(line).not.toContain(TEST_STRIPE_KEY);
  });

  it('honours 503 with Retry-After before the second attempt', async () => {
    const before = lists();
    h.stripe.server.injectFault({ status: 503, times: 1, headers: { 'retry-after': '1' }, body: { error: { type: 'api_error' } } });
    const started = Date.now();
    const res = await h.gql(LIST);
    expect(res.body.errors).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(lists() - before).toBe(2);
  });

  it('backs off after a 503 without Retry-After and gives up after three attempts', async () => {
    const before = lists();
    h.stripe.server.injectFault({ status: 503, body: { error: { type: 'api_error' } } });
    const res = await h.gql(LIST);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', provider: 'STRIPE', providerStatus: 503 });
    expect(lists() - before).toBe(3);
  });

  it('gives up at once when Retry-After is longer than it will wait', async () => {
    const before = lists();
    h.stripe.server.injectFault({ status: 429, headers: { 'retry-after': '60' }, body: { error: { type: 'rate_limit_error', code: 'rate_limit' } } });
    const res = await h.gql(LIST);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', provider: 'STRIPE' });
    expect(lists() - before).toBe(1);
  });

  it('times out a hanging answer and retries it', async () => {
    const before = lists();
    h.stripe.server.injectFault({ hang: true, times: 1 });
    const res = await h.gql(LIST);
    expect(res.body.errors).toBeUndefined();
    expect(lists() - before).toBe(2);
  });

  it('reports a provider that always hangs as PROVIDER_UNAVAILABLE after three timed-out attempts', async () => {
    const before = lists();
    h.stripe.server.injectFault({ hang: true });
    const res = await h.gql(LIST);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', providerCode: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(lists() - before).toBe(3);
  });

  it("stops retrying when the next wait would overrun the operation's retry budget", async () => {
    // Budget: 2 × 300 ms + 2 s = 2.6 s. Waiting 2 s twice would overrun it, so only two attempts.
    const before = lists();
    h.stripe.server.injectFault({ status: 503, headers: { 'retry-after': '2' }, body: { error: { type: 'api_error' } } });
    const started = Date.now();
    const res = await h.gql(LIST);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', providerStatus: 503 });
    expect(lists() - before).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_950);
  });

  it('retries a connection reset in the middle of the body', async () => {
    const before = lists();
    h.stripe.server.injectFault({ reset: true, times: 2, status: 200 });
    const res = await h.gql(LIST);
    expect(res.body.errors).toBeUndefined();
    expect(lists() - before).toBe(3);
  });

  it('does not retry malformed JSON: PROVIDER_ERROR after one attempt', async () => {
    const before = lists();
    h.stripe.server.injectFault({ status: 200, body: '{"object": "list", "data": [' });
    const res = await h.gql(LIST);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 'malformed_response' });
    expect(lists() - before).toBe(1);
  });

  it('refuses a 200 that is not JSON by its content type', async () => {
    h.stripe.server.injectFault({
      status: 200,
      body: '{"object":"list","data":[],"has_more":false,"url":"/v1/disputes"}',
      headers: { 'content-type': 'text/html' },
    });
    const res = await h.gql(LIST);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerCode: 'malformed_response' });
  });

  it('walks every dispute correctly while 30% of requests fail', async () => {
    h.stripe.server.seedFaults(7);
    h.stripe.server.injectFault({ rate: 0.3, status: 500, body: { error: { type: 'api_error' } } });
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: GqlResult = await h.gql(
        'query($a: String) { disputes(first: 4, after: $a) { nodes { providerDisputeId } pageInfo { hasNextPage endCursor } } }',
        { a: after },
      );
      expect(res.body.errors).toBeUndefined();
      ids.push(...res.body.data.disputes.nodes.map((n: { providerDisputeId: string }) => n.providerDisputeId));
      if (!res.body.data.disputes.pageInfo.hasNextPage) break;
      after = res.body.data.disputes.pageInfo.endCursor;
    }
    expect(ids).toEqual(h.stripe.ordered());
    expect(h.stripe.server.faultsServed.status).toBeGreaterThan(2);
  });

  it('retries a close whose response was lost with the same key; Stripe closes once', async () => {
    const d = h.stripe.all().find((x) => x.status === 'needs_response')!;
    const executed = h.stripe.closesExecuted;
    h.stripe.server.injectFault({ lost: true, times: 1, match: (r) => r.path.endsWith('/close') });
    const res = await h.gql(CLOSE, { input: { id: gid('STRIPE', d.id), idempotencyKey: 'lost-once' } });
    expect(res.body.data.closeDispute).toEqual({ dispute: { status: 'LOST', closingReason: null }, userErrors: [] });
    const sent = h.stripe.server.requests.filter((r) => r.path.endsWith(`${d.id}/close`));
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((r) => r.headers['idempotency-key']))).toEqual(new Set([upstreamIdempotencyKey({ name: 'anonymous' }, 'lost-once')]));
    expect(h.stripe.closesExecuted - executed).toBe(1);
    // And the caller's own retry is answered from the record, with no call at all.
    const again = await h.gql(CLOSE, { input: { id: gid('STRIPE', d.id), idempotencyKey: 'lost-once' } });
    expect(again.body.data.closeDispute).toEqual(res.body.data.closeDispute);
    expect(h.stripe.server.requests.filter((r) => r.path.endsWith(`${d.id}/close`))).toHaveLength(2);
  });
});

describe('a close whose every answer was lost', () => {
  it("Stripe: the caller's retry with the same key returns the close, replayed, not repeated", async () => {
    const h = await startHarness({ count: 20, extraEnv: { STRIPE_BREAKER_THRESHOLD: '1000' } });
    try {
      const d = h.stripe.all().find((x) => x.status === 'needs_response')!;
      const input = { id: gid('STRIPE', d.id), idempotencyKey: 'all-lost' };
      h.stripe.server.injectFault({ lost: true, match: (r) => r.path.endsWith('/close') });
      const failed = await h.gql(CLOSE, { input });
      expect(failed.body.errors![0]!.extensions!.code).toBe('PROVIDER_UNAVAILABLE');
      expect(h.stripe.get(d.id)!.status).toBe('lost');
      expect(h.stripe.closesExecuted).toBe(1);
      h.stripe.server.clearFaults();
      const retried = await h.gql(CLOSE, { input });
      expect(retried.body.data.closeDispute).toEqual({ dispute: { status: 'LOST', closingReason: null }, userErrors: [] });
      expect(h.stripe.closesExecuted).toBe(1);
      // Every request for it carried the caller's key, so Stripe replayed instead of acting.
      const sent = h.stripe.server.requests.filter((r) => r.path.endsWith(`${d.id}/close`));
      expect(sent.length).toBe(4);
      expect(new Set(sent.map((r) => r.headers['idempotency-key']))).toEqual(new Set([upstreamIdempotencyKey({ name: 'anonymous' }, 'all-lost')]));
      // Without the key there is no telling it was ours: the dispute is simply already closed.
      const unkeyed = await h.gql(CLOSE, { input: { id: input.id } });
      expect(unkeyed.body.data.closeDispute.userErrors[0].code).toBe('DISPUTE_ALREADY_CLOSED');
    } finally {
      await h.close();
    }
  });

  it("Afterpay: the caller's retry with the same key reads the accept back instead of accepting again", async () => {
    const h = await startSandboxHarness(11, { only: ['AFTERPAY'], count: 30, env: { AFTERPAY_BREAKER_THRESHOLD: '1000' } });
    try {
      const fake = h.fakes.get('AFTERPAY')!;
      const list = await h.gql('{ disputes(first: 30) { nodes { providerDisputeId closable } } }');
      const id = list.body.data.disputes.nodes.find((n: { closable: boolean }) => n.closable).providerDisputeId as string;
      // The accept happens but its answer is lost, and reading the dispute back fails too.
      fake.server.injectFault({ lost: true, times: 1, match: (r) => r.path.endsWith('/accept') });
      fake.server.injectFault({ status: 503, body: '{}', match: (r) => r.method === 'GET' && r.path.endsWith(id) });
      const input = { id: gid('AFTERPAY', id), idempotencyKey: 'ap-lost' };
      const failed = await h.gql(CLOSE, { input });
      expect(failed.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', provider: 'AFTERPAY' });
      fake.server.clearFaults();
      const retried = await h.gql(CLOSE, { input });
      expect(retried.body.data.closeDispute).toEqual({ dispute: { status: 'LOST', closingReason: 'merchant_accepted' }, userErrors: [] });
      expect(fake.server.requests.filter((r) => r.path.endsWith(`${id}/accept`))).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});

describe('closing without idempotency keys (Afterpay, Flex)', () => {
  let h: SandboxHarness;
  beforeAll(async () => {
    h = await startSandboxHarness(9, { only: ['AFTERPAY', 'FLEX'], count: 40 });
  });
  afterEach(() => {
    for (const f of h.fakes.values()) f.server.clearFaults();
  });
  afterAll(async () => {
    await h.close();
  });

  async function openId(provider: 'AFTERPAY' | 'FLEX') {
    const res = await h.gql(`{ disputes(first: 60, filter: { provider: ${provider} }) { nodes { providerDisputeId closable status } } }`);
    // A chargeback (an inquiry closes to WARNING_CLOSED instead of LOST).
    const open = res.body.data.disputes.nodes.find((n: { closable: boolean; status: string }) => n.closable && n.status === 'NEEDS_RESPONSE');
    expect(open, `a closable ${provider} dispute`).toBeDefined();
    return open.providerDisputeId as string;
  }

  it.each([
    ['AFTERPAY', /\/accept$/, 'merchant_accepted'],
    ['FLEX', /\/close$/, null],
  ] as const)('%s: an accept whose answer was lost is read back and reported once, not sent again', async (provider, path, closingReason) => {
    const id = await openId(provider);
    const fake = h.fakes.get(provider)!;
    fake.server.injectFault({ lost: true, times: 1, match: (r) => path.test(r.path) });
    const res = await h.gql(CLOSE, { input: { id: gid(provider, id) } });
    expect(res.body.data.closeDispute).toEqual({ dispute: { status: 'LOST', closingReason }, userErrors: [] });
    expect(fake.server.requests.filter((r) => path.test(r.path) && r.path.includes(id))).toHaveLength(1);
  });

  it.each([
    ['AFTERPAY', /\/accept$/],
    ['FLEX', /\/close$/],
  ] as const)('%s: an accept that failed without effect is read back, then tried again', async (provider, path) => {
    const id = await openId(provider);
    const fake = h.fakes.get(provider)!;
    fake.server.injectFault({ status: 503, times: 1, body: '{}', match: (r) => path.test(r.path) });
    const res = await h.gql(CLOSE, { input: { id: gid(provider, id) } });
    expect(['LOST', 'WARNING_CLOSED']).toContain(res.body.data.closeDispute.dispute.status);
    expect(fake.server.requests.filter((r) => path.test(r.path) && r.path.includes(id))).toHaveLength(2);
  });
});

describe('circuit breaker', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ count: 10, extraEnv: { STRIPE_BREAKER_THRESHOLD: '3', STRIPE_BREAKER_COOLDOWN_MS: '400' } });
  });
  afterAll(async () => {
    await h.close();
  });
  const health = async () => (await h.gql('{ providers { health { state consecutiveFailures } } }')).body.data.providers[0].health;

  it('opens after repeated failures, fails fast while open, and closes after a good probe', async () => {
    expect(await health()).toEqual({ state: 'CLOSED', consecutiveFailures: 0 });
    h.stripe.server.injectFault({ status: 503, body: '{}' });
    const first = await h.gql(LIST);
    expect(first.body.errors![0]!.extensions!.code).toBe('PROVIDER_UNAVAILABLE');
    expect(await health()).toEqual({ state: 'OPEN', consecutiveFailures: 3 });

    const before = h.stripe.server.received;
    const fast = await h.gql(LIST);
    expect(fast.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', provider: 'STRIPE', providerCode: 'circuit_open' });
    expect(h.stripe.server.received).toBe(before);

    h.stripe.server.clearFaults();
    await new Promise((r) => setTimeout(r, 450));
    expect((await health()).state).toBe('HALF_OPEN');
    const probe = await h.gql(LIST);
    expect(probe.body.errors).toBeUndefined();
    expect(await health()).toEqual({ state: 'CLOSED', consecutiveFailures: 0 });
  });
});

describe('client-side rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ count: 30, extraEnv: { STRIPE_RATE_LIMIT: '5' } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('queues requests over the rate instead of sending them', async () => {
    const ids = h.stripe.ordered().slice(0, 12);
    const started = Date.now();
    const res = await h.gql(`{ ${ids.map((id, i) => `d${i}: disputeByProviderId(provider: STRIPE, providerDisputeId: "${id}") { id }`).join(' ')} }`);
    expect(res.body.errors).toBeUndefined();
    // 5 at once (the burst), then 5 a second: the last of 12 waits about 1.4 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_300);
    const times = h.stripe.server.requests.slice(-12).length;
    expect(times).toBe(12);
  });

  it('answers RATE_LIMITED when the queue would wait too long', async () => {
    await new Promise((r) => setTimeout(r, 1_200));
    const ids = h.stripe.ordered().slice(0, 25);
    const res = await h.gql(`{ ${ids.map((id, i) => `d${i}: disputeByProviderId(provider: STRIPE, providerDisputeId: "${id}") { id }`).join(' ')} }`);
    const limited = (res.body.errors ?? []).filter((e) => e.extensions?.providerCode === 'client_rate_limit');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', provider: 'STRIPE' });
  });
});

describe('hostile input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ count: 5 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a query deeper than the limit', async () => {
    // The schema has no cycles, so no valid query reaches the default limit of 12: the limit
    // guards what the schema may grow into. A gateway with a limit of 4 shows it working.
    const gw = await startGateway({
      providers: providersFromEnv({ STRIPE_SECRET_KEY: TEST_STRIPE_KEY, STRIPE_API_BASE: h.stripe.server.url }),
      logger: silentLogger,
      limits: { maxDepth: 4 },
    });
    try {
      const post = (query: string) => fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      const ok = await post('{ disputes(first: 1) { nodes { evidence { customerName } } } }');
      expect((await ok.json()).errors).toBeUndefined();
      const deep = await post('{ disputes(first: 1) { edges { node { evidence { receipt { id } } } } } }');
      const body = await deep.json();
      expect(body.errors[0].extensions.code).toBe('QUERY_TOO_DEEP');
      expect(body.errors[0].message).toBe('The operation is 6 fields deep; the limit is 4.');
    } finally {
      await gw.close();
    }
  });

  it('refuses too many aliases', async () => {
    const res = await h.gql(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: providers { provider }`).join(' ')} }`);
    expect(res.body.errors![0]!.extensions!.code).toBe('TOO_MANY_ALIASES');
  });

  it('refuses a document with too many tokens', async () => {
    const res = await h.gql(`{ providers { ${'provider '.repeat(3_100)} } }`);
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions!.code).toBe('QUERY_TOO_LARGE');
  });

  it('refuses an operation whose estimated cost is over the limit, counting variables', async () => {
    const fields = 'id amount currency status created evidence { customerName receipt { id } } balanceTransactions { id amount fee net }';
    const query = `query($n: Int) { ${Array.from({ length: 15 }, (_, i) => `p${i}: disputes(first: $n) { nodes { ${fields} } }`).join(' ')} }`;
    const before = h.stripe.server.received;
    const big = await h.gql(query, { n: 100 });
    expect(big.body.errors![0]!.extensions!.code).toBe('QUERY_TOO_COMPLEX');
    expect(h.stripe.server.received).toBe(before);
    const small = await h.gql(query, { n: 2 });
    expect(small.body.errors).toBeUndefined();
  });

  it('refuses a request body over its limit with 413 (an open gateway takes evidence-sized bodies, 720 KiB)', async () => {
    const res = await fetch(h.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ providers { provider } }', variables: { pad: 'x'.repeat(730 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers batches up to 10 operations and refuses larger ones', async () => {
    const batch = (n: number) =>
      fetch(h.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Array.from({ length: n }, () => ({ query: '{ providers { provider } }' }))),
      });
    const ok = await batch(10);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveLength(10);
    const tooMany = await batch(11);
    expect(tooMany.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(await tooMany.json())).toMatch(/limit/i);
  });
});

describe('process', () => {
  it('finishes an in-flight request before closing', async () => {
    const h = await startHarness({ count: 5 });
    h.stripe.server.injectFault({ status: 200, delayMs: 400, body: { object: 'list', url: '/v1/disputes', has_more: false, data: [] } });
    const inflight = h.gql(LIST);
    await new Promise((r) => setTimeout(r, 100));
    await h.gateway.close(5_000);
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body.data.disputes.nodes).toEqual([]);
    await h.stripe.close();
  });

  it('counts and logs unhandled rejections and uncaught exceptions instead of dying', () => {
    const target = new EventEmitter();
    const lines: string[] = [];
    const stats = installProcessGuards(createLogger({ secrets: ['sk_test_guard_secret'], write: (l) => lines.push(l) }), target);
    target.emit('unhandledRejection', new Error('lost promise sk_test_guard_secret'));
    target.emit('uncaughtException', new TypeError('boom'));
    expect(stats).toEqual({ unhandledRejections: 1, uncaughtExceptions: 1 });
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('sk_test_guard_secret');
  });

  it('keeps serving, without a loop of logged errors, when the reader of its output goes away', async () => {
    // As with `npm start | head`: a write to a pipe nobody reads fails; unheard, that failure is an
    // uncaught exception the guards would log to the same pipe, again and again.
    const child = spawnGateway({ PORT: '0', LOG_LEVEL: 'debug' });
    try {
      const url = await readyUrl(child);
      child.stdout!.destroy();
      child.stderr!.destroy();
      for (let i = 0; i < 5; i++) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ dispute(id: "x") { id } }' }),
          signal: AbortSignal.timeout(5_000),
        });
        expect(res.status).toBe(200);
      }
      const health = await (await fetch(url.replace('/graphql', '/healthz'), { signal: AbortSignal.timeout(5_000) })).json();
      expect(health).toEqual({ status: 'ok', unhandledRejections: 0, uncaughtExceptions: 0 });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('keeps a real process alive through an unhandled rejection', async () => {
    const script = `
      import { installProcessGuards } from './src/process-guards.ts';
      import { silentLogger } from './src/logger.ts';
      const stats = installProcessGuards(silentLogger);
      Promise.reject(new Error('nobody handles this'));
      setTimeout(() => { throw new Error('thrown from a timer'); }, 10);
      setTimeout(() => { console.log(JSON.stringify(stats)); process.exit(0); }, 100);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(JSON.parse(out.trim())).toEqual({ unhandledRejections: 1, uncaughtExceptions: 1 });
  });
});
