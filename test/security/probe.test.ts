// The hostile-input probe's findings, each replayed through the real server (items 2-10; item 1
// is no-key-no-data.test.ts). Every response body and log line is kept, and none may contain a
// configured secret or key.
import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { CursorKeys } from '../../src/gateway/cursor.js';
import { upstreamIdempotencyKey } from '../../src/gateway/close.js';
import { DocumentMeter, fragmentsOf } from '../../src/graphql/limits.js';
import { upstreamPath } from '../../src/providers/http.js';
import { MAX_RECORDED_REQUESTS } from '../../src/sandbox/fake-server.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { ProviderName } from '../../src/domain/dispute.js';
import { ADMIN, CURSOR_SECRET, FLOOD, gql, probeGateway, probeKeys, raw, READER, type ProbeGateway } from './helpers.js';

let sandbox: Sandbox;
let keyed: ProbeGateway;
let open: ProbeGateway;
const bodies: string[] = [];
const all: ProbeGateway[] = [];

const fake = (p: ProviderName) => sandbox.fakes.find((f) => f.name === p)!.fake;
const upstream = (p?: ProviderName) => sandbox.fakes.filter((f) => !p || f.name === p).reduce((n, f) => n + f.fake.server.received, 0);
const gid = (provider: ProviderName, id: string) => encodeDisputeId({ provider, account: 'default', providerDisputeId: id });

async function call(g: ProbeGateway, key: string | null, query: string, variables?: Record<string, unknown>) {
  const res = await gql(g.gateway.url, key, query, variables);
  bodies.push(res.text);
  return res;
}

async function started(opts: Parameters<typeof probeGateway>[1], env?: Record<string, string>) {
  const g = await probeGateway(sandbox, opts, env);
  all.push(g);
  return g;
}

beforeAll(async () => {
  sandbox = await startSandbox(9, { count: 60 });
  keyed = await started({ auth: { mode: 'keys', store: probeKeys() } });
  open = await started({});
});

afterAll(async () => {
  for (const g of all) await g.gateway.close();
  await sandbox.close();
  const secrets = [...keyed.secrets];
  for (const text of [...bodies, ...all.flatMap((g) => g.logs)]) for (const s of secrets) expect(text).not.toContain(s);
});

/** The ids of a provider's open (closable) disputes, newest first. */
async function closable(g: ProbeGateway, key: string | null, provider: ProviderName, n: number): Promise<string[]> {
  const res = await call(g, key, `query($p: DisputeProvider) { disputes(first: 60, filter: { provider: $p }) { nodes { id closable } } }`, { p: provider });
  const ids = res.body.data.disputes.nodes.filter((d: { closable: boolean }) => d.closable).map((d: { id: string }) => d.id);
  expect(ids.length).toBeGreaterThanOrEqual(n);
  return ids.slice(0, n);
}

const CLOSE = `mutation($id: ID!, $key: String) { closeDispute(input: { id: $id, idempotencyKey: $key }) { dispute { id status } userErrors { code field } } }`;

describe('2. fragment doubling', () => {
  const doubling = (levels: number) => {
    const parts = ['{ ...F1 }'];
    for (let i = 1; i < levels; i++) parts.push(`fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
    parts.push(`fragment F${levels} on Query { __typename }`);
    return parts.join('\n');
  };

  it('measures a 30-level doubling document in work linear in its size', () => {
    const doc = parse(doubling(30));
    const meter = new DocumentMeter(fragmentsOf(doc));
    const op = doc.definitions[0]!;
    const shape = meter.measure(op.kind === 'OperationDefinition' ? op.selectionSet : undefined);
    expect(shape.expandedFields).toBe(2 ** 29);
    // 1 spread in the operation, 2 in each of 29 fragments, 1 field in the last: 60 selections.
    expect(meter.visits).toBe(60);
  });

  it('refuses it through the server with QUERY_TOO_LARGE, and the server keeps answering', async () => {
    const before = upstream();
    const res = await call(keyed, ADMIN, doubling(30));
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_LARGE');
    expect(res.body.errors[0].message).toMatch(/expands to 5\.37e\+8 fields|expands to 536870912 fields/);
    expect((await call(keyed, READER, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });
    expect(upstream()).toBe(before);
  });

  it('still measures depth through fragments, each once', async () => {
    const deep = `{ disputes(first: 1) { ...A } } fragment A on DisputeConnection { edges { node { ...B } } } fragment B on Dispute { evidenceDetails { ...C } } fragment C on DisputeEvidenceDetails { dueBy }`;
    expect((await call(keyed, READER, deep)).body.errors).toBeUndefined();
    const res = await started({ auth: { mode: 'keys', store: probeKeys() }, limits: { maxDepth: 3 } });
    expect((await call(res, READER, deep)).body.errors[0].extensions.code).toBe('QUERY_TOO_DEEP');
  });
});

describe('3. upstream calls per request', () => {
  it('refuses a batch of 10 operations x 30 aliases of a backward WooshPay walk before any call', async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: disputes(last: 100, filter: { provider: WOOSHPAY }) { nodes { id } }`).join(' ');
    const batch = Array.from({ length: 10 }, () => ({ query: `{ ${aliases} }` }));
    const before = upstream();
    const res = await fetch(keyed.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${READER}` },
      body: JSON.stringify(batch),
    });
    const text = await res.text();
    bodies.push(text);
    const results = JSON.parse(text) as { data?: unknown; errors: { extensions: Record<string, unknown> }[] }[];
    expect(results).toHaveLength(10);
    for (const r of results) {
      expect(r.data ?? null).toBeNull();
      expect(r.errors[0]!.extensions).toMatchObject({ code: 'QUERY_TOO_EXPENSIVE', estimatedUpstreamCalls: 3000, upstreamCallBudget: 400 });
    }
    expect(upstream()).toBe(before);
  });

  it('sums the estimate over a batch: operations past the request budget are refused, the others run', async () => {
    const g = await started({ auth: { mode: 'keys', store: probeKeys() }, limits: { maxUpstreamCalls: 250 } });
    const ids = fake('STRIPE')
      .ordered()
      .slice(0, 60)
      .map((id) => gid('STRIPE', id));
    const op = { query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids: ids.slice(0, 60) } };
    const before = upstream('STRIPE');
    const res = await fetch(g.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${READER}` },
      body: JSON.stringify([op, op, op, op, op]),
    });
    const results = (await res.json()) as { data?: { nodes: unknown[] }; errors?: { extensions: Record<string, unknown> }[] }[];
    const ran = results.filter((r) => r.data?.nodes);
    const refused = results.filter((r) => r.errors?.[0]?.extensions.code === 'QUERY_TOO_EXPENSIVE');
    expect(ran).toHaveLength(4);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.errors![0]!.extensions).toMatchObject({ estimatedUpstreamCalls: 60, upstreamCallBudget: 250, upstreamCallsRemaining: 10 });
    expect(upstream('STRIPE') - before).toBeLessThanOrEqual(250);
  });

  it('refuses nodes with 1,300 distinct ids before any call, caps ids at a page, and counts distinct ids only', async () => {
    const many = Array.from({ length: 1300 }, (_, i) => gid('STRIPE', `du_missing${i}`));
    const before = upstream();
    const res = await call(keyed, READER, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: many });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_EXPENSIVE', estimatedUpstreamCalls: 1300 });
    const repeated = await call(keyed, READER, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: 101 }, () => many[0]) });
    expect(repeated.body.errors).toHaveLength(1);
    expect(repeated.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(upstream()).toBe(before);
    const same = Array.from({ length: 100 }, () => gid('STRIPE', fake('STRIPE').ordered()[0]!));
    const ok = await call(keyed, READER, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: same });
    expect(ok.body.data.nodes).toHaveLength(100);
    expect(upstream() - before).toBe(1);
  });

  it("shares a provider's rate limit between keys: a flooding key cannot starve another", async () => {
    // 4 requests a second to Stripe, queueing up to 2 s: the flood is bigger than the queue.
    const g = await started({ auth: { mode: 'keys', store: probeKeys() } }, { STRIPE_RATE_LIMIT: '4' });
    const ids = fake('STRIPE').ordered();
    const one = (key: string, i: number) => call(g, key, 'query($id: ID!) { dispute(id: $id) { id } }', { id: gid('STRIPE', ids[i % ids.length]!) });
    const flood = Array.from({ length: 40 }, (_, i) => one(FLOOD, i));
    await new Promise((r) => setTimeout(r, 50));
    const other = await one(READER, 7);
    expect(other.body.errors).toBeUndefined();
    expect(other.body.data.dispute.id).toBe(gid('STRIPE', ids[7]!));
    const flooded = await Promise.all(flood);
    const limited = flooded.filter((r) => r.body.errors?.[0]?.extensions.code === 'RATE_LIMITED');
    // The flood pays for itself: most of it is refused at once, naming the provider.
    expect(limited.length).toBeGreaterThan(20);
    expect(limited[0]!.body.errors[0].extensions.provider).toBe('STRIPE');
  });
});

describe('4. a retry after a timeout, once someone else closed the dispute', () => {
  it.each([
    ['STRIPE', 0, 1],
    ['FLEX', 0, 0],
  ] as const)('%s: DISPUTE_ALREADY_CLOSED from the state read back, never a close sent into the refusal', async (provider, _, maxResent) => {
    const [id] = await closable(open, null, provider, 1);
    const ref = Buffer.from(id!, 'base64url').toString().split(':').at(-1)!;
    const f = fake(provider);
    // The close with the key times out (the provider is unreachable for it)...
    f.server.injectFault({ status: 503, match: (r) => r.path.endsWith('/close') });
    const first = await call(open, null, CLOSE, { id, key: `timeout-${provider}` });
    expect(first.body.errors[0].extensions.code).toBe('PROVIDER_UNAVAILABLE');
    f.server.clearFaults();
    // ...then someone else closes it, straight at the provider.
    const env = sandbox.env;
    const auth = provider === 'STRIPE' ? `Bearer ${env.STRIPE_SECRET_KEY}` : `Bearer ${env.FLEX_API_KEY}`;
    const base = provider === 'STRIPE' ? env.STRIPE_API_BASE! : env.FLEX_API_BASE!;
    const direct = await fetch(`${base}/v1/disputes/${ref}/close`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': provider === 'STRIPE' ? 'application/x-www-form-urlencoded' : 'application/json' },
      body: provider === 'STRIPE' ? '' : '{}',
    });
    expect(direct.status).toBe(200);
    const closes = () => f.server.requests.filter((r) => r.path.endsWith(`${ref}/close`)).length;
    for (let attempt = 0; attempt < 2; attempt++) {
      const before = closes();
      const retry = await call(open, null, CLOSE, { id, key: `timeout-${provider}` });
      expect(retry.body.errors).toBeUndefined();
      expect(retry.body.data.closeDispute.userErrors).toEqual([{ code: 'DISPUTE_ALREADY_CLOSED', field: ['input', 'id'] }]);
      expect(closes() - before).toBeLessThanOrEqual(maxResent);
    }
  });
});

describe('5. one idempotency key, one dispute', () => {
  it('refuses the same key for a dispute at another provider, sending nothing there', async () => {
    const [stripe] = await closable(keyed, ADMIN, 'STRIPE', 1);
    const [woosh] = await closable(keyed, ADMIN, 'WOOSHPAY', 1);
    expect((await call(keyed, ADMIN, CLOSE, { id: stripe, key: 'reuse-x' })).body.data.closeDispute.dispute.status).toBe('LOST');
    const before = fake('WOOSHPAY').closesExecuted();
    const second = await call(keyed, ADMIN, CLOSE, { id: woosh, key: 'reuse-x' });
    expect(second.body.data.closeDispute.userErrors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: ['input', 'idempotencyKey'] }]);
    expect(fake('WOOSHPAY').closesExecuted()).toBe(before);
  });

  it('lets exactly one of two concurrent closes of different disputes with one key through', async () => {
    const [a] = await closable(keyed, ADMIN, 'FLEX', 1);
    const [b] = await closable(keyed, ADMIN, 'AFTERPAY', 1);
    const before = fake('FLEX').closesExecuted() + fake('AFTERPAY').closesExecuted();
    const [ra, rb] = await Promise.all([call(keyed, ADMIN, CLOSE, { id: a, key: 'race-x' }), call(keyed, ADMIN, CLOSE, { id: b, key: 'race-x' })]);
    const codes = [ra, rb].map((r) => r.body.data.closeDispute.userErrors[0]?.code ?? 'CLOSED').sort();
    expect(codes).toEqual(['CLOSED', 'IDEMPOTENCY_KEY_REUSED']);
    expect(fake('FLEX').closesExecuted() + fake('AFTERPAY').closesExecuted() - before).toBe(1);
  });

  it('derives distinct upstream keys for distinct caller keys, a long key and its digest included', () => {
    const long = 'k'.repeat(250);
    const digest = (s: string) => createHash('sha256').update(s).digest('hex');
    const keys = [long, digest(long), `admin/${long}`, 'a', 'A'].map((k) => upstreamIdempotencyKey({ name: 'admin' }, k));
    expect(new Set(keys).size).toBe(5);
    expect(upstreamIdempotencyKey({ name: 'a' }, 'b/c')).not.toBe(upstreamIdempotencyKey({ name: 'a/b' }, 'c'));
    for (const k of keys) expect(k.length).toBeLessThanOrEqual(255);
  });
});

describe('6. DNS rebinding', () => {
  it("refuses a Host that is not the gateway's, on an open gateway, with no data", async () => {
    const port = new URL(open.gateway.url).port;
    const res = await raw(open.gateway.url, {
      method: 'POST',
      path: '/graphql',
      headers: { host: `rebind.attacker.example:${port}`, origin: `http://rebind.attacker.example:${port}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ providers { displayName } }' }),
    });
    bodies.push(res.text);
    expect(res.status).toBe(421);
    expect(JSON.parse(res.text).errors[0].extensions.code).toBe('HOST_NOT_ALLOWED');
    expect(res.text).not.toContain('WooshPay');
  });

  it('compares Origin with configured origins, not with Host', async () => {
    const port = new URL(open.gateway.url).port;
    const post = (host: string, origin: string) =>
      raw(open.gateway.url, {
        method: 'POST',
        path: '/graphql',
        headers: { host, origin, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    expect((await post(`127.0.0.1:${port}`, `http://rebind.attacker.example:${port}`)).status).toBe(403);
    expect((await post(`localhost:${port}`, `http://localhost:${port}`)).status).toBe(200);
    expect((await post(`127.0.0.1:${port}`, `http://127.0.0.1:${port}`)).status).toBe(200);
    // A configured public name is the gateway's own.
    const named = await started({ allowedHosts: ['disputes.example.com'], publicUrl: 'https://disputes.example.com' });
    const ok = await raw(named.gateway.url, {
      method: 'POST',
      path: '/graphql',
      headers: { host: 'disputes.example.com', origin: 'https://disputes.example.com', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(ok.status).toBe(200);
    const loopbackNow = await raw(named.gateway.url, {
      method: 'GET',
      path: '/graphql?query=%7B__typename%7D',
      headers: { host: `localhost:${new URL(named.gateway.url).port}` },
    });
    expect(loopbackNow.status).toBe(421);
  });
});

describe('7. ids that would change the upstream path', () => {
  it.each(['.', '..', '%2e%2e', 'a/b', 'du_1/../../v1'])('refuses %s everywhere an id goes, calling no provider', async (bad) => {
    const before = upstream();
    const byProvider = await call(
      open,
      null,
      'query($p: String!) { a: disputeByProviderId(provider: STRIPE, providerDisputeId: $p) { id } b: disputeByProviderId(provider: AFTERPAY, providerDisputeId: $p) { id } }',
      { p: bad },
    );
    expect(byProvider.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
    const global = Buffer.from(`dg1:Dispute:STRIPE:default:${bad}`).toString('base64url');
    const node = await call(open, null, 'query($id: ID!) { node(id: $id) { id } }', { id: global });
    expect(node.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const closed = await call(open, null, CLOSE, { id: global });
    expect(closed.body.data.closeDispute.userErrors[0].code).toBe('BAD_USER_INPUT');
    expect(upstream()).toBe(before);
    expect(() => upstreamPath`/v1/disputes/${bad}`).toThrow(/not a valid provider dispute id/);
  });

  it("refuses a cursor position of that kind, even one signed with the gateway's secret", async () => {
    const page = await call(open, null, '{ disputes(last: 2, filter: { provider: STRIPE }) { pageInfo { startCursor } } }');
    const cursor = page.body.data.disputes.pageInfo.startCursor as string;
    const payload = JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString());
    payload.s[0] = ['..', '.']; // the filter's only stream: STRIPE:default
    const forgedPayload = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const forged = `${forgedPayload}.${new CursorKeys([CURSOR_SECRET]).sign(forgedPayload)}`;
    const before = upstream();
    const res = await call(open, null, 'query($c: String!) { disputes(last: 2, before: $c, filter: { provider: STRIPE }) { nodes { id } } }', { c: forged });
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(upstream()).toBe(before);
  });
});

describe('8. bounded logs and echoes', () => {
  it('answers nodes(ids: ["x" x 10000]) with one error and writes one line for the request', async () => {
    const from = open.logs.length;
    const res = await call(open, null, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: 10_000 }, () => 'x') });
    expect(res.body.errors).toHaveLength(1);
    expect(res.text.length).toBeLessThan(1_000);
    const lines = open.logs.slice(from).map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.filter((l) => l.level !== 'debug').map((l) => l.msg)).toEqual(['request']);
    expect(lines.find((l) => l.msg === 'request')).toMatchObject({ errors: { BAD_USER_INPUT: 1 }, upstreamCalls: 0 });
  });

  it('logs a provider error once, as a warning', async () => {
    const from = open.logs.length;
    fake('STRIPE').server.injectFault({
      status: 400,
      times: 1,
      body: { error: { type: 'invalid_request_error', code: 'resource_broken', message: 'Broken.' } },
    });
    const res = await call(open, null, 'query($id: ID!) { dispute(id: $id) { id } }', { id: gid('STRIPE', fake('STRIPE').ordered()[3]!) });
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'PROVIDER_ERROR', provider: 'STRIPE', providerCode: 'resource_broken' });
    const lines = open.logs.slice(from).map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.msg === 'provider error')).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('cuts a 10,000-character idempotency key in the audit line and a 90 KB DateTime in the error', async () => {
    const from = open.logs.length;
    const [id] = await closable(open, null, 'AFTERPAY', 1);
    const res = await call(open, null, CLOSE, { id, key: 'k'.repeat(10_000) });
    expect(res.body.data.closeDispute.userErrors[0]).toEqual({ code: 'BAD_USER_INPUT', field: ['input', 'idempotencyKey'] });
    const audit = open.logs
      .slice(from)
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'audit');
    expect(audit.idempotencyKey.length).toBeLessThan(200);
    expect(audit.idempotencyKey).toMatch(/…\[9872 more characters\]$/);
    const huge = 'x'.repeat(90_000);
    const literal = await call(open, null, `{ disputes(first: 1, filter: { created: { gte: "${huge}" } }) { nodes { id } } }`);
    expect(literal.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(literal.text.length).toBeLessThan(2_000);
    const variable = await call(open, null, 'query($d: DateTime!) { disputes(first: 1, filter: { created: { gte: $d } }) { nodes { id } } }', { d: huge });
    expect(variable.text.length).toBeLessThan(2_000);
  });
});

describe('9. redaction of altered credentials', () => {
  it('keeps every derived form of a provider key out of responses and logs', async () => {
    const key = sandbox.env.STRIPE_SECRET_KEY!;
    const basic = Buffer.from(`${key}:`).toString('base64');
    const forms = [
      basic.replace(/=+$/, ''),
      Buffer.from(key).toString('base64'),
      Buffer.from(key).toString('base64url'),
      key.toUpperCase(),
      encodeURIComponent(key).replace(/_/g, '%5F'),
    ];
    const from = open.logs.length;
    for (const form of forms) {
      fake('STRIPE').server.injectFault({
        status: 402,
        times: 1,
        body: { error: { type: 'card_error', code: 'echo', message: `Your credential was Basic ${form} (sent as ${form})` } },
      });
      const res = await call(open, null, 'query($id: ID!) { dispute(id: $id) { id } }', { id: gid('STRIPE', fake('STRIPE').ordered()[5]!) });
      expect(res.body.errors?.[0].extensions.providerCode, res.text).toBe('echo');
      expect(res.text).toContain('[REDACTED]');
      expect(res.text).not.toContain(form);
      for (const line of open.logs.slice(from)) expect(line).not.toContain(form);
    }
  });

  it("passes on at most a bounded piece of a provider's own message", async () => {
    fake('STRIPE').server.injectFault({
      status: 400,
      times: 1,
      body: { error: { type: 'invalid_request_error', code: 'long', message: `start ${'blah '.repeat(2000)}` } },
    });
    const res = await call(open, null, 'query($id: ID!) { dispute(id: $id) { id } }', { id: gid('STRIPE', fake('STRIPE').ordered()[6]!) });
    expect(res.body.errors[0].message.length).toBeLessThan(300);
  });
});

describe('10. the smaller ones', () => {
  it('blames a malformed Afterpay position on the caller (BAD_USER_INPUT), not on Afterpay', async () => {
    const page = await call(open, null, '{ disputes(first: 2, filter: { provider: AFTERPAY }) { pageInfo { endCursor } } }');
    const cursor = page.body.data.disputes.pageInfo.endCursor as string;
    const payload = JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString());
    payload.s[0] = ['bad_position', null]; // the filter's only stream: AFTERPAY:default
    const forgedPayload = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const forged = `${forgedPayload}.${new CursorKeys([CURSOR_SECRET]).sign(forgedPayload)}`;
    const res = await call(open, null, 'query($c: String!) { disputes(first: 2, after: $c, filter: { provider: AFTERPAY }) { nodes { id } } }', { c: forged });
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a cursor the gateway did not sign, and one signed with another secret', async () => {
    const page = await call(open, null, '{ disputes(first: 2) { pageInfo { endCursor } } }');
    const [payload] = (page.body.data.disputes.pageInfo.endCursor as string).split('.');
    const ask = (c: string) => call(open, null, 'query($c: String!) { disputes(first: 2, after: $c) { nodes { id } } }', { c });
    for (const c of [payload!, `${payload}.${new CursorKeys(['another-secret-of-at-least-32-chars!!']).sign(payload!)}`]) {
      const res = await ask(c);
      expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('audits a mutation stopped by the cost limit, and a FORBIDDEN one with its dispute id', async () => {
    const g = await started({ auth: { mode: 'keys', store: probeKeys() }, limits: { maxCost: 3 } });
    const id = gid('STRIPE', fake('STRIPE').ordered()[0]!);
    const costly = await call(
      g,
      ADMIN,
      'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "cost-1" }) { dispute { id status reason amount } userErrors { code } } }',
      { id },
    );
    expect(costly.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    const forbidden = await call(g, READER, 'mutation($id: ID!) { closeDispute(input: { id: $id }) { userErrors { code } } }', { id });
    expect(forbidden.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const audits = g.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'audit');
    expect(audits).toEqual([
      expect.objectContaining({
        audit: 'closeDispute',
        key: 'admin',
        disputeId: id,
        provider: 'STRIPE',
        result: 'QUERY_TOO_COMPLEX',
        idempotencyKey: 'cost-1',
      }),
      expect.objectContaining({ audit: 'closeDispute', key: 'reader', disputeId: id, provider: 'STRIPE', result: 'FORBIDDEN' }),
    ]);
  });

  it('bounds what a fake records, however many requests it serves', async () => {
    const f = fake('FLEX');
    const before = f.server.received;
    const url = `${sandbox.env.FLEX_API_BASE}/v1/disputes?limit=1`;
    for (let i = 0; i < MAX_RECORDED_REQUESTS * 1.5; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, () => fetch(url, { headers: { authorization: `Bearer ${sandbox.env.FLEX_API_KEY}` } }).then((r) => r.arrayBuffer())),
      );
    }
    expect(f.server.received - before).toBe(MAX_RECORDED_REQUESTS * 1.5);
    expect(f.server.requests.length).toBeLessThanOrEqual(MAX_RECORDED_REQUESTS * 1.25);
  });
});
