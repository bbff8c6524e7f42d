// Every error a caller can cause carries extensions.code (and field where it names an input),
// whatever layer produced it: variable coercion, literal validation, the HTTP request itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxHarness, type SandboxHarness } from '../helpers/sandbox-harness.js';

let h: SandboxHarness;

beforeAll(async () => {
  h = await startSandboxHarness(42, { count: 5 });
});

afterAll(async () => {
  await h.close();
});

async function send(init: RequestInit) {
  const res = await fetch(h.gateway.url, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, body: text ? JSON.parse(text) : null };
}
const json = (b: unknown) => send({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });

describe('variables that do not coerce', () => {
  it.each([
    ['a missing required variable', { query: 'query($id: ID!) { dispute(id: $id) { id } }' }, '$id'],
    ['"ten" for an Int', { query: 'query($n: Int) { disputes(first: $n) { nodes { id } } }', variables: { n: 'ten' } }, '$n'],
    [
      'an unknown enum value',
      { query: 'query($p: DisputeProvider!) { disputeByProviderId(provider: $p, providerDisputeId: "x") { id } }', variables: { p: 'PAYPAL' } },
      '$p',
    ],
    ['a bad DateTime', { query: 'query($d: DateTime) { disputes(filter: { created: { gte: $d } }) { nodes { id } } }', variables: { d: 'yesterday' } }, '$d'],
  ])('%s is BAD_USER_INPUT naming the variable', async (_, body, field) => {
    const res = await json(body);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('literals that do not fit', () => {
  it.each([
    ['a bad DateTime literal', '{ disputes(first: 1, filter: { created: { gte: "yesterday" } }) { nodes { id } } }', 'filter.created.gte'],
    ['an unknown enum literal', '{ disputeByProviderId(provider: PAYPAL, providerDisputeId: "x") { id } }', 'provider'],
    ['a string for an Int', '{ disputes(first: "ten") { nodes { id } } }', 'first'],
  ])('%s is BAD_USER_INPUT with the argument path as field', async (_, query, field) => {
    const res = await json({ query });
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('leaves other validation errors as GRAPHQL_VALIDATION_FAILED and syntax errors as GRAPHQL_PARSE_FAILED', async () => {
    expect((await json({ query: '{ nope }' })).body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await json({ query: '{ disputes(' })).body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('requests that cannot be read', () => {
  it.each([
    ['no content type', undefined],
    ['text/plain', 'text/plain'],
    ['application/xml', 'application/xml'],
  ])('a POST with %s is HTTP 415 with a GraphQL-shaped body naming the accepted types', async (_, type) => {
    const res = await send({ method: 'POST', headers: type ? { 'content-type': type } : {}, body: new Blob([JSON.stringify({ query: '{ __typename }' })]) });
    expect(res.status).toBe(415);
    expect(res.type).toContain('application/json');
    expect(res.body.errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(res.body.errors[0].message).toContain('application/json');
  });

  it('answers invalid JSON with BAD_REQUEST, without echoing the body', async () => {
    const res = await send({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ __typename }", "secretish": "do-not-echo-me", oops',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.body.errors[0].extensions.originalError).toBeUndefined();
    expect(res.text).not.toContain('do-not-echo-me');
  });

  it('answers a GET without a query with BAD_REQUEST', async () => {
    const res = await send({ method: 'GET', headers: { accept: 'application/json' } });
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});
