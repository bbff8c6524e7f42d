// Item 1 of the hostile probe: while keys are configured, no operation executes without a valid
// key, whatever the request's method, path, encoding, headers or body. Checked as a property over
// generated request shapes against keyed gateways with GraphiQL on and off: none may answer with
// data, and the providers must see no request at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { GRAPHIQL_OPTIONS } from '../../src/server.js';
import { createRng } from '../../src/sandbox/random.js';
import { ADMIN, probeGateway, probeKeys, raw, READER, WRONG, type ProbeGateway } from './helpers.js';

let sandbox: Sandbox;
let withPage: ProbeGateway;
let withoutPage: ProbeGateway;
const upstream = () => sandbox.fakes.reduce((n, f) => n + f.fake.server.received, 0);

beforeAll(async () => {
  sandbox = await startSandbox(3, { count: 20 });
  withPage = await probeGateway(sandbox, { auth: { mode: 'keys', store: probeKeys() } });
  withoutPage = await probeGateway(sandbox, { auth: { mode: 'keys', store: probeKeys() }, graphiql: false });
});

afterAll(async () => {
  await withPage.gateway.close();
  await withoutPage.gateway.close();
  await sandbox.close();
});

// A query whose answer names every provider: any data in a response shows up as these words.
const QUERY = '{ providers { displayName } }';
const LEAKS = ['WooshPay', 'Afterpay', '"data":{'];
const enc = encodeURIComponent;

const PATHS = [
  '/graphql',
  '/graphql/',
  '/graphql?',
  '/graphql/?',
  '/GRAPHQL',
  '//graphql',
  '/graphql/..',
  '/./graphql',
  '/x/../graphql',
  '/%67raphql',
  '/graphql%2F',
  '/graphql;x',
];
const PARAMS = [
  `query=${enc(QUERY)}`,
  `%71uery=${enc(QUERY)}`,
  `qu%65ry=${enc(QUERY)}`,
  `%71%75%65%72%79=${enc(QUERY)}`,
  `query=${enc(QUERY)}&query=${enc(QUERY)}`,
  `query=&query=${enc(QUERY)}`,
  `operationName=A&query=${enc(`query A ${QUERY}`)}`,
  `query=${enc(QUERY)}&variables=${enc('{}')}&extensions=${enc('{}')}`,
  `extensions=${enc(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } }))}&query=${enc(QUERY)}`,
  `query[]=${enc(QUERY)}`,
  `QUERY=${enc(QUERY)}`,
  '',
];
const ACCEPTS = [
  undefined,
  '*/*',
  'text/html',
  'text/html, application/json',
  'application/json;q=0.9, text/html',
  'application/graphql-response+json',
  'application/json',
  'multipart/mixed',
  'text/event-stream',
  'TEXT/HTML',
];
const AUTHS: (Record<string, string> | undefined)[] = [
  undefined,
  { authorization: `Bearer ${WRONG}` },
  { authorization: 'Bearer' },
  { authorization: 'Bearer ' },
  { authorization: `Basic ${Buffer.from(`${ADMIN}:`).toString('base64')}` },
  { authorization: `Token ${ADMIN}` },
  { authorization: `Bearer ${ADMIN} ${READER}` },
  { 'x-api-key': ADMIN },
  { cookie: `authorization=Bearer ${ADMIN}` },
  { authorization: `Bearer ${ADMIN.toUpperCase()}` },
];
const BODIES: { type?: string; body: string }[] = [
  { type: 'application/json', body: JSON.stringify({ query: QUERY }) },
  { type: 'application/json; charset=utf-8', body: JSON.stringify({ query: QUERY, operationName: null, variables: {} }) },
  { type: 'application/json', body: JSON.stringify([{ query: QUERY }, { query: QUERY }]) },
  { type: 'application/json', body: JSON.stringify({ query: QUERY, extensions: { anything: true } }) },
  { type: 'application/graphql', body: QUERY },
  { type: 'application/graphql+json', body: JSON.stringify({ query: QUERY }) },
  { type: 'application/x-www-form-urlencoded', body: `query=${enc(QUERY)}` },
  { type: 'text/plain', body: JSON.stringify({ query: QUERY }) },
  { type: undefined, body: JSON.stringify({ query: QUERY }) },
  {
    type: 'multipart/form-data; boundary=XyZ',
    body: `--XyZ\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: QUERY })}\r\n--XyZ\r\nContent-Disposition: form-data; name="map"\r\n\r\n{}\r\n--XyZ--\r\n`,
  },
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

interface Shape {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function shapes(seed: number, n: number): Shape[] {
  const r = createRng(seed);
  const out: Shape[] = [];
  for (let i = 0; i < n; i++) {
    const method = r.pick(METHODS);
    const params = r.pick(PARAMS);
    const base = r.pick(PATHS);
    const path = params ? `${base}${base.includes('?') ? '&' : '?'}${params}` : base;
    const accept = r.pick(ACCEPTS);
    const headers: Record<string, string> = { ...(accept && { accept }), ...r.pick(AUTHS) };
    let body: string | undefined;
    if (method !== 'GET' && method !== 'HEAD' && r.next() < 0.8) {
      const b = r.pick(BODIES);
      body = b.body;
      if (b.type) headers['content-type'] = b.type;
    }
    if (r.next() < 0.2) headers['x-requested-with'] = 'XMLHttpRequest';
    if (r.next() < 0.2) headers['graphql-require-preflight'] = '1';
    out.push({ method, path, headers, body });
  }
  return out;
}

// The reproduction from the probe, and its neighbours, always among the shapes.
const KNOWN: Shape[] = [
  { method: 'GET', path: `/graphql?%71uery=${enc('{ providers{provider} }')}`, headers: { accept: 'text/html, application/json' } },
  { method: 'GET', path: `/graphql?%71uery=${enc(QUERY)}`, headers: { accept: 'application/json' } },
  { method: 'GET', path: `/graphql?query=${enc(QUERY)}`, headers: { accept: 'text/html' } },
  { method: 'POST', path: `/graphql?%71uery=${enc(QUERY)}`, headers: { accept: 'text/html' } },
];

describe.each([
  ['GraphiQL on', () => withPage],
  ['GraphiQL off', () => withoutPage],
])('a keyed gateway with %s', (_, which) => {
  it('answers no request shape without a valid key with data, and calls no provider', async () => {
    const { gateway, logs } = which();
    const page = renderGraphiQL(GRAPHIQL_OPTIONS);
    const before = upstream();
    const all = [...KNOWN, ...shapes(gateway === withPage.gateway ? 20261123 : 20261124, 400)];
    const statuses = new Map<number, number>();
    for (const shape of all) {
      const res = await raw(gateway.url, shape);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const what = `${shape.method} ${shape.path} ${JSON.stringify(shape.headers)} -> ${res.status} ${res.text.slice(0, 200)}`;
      if (res.status === 200 && (res.headers['content-type'] ?? '').toString().startsWith('text/html')) {
        // The only thing served without a key: the GraphiQL page itself, never data.
        expect(res.text, what).toBe(page);
        continue;
      }
      for (const leak of LEAKS) expect(res.text, what).not.toContain(leak);
    }
    expect(upstream()).toBe(before);
    // Refusals were real refusals (401s, 404s for other paths), and the page was served at all only when on.
    expect(statuses.get(401) ?? 0).toBeGreaterThan(50);
    expect(logs.filter((l) => l.includes('"msg":"audit"'))).toEqual([]);
  });

  it('still answers a valid key, so the property above is not vacuous', async () => {
    const { gateway } = which();
    const res = await raw(gateway.url, {
      method: 'GET',
      path: `/graphql?%71uery=${enc(QUERY)}`,
      headers: { accept: 'application/json', authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('WooshPay');
  });
});

describe('the execution layer', () => {
  it('refuses an operation that reached GraphQL without the HTTP guard deciding (defence in depth)', async () => {
    // yoga.fetch skips the HTTP layer entirely: no server context says the gateway is open.
    const res = await withoutPage.gateway.yoga.fetch('http://127.0.0.1/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = (await res.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });
});
