// Access control through the real HTTP server. Every response body and log line the suite
// produces is captured, and none may contain a configured secret or key.
import { PROVIDER_DEFINITIONS } from '../../src/providers/registry.js';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore, sha256 } from '../../src/auth/keys.js';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { upstreamIdempotencyKey } from '../../src/gateway/close.js';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv, secretsOf } from '../../src/providers/registry.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startGateway, type Gateway } from '../../src/server.js';
import { readyUrl, spawnGateway } from '../helpers/process.js';

const ADMIN = 'gk_admin_7d3f9a1c5e8b2046aa11';
const READER = 'gk_reader_4b8e2d6f0a9c1357bb22';
const STRIPE_ONLY = 'gk_stripe_9c1e5a3d7f2b8046cc33';
const SLOW = 'gk_slow_2a6c0e4f8b1d3579dd44';
const WRONG = 'gk_wrong_0000000000000000ee55';
const ALLOWED_ORIGIN = 'https://app.example.com';

const KEYS_YAML = `
keys:
  - name: admin
    key: ${ADMIN}
    scopes: [disputes:read, disputes:write]
  - name: reader
    key: sha256:${sha256(READER).toString('hex')}
    scopes: [disputes:read]
  - name: stripe-only
    key: sha256:${sha256(STRIPE_ONLY).toString('hex')}
    scopes: [disputes:read, disputes:write]
    providers: [STRIPE]
  - name: slow
    key: sha256:${sha256(SLOW).toString('hex')}
    scopes: [disputes:read]
    rateLimit: { perSecond: 1, burst: 2 }
`;

let sandbox: Sandbox;
let gateway: Gateway;
let locked: Gateway;
const logs: string[] = [];
const bodies: string[] = [];
let secrets: string[] = [];

async function call(key: string | null, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}, g: Gateway = gateway) {
  const res = await fetch(g.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

beforeAll(async () => {
  sandbox = await startSandbox(5, { count: 30 });
  const dir = mkdtempSync(join(tmpdir(), 'dg-keys-'));
  writeFileSync(join(dir, 'keys.yaml'), KEYS_YAML);
  const keys = KeyStore.fromEnv({ GATEWAY_API_KEYS_FILE: join(dir, 'keys.yaml') }, { perSecond: 50, burst: 100 })!;
  const providers = providersFromEnv(sandbox.env);
  secrets = [...secretsOf(providers), ...keys.plaintext];
  const logger = createLogger({ level: 'debug', secrets, write: (l) => logs.push(l) });
  gateway = await startGateway({ providers, logger, auth: { mode: 'keys', store: keys }, corsOrigins: [ALLOWED_ORIGIN] });
  locked = await startGateway({ providers, logger, auth: { mode: 'keys', store: keys }, introspection: false, graphiql: false });
});

afterAll(async () => {
  await gateway.close();
  await locked.close();
  await sandbox.close();
  // No response body, error or log line of this suite contains any configured secret, any
  // gateway key (plain, or presented by mistake), or a provider's Basic credentials.
  expect(logs.length).toBeGreaterThan(10);
  for (const text of [...bodies, ...logs]) {
    for (const secret of [...secrets, ADMIN, READER, STRIPE_ONLY, SLOW, WRONG]) expect(text).not.toContain(secret);
  }
});

const fake = (p: 'STRIPE' | 'AFTERPAY') => sandbox.fakes.find((f) => f.name === p)!.fake;
const gid = (provider: 'STRIPE' | 'AFTERPAY', id: string) => encodeDisputeId({ provider, account: 'default', providerDisputeId: id });

describe('authentication', () => {
  it.each([
    ['no Authorization header', null, {}],
    ['a wrong key', WRONG, {}],
    ['Basic instead of Bearer', null, { authorization: `Basic ${Buffer.from(`${ADMIN}:`).toString('base64')}` }],
  ] as const)('answers %s with 401 UNAUTHENTICATED', async (_, key, headers) => {
    const res = await call(key, '{ providers { provider } }', undefined, headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="dispute-gateway"');
    expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('accepts a plain key and a key stored as a sha256 digest', async () => {
    expect((await call(ADMIN, '{ providers { provider } }')).body.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
    expect((await call(READER, '{ providers { provider } }')).body.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
  });

  it('serves the GraphiQL page and liveness without a key, but no data', async () => {
    const page = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Dispute Gateway');
    // A browser GET with a query in its URL gets the page too: never the data.
    const data = await fetch(`${gateway.url}?query=${encodeURIComponent('{ providers { provider } }')}`, { headers: { accept: 'text/html' } });
    const html = await data.text();
    expect(html).toContain('Dispute Gateway');
    expect(html).not.toContain('"providers":[');
    expect((await fetch(gateway.url.replace('/graphql', '/healthz'))).status).toBe(200);
  });
});

describe('scopes', () => {
  it('refuses closeDispute to a read-only key with FORBIDDEN, sending nothing, and audits the refusal', async () => {
    const before = sandbox.fakes.reduce((n, f) => n + f.fake.closesExecuted(), 0);
    const res = await call(READER, 'mutation($id: ID!) { closeDispute(input: { id: $id }) { userErrors { code } } }', {
      id: gid('STRIPE', fake('STRIPE').ordered()[0]!),
    });
    expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(res.body.data ?? null).toBeNull();
    expect(sandbox.fakes.reduce((n, f) => n + f.fake.closesExecuted(), 0)).toBe(before);
    const audit = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'audit' && l.key === 'reader');
    expect(audit).toMatchObject({ audit: 'closeDispute', result: 'FORBIDDEN' });
  });

  it('writes an audit line for every close: key name, dispute, provider, result, idempotency key, time', async () => {
    const list = await call(ADMIN, '{ disputes(first: 30, filter: { provider: STRIPE }) { nodes { id closable } } }');
    const target = list.body.data.disputes.nodes.find((n: { closable: boolean }) => n.closable);
    const res = await call(ADMIN, 'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "audit-1" }) { dispute { status } } }', {
      id: target.id,
    });
    expect(res.body.data.closeDispute.dispute.status).toBe('LOST');
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'audit' && l.idempotencyKey === 'audit-1');
    expect(line).toMatchObject({ audit: 'closeDispute', key: 'admin', disputeId: target.id, provider: 'STRIPE', result: 'CLOSED', idempotencyKey: 'audit-1' });
    expect(Date.parse(line.time)).not.toBeNaN();
  });

  it('keeps idempotency keys apart between API keys', async () => {
    const list = await call(ADMIN, '{ disputes(first: 40, filter: { provider: STRIPE }) { nodes { id closable } } }');
    const [a, b] = list.body.data.disputes.nodes.filter((n: { closable: boolean }) => n.closable);
    const close = (key: string, id: string) =>
      call(key, 'mutation($id: ID!) { closeDispute(input: { id: $id, idempotencyKey: "shared" }) { dispute { status } userErrors { code } } }', { id });
    expect((await close(ADMIN, a.id)).body.data.closeDispute.dispute.status).toBe('LOST');
    expect((await close(STRIPE_ONLY, b.id)).body.data.closeDispute.dispute.status).toBe('LOST');
    // Upstream too: Stripe scopes keys per account, so each caller's key is its own digest.
    const sent = fake('STRIPE')
      .server.requests.filter((r) => r.path.endsWith('/close'))
      .map((r) => r.headers['idempotency-key']);
    expect(sent).toEqual(
      expect.arrayContaining([upstreamIdempotencyKey({ name: 'admin' }, 'shared'), upstreamIdempotencyKey({ name: 'stripe-only' }, 'shared')]),
    );
  });
});

describe('providers a key may reach', () => {
  it('shows only its providers, and merges only them', async () => {
    expect((await call(STRIPE_ONLY, '{ providers { provider } }')).body.data.providers).toEqual([{ provider: 'STRIPE' }]);
    const page = await call(STRIPE_ONLY, '{ disputes(first: 50) { nodes { provider } } }');
    expect(new Set(page.body.data.disputes.nodes.map((n: { provider: string }) => n.provider))).toEqual(new Set(['STRIPE']));
  });

  it("answers for another provider's real dispute exactly what it answers for one that does not exist", async () => {
    const real = fake('AFTERPAY').ordered()[0]!;
    const ghost = 'dp_doesNotExist0000';
    const ask = (id: string) =>
      call(
        STRIPE_ONLY,
        `query($id: ID!, $p: String!) { node(id: $id) { id } dispute(id: $id) { id } disputeByProviderId(provider: AFTERPAY, providerDisputeId: $p) { id }
         nodes(ids: [$id]) { id } }`,
        { id: gid('AFTERPAY', id), p: id },
      );
    const [r, g] = await Promise.all([ask(real), ask(ghost)]);
    expect(r.body).toEqual({ data: { node: null, dispute: null, disputeByProviderId: null, nodes: [null] } });
    expect(r.body).toEqual(g.body);
    const close = (id: string) =>
      call(STRIPE_ONLY, 'mutation($id: ID!) { closeDispute(input: { id: $id }) { dispute { id } userErrors { code message } } }', { id: gid('AFTERPAY', id) });
    const [cr, cg] = await Promise.all([close(real), close(ghost)]);
    expect(cr.body.data.closeDispute.userErrors[0].code).toBe('NOT_FOUND');
    expect(cr.body).toEqual(cg.body);
    // And the admin sees it: it was there all along.
    expect((await call(ADMIN, 'query($id: ID!) { node(id: $id) { id } }', { id: gid('AFTERPAY', real) })).body.data.node).not.toBeNull();
  });

  it('refuses a filter naming a provider the key cannot reach in the same words as an unconfigured one', async () => {
    const res = await call(STRIPE_ONLY, '{ disputes(first: 5, filter: { provider: AFTERPAY }) { nodes { id } } }');
    expect(res.body.errors[0]).toMatchObject({ message: 'provider AFTERPAY is not available', extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('per-key rate limit', () => {
  it("answers 429 with Retry-After and RATE_LIMITED past the key's burst, without slowing other keys", async () => {
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await call(SLOW, '{ providers { provider } }'));
    expect(results.slice(0, 2).map((r) => r.status)).toEqual([200, 200]);
    expect(results[2]!.status).toBe(429);
    expect(Number(results[2]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(results[2]!.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect((await call(READER, '{ providers { provider } }')).status).toBe(200);
  });
});

describe('browsers', () => {
  it('answers a preflight from an allowed origin, and not from another', async () => {
    const preflight = (origin: string) =>
      fetch(gateway.url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const ok = await preflight(ALLOWED_ORIGIN);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).not.toBe('*');
  });

  it('refuses a cross-site request from an origin not allowed, even with a valid key (CSRF)', async () => {
    const res = await call(ADMIN, '{ providers { provider } }', undefined, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const allowed = await call(ADMIN, '{ providers { provider } }', undefined, { origin: ALLOWED_ORIGIN });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
  });
});

describe('production switches', () => {
  it('refuses introspection with INTROSPECTION=off', async () => {
    const res = await call(ADMIN, '{ __schema { types { name } } }', undefined, {}, locked);
    expect(res.body.errors[0].extensions.code).toBe('INTROSPECTION_DISABLED');
    const typename = await call(ADMIN, '{ __typename }', undefined, {}, locked);
    expect(typename.body.data).toEqual({ __typename: 'Query' });
  });

  it('serves no GraphiQL with GRAPHIQL=off', async () => {
    const res = await fetch(locked.url, { headers: { accept: 'text/html' } });
    expect(await res.text()).not.toContain('graphiql');
  });
});

describe('start-up', () => {
  const start = (env: Record<string, string>) => spawnGateway({ PORT: '0', ...env });

  it('refuses to start with provider credentials but no gateway keys', async () => {
    const child = start({ STRIPE_SECRET_KEY: 'sk_test_startupRefusal000000000', STRIPE_API_BASE: 'http://127.0.0.1:9' });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(err).toContain('no gateway API keys');
    expect(err).toContain('GATEWAY_AUTH=none');
    expect(err).not.toContain('sk_test_startupRefusal000000000');
  });

  it('runs open with GATEWAY_AUTH=none, warning at start and once a minute on requests', async () => {
    const child = start({ STRIPE_SECRET_KEY: 'sk_test_authNone00000000000000', STRIPE_API_BASE: 'http://127.0.0.1:9', GATEWAY_AUTH: 'none' });
    const sink = { out: '' };
    try {
      const url = await readyUrl(child, sink);
      const out = () => sink.out;
      expect(out()).toContain('GATEWAY_AUTH=none: running without authentication');
      for (let i = 0; i < 3; i++) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ providers { provider } }' }),
        });
        bodies.push(await res.text());
        expect(res.status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(
        out()
          .split('\n')
          .filter((l) => l.includes('requests are not authenticated')),
      ).toHaveLength(1);
      expect(out()).not.toContain('sk_test_authNone00000000000000');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('says the sandbox is open, and enforces keys in the sandbox when they are configured', async () => {
    const child = start({ GATEWAY_API_KEYS: JSON.stringify([{ name: 'sb', key: ADMIN, scopes: ['disputes:read'] }]) });
    const sink = { out: '' };
    try {
      const url = await readyUrl(child, sink);
      const out = sink.out;
      expect(out).toContain('API keys required');
      const anon = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ providers { provider } }"}' });
      expect(anon.status).toBe(401);
      bodies.push(await anon.text());
      logs.push(out);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const open = start({});
    const openSink = { out: '' };
    await readyUrl(open, openSink);
    expect(openSink.out).toContain('sandbox: open, no API keys required');
    open.kill('SIGTERM');
    await once(open, 'exit');
  });
});
