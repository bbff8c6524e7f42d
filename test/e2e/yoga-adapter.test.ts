// The bridge to yoga (http/yoga-adapter.ts) must answer exactly what yoga's own node adapter
// answers, on both of its ways (the direct path and yoga's own handleRequest), must run every plugin's
// request-level hooks like yoga does, and must stream what yoga streams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { providersFromEnv } from '../../src/providers/registry.js';
import { seedStripeDisputes } from '../../src/sandbox/stripe-shape/seed.js';
import { StripeFake } from '../../src/sandbox/stripe-shape/server.js';
import { encodeDisputeId } from '../../src/domain/ids.js';
import { requestLevelHooks } from '../../src/http/yoga-adapter.js';
import { startGateway, type Gateway, type GatewayOptions, type GatewayPlugin, type RequestServerContext } from '../../src/server.js';
import { raw, type RawResponse } from '../security/helpers.js';

let stripe: StripeFake;
let providers: GatewayOptions['providers'];
const logger = createLogger({ write: () => {} });
const open = (): RequestServerContext => ({ apiKey: null, open: true, upstreamBudget: { limit: 400, remaining: 400 } });
const started: { close(): Promise<void> }[] = [];

/** yoga's own answer (its whole fetch handler) from a gateway's yoga instance, with the context the edge gives. */
async function fromYoga(g: Gateway, c: Case): Promise<RawResponse> {
  const headers = { host: new URL(g.url).host, ...(c.accept && { accept: c.accept }), ...(c.type && { 'content-type': c.type }) };
  const res = await g.yoga.fetch(new URL(c.path ?? '/graphql', g.url), { method: c.method ?? 'POST', headers, ...(c.body && { body: c.body() }) }, open());
  const out: RawResponse['headers'] = {};
  res.headers.forEach((v, k) => (out[k.toLowerCase()] = v));
  return { status: res.status, headers: out, text: await res.text() };
}

async function gateway(opts: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const g = await startGateway({ providers, logger, limits: { maxCost: 5_000 }, ...opts });
  started.push(g);
  return g;
}

beforeAll(async () => {
  stripe = new StripeFake('sk_test_adapter00000000000000000', seedStripeDisputes(3, 40));
  const url = await stripe.start();
  providers = providersFromEnv({ STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_BASE: url, STRIPE_RATE_LIMIT: '0' });
});
afterAll(async () => {
  for (const s of started.reverse()) await s.close();
  await stripe.close();
});

const id = () => encodeDisputeId({ provider: 'STRIPE', account: 'default', providerDisputeId: stripe.ordered()[5]! });
const J = 'application/json';
const R = 'application/graphql-response+json';
const q = (query: string, extra: object = {}) => JSON.stringify({ query, ...extra });

interface Case {
  name: string;
  method?: string;
  path?: string;
  accept?: string;
  type?: string;
  body?: () => string;
  /** The gateway's coded answer where yoga's has no body or echoes the request (see below). */
  uniform?: string;
}
const cases: Case[] = [
  { name: 'a query', type: J, body: () => q('{ disputes(first: 3) { nodes { id amount } } }') },
  { name: 'a query, graphql-response', accept: R, type: J, body: () => q('{ disputes(first: 3) { nodes { id amount } } }') },
  {
    name: 'variables and an operation name',
    accept: J,
    type: J,
    body: () => q('query A($id: ID!) { dispute(id: $id) { id status } } query B { __typename }', { variables: { id: id() }, operationName: 'A' }),
  },
  { name: 'a field error', accept: R, type: J, body: () => q('{ dispute(id: "bad!") { id } }') },
  { name: 'a syntax error', accept: R, type: J, body: () => q('{') },
  { name: 'a syntax error, json', accept: J, type: J, body: () => q('{') },
  { name: 'a validation error', accept: R, type: J, body: () => q('{ nope }') },
  {
    name: 'a variable that does not coerce',
    accept: R,
    type: J,
    body: () => q('query($n: Int) { disputes(first: $n) { nodes { id } } }', { variables: { n: 'ten' } }),
  },
  { name: 'a missing operation name', accept: R, type: J, body: () => q('query A { __typename } query B { __typename }') },
  {
    name: 'over the cost limit',
    accept: J,
    type: J,
    body: () => q(`{ ${Array.from({ length: 8 }, (_, i) => `a${i}: disputes(first: 100) { nodes { id amount } }`).join(' ')} }`),
  },
  {
    name: 'a mutation with a user error',
    accept: J,
    type: J,
    body: () => q('mutation { closeDispute(input: { id: "nope!" }) { userErrors { code field } } }'),
  },
  { name: 'extensions', accept: J, type: J, body: () => q('{ __typename }', { extensions: { x: 1 } }) },
  { name: 'a batch', accept: J, type: J, body: () => JSON.stringify([{ query: '{ __typename }' }, { query: '{ providers { provider } }' }]) },
  { name: 'not JSON', accept: J, type: J, body: () => '{"query": ', uniform: 'BAD_REQUEST' },
  { name: 'utf-8 charset', accept: J, type: 'application/json; charset=utf-8', body: () => q('{ __typename }') },
  { name: 'any accept', accept: '*/*', type: J, body: () => q('{ __typename }') },
  { name: 'null variables', accept: J, type: J, body: () => q('{ __typename }', { variables: null, operationName: null }) },
  { name: 'application/graphql', accept: J, type: 'application/graphql', body: () => '{ __typename }' },
  { name: 'a form', accept: J, type: 'application/x-www-form-urlencoded', body: () => `query=${encodeURIComponent('{ __typename }')}` },
  { name: 'text/plain', accept: J, type: 'text/plain', body: () => q('{ __typename }'), uniform: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'an unacceptable Accept', accept: 'text/html', type: J, body: () => q('{ __typename }'), uniform: 'BAD_REQUEST' },
  { name: 'server-sent events for a query', accept: 'text/event-stream', type: J, body: () => q('{ __typename }') },
  { name: 'a GET', method: 'GET', accept: J, path: `/graphql?query=${encodeURIComponent('{ providers { provider } }')}` },
  {
    name: 'a mutation by GET',
    method: 'GET',
    accept: J,
    path: `/graphql?query=${encodeURIComponent('mutation { closeDispute(input: { id: "x" }) { userErrors { code } } }')}`,
  },
  { name: 'a GET without a query', method: 'GET', accept: J, path: '/graphql' },
  { name: 'PUT', method: 'PUT', accept: J, type: J, body: () => q('{ __typename }'), uniform: 'BAD_REQUEST' },
];

// Per connection, per moment or per process: everything else must match.
const VARYING = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'x-request-id']);
// The gateway's one addition to yoga's headers: `Vary: Accept-Encoding` on an answer big enough to
// be compressed (http/compress.ts; these requests accept no encoding, so bodies are identity).
const comparable = (r: RawResponse) => ({
  status: r.status,
  headers: Object.fromEntries(Object.entries(r.headers).filter(([k, v]) => !VARYING.has(k) && !(k === 'vary' && v === 'Accept-Encoding'))),
  body: r.text,
});
const send = (base: string, c: Case) => {
  const u = new URL(base);
  return raw(u.origin, {
    method: c.method ?? 'POST',
    path: c.path ?? u.pathname,
    headers: { ...(c.accept && { accept: c.accept }), ...(c.type && { 'content-type': c.type }) },
    ...(c.body && { body: c.body() }),
  });
};

describe('the bridge to yoga', () => {
  let direct: Gateway;
  let lean: Gateway;
  beforeAll(async () => {
    direct = await gateway();
    lean = await gateway({ fastPath: false });
  });

  it.each(cases.filter((c) => !c.uniform))('answers $name exactly as yoga does (status, headers, body), on both ways', async (c) => {
    const own = comparable(await fromYoga(lean, c));
    expect(comparable(await send(lean.url, c))).toEqual(own);
    expect(comparable(await send(direct.url, c))).toEqual(comparable(await fromYoga(direct, c)));
    expect(comparable(await send(direct.url, c))).toEqual(own);
  });

  // Where yoga answers an error with an empty body, or echoes the request body back, the gateway
  // answers a coded GraphQL error instead: the same status, the rest of the headers the same.
  it.each(cases.filter((c) => c.uniform))("answers $name with yoga's status and a coded error, on both ways", async (c) => {
    const own = await fromYoga(lean, c);
    for (const g of [lean, direct]) {
      const ours = await send(g.url, c);
      const { 'content-type': _a, ...rest } = comparable(ours).headers;
      const { 'content-type': _b, ...theirs } = comparable(own).headers;
      expect(ours.status).toBe(own.status);
      expect(rest).toEqual(theirs);
      const body = JSON.parse(ours.text) as { errors: { message: string; extensions: { code: string; originalError?: unknown } }[] };
      expect(body.errors[0]!.extensions.code).toBe(c.uniform);
      expect(ours.text).not.toContain('originalError');
    }
  });

  it('gives whole answers a length, and the direct path the same bytes as the lean handler', async () => {
    const c = cases[0]!;
    const [a, b] = [await send(direct.url, c), await send(lean.url, c)];
    expect(a.headers['content-length']).toBe(String(Buffer.byteLength(a.text)));
    expect(b.headers['content-length']).toBe(String(Buffer.byteLength(b.text)));
    expect(a.text).toBe(b.text);
  });
});

describe('plugins see every request', () => {
  const HOOKS = ['onRequest', 'onRequestParse', 'onParams', 'onExecute', 'onExecutionResult', 'onResultProcess', 'onResponse'];
  const probe = (seen: string[]): GatewayPlugin => Object.fromEntries(HOOKS.map((h) => [h, () => void seen.push(h)]));

  it('a plugin with request-level hooks turns the direct path off, and each hook runs as in yoga', async () => {
    expect(requestLevelHooks([probe([])])).toHaveLength(6);
    expect(requestLevelHooks([{ onExecute() {} }])).toEqual([]);
    const seen: string[] = [];
    const g = await gateway({ plugins: [probe(seen)] });
    const plain: Case = { name: 'plain', accept: J, type: J, body: () => q('{ providers { provider } }') };
    const ours = await send(g.url, plain);
    const mine = [...seen];
    seen.length = 0;
    const theirs = await fromYoga(g, plain);
    expect(mine).toEqual(HOOKS);
    expect(seen).toEqual(mine);
    expect(comparable(ours)).toEqual(comparable(theirs));
  });

  it('the direct path keeps request and params in the context, as yoga does', async () => {
    const contexts: Record<string, unknown>[] = [];
    const g = await gateway({
      plugins: [{ onExecute: ({ args }: { args: { contextValue: Record<string, unknown> } }) => void contexts.push(args.contextValue) }],
    });
    await send(g.url, { name: 'plain', accept: J, type: J, body: () => q('{ __typename }') });
    const [context] = contexts;
    expect((context!.request as Request).url).toMatch(/\/graphql$/);
    expect((context!.request as Request).headers.get('content-type')).toBe(J);
    expect(context!.params).toEqual({ query: '{ __typename }' });
  });

  it('streams server-sent events as they come, never buffering the answer', async () => {
    let release!: () => void;
    const second = new Promise<void>((r) => (release = r));
    async function* events() {
      yield { data: { n: 1 } };
      await second;
      yield { data: { n: 2 } };
    }
    const g = await gateway({
      plugins: [
        {
          onParams: ({ params, setResult }: { params: { operationName?: string }; setResult(r: unknown): void }) => {
            if (params.operationName === 'Stream') setResult(events());
          },
        },
      ],
    });
    const res = await fetch(g.url, {
      method: 'POST',
      headers: { 'content-type': J, accept: 'text/event-stream' },
      body: q('query Stream { __typename }', { operationName: 'Stream' }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('"n":1')) text += decoder.decode((await reader.read()).value);
    // The first event arrived while the second cannot exist yet: nothing was held back.
    expect(text).not.toContain('"n":2');
    release();
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
    expect(text).toContain('"n":2');
  });
});
